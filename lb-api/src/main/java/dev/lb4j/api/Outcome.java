package dev.lb4j.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The outcome of one call to a backend: an HTTP status, or an {@link ErrorKind} when no response
 * arrived, and the latency. Immutable.
 *
 * @since 0.1.0
 */
public final class Outcome {

  private final int status;
  private final ErrorKind error;
  private final long latencyNanos;

  private Outcome(int status, ErrorKind error, long latencyNanos) {
    this.status = status;
    this.error = error;
    this.latencyNanos = latencyNanos;
  }

  /**
   * A call that returned a response.
   *
   * @param status the HTTP status, {@code 100..599}
   * @param latencyNanos the time from sending to the response, {@code >= 0}
   * @return the outcome
   * @throws IllegalArgumentException if a value is out of range
   */
  public static Outcome response(int status, long latencyNanos) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
    }
    return new Outcome(status, ErrorKind.NONE, checkLatency(latencyNanos));
  }

  /**
   * A call that produced no response.
   *
   * @param error why; not {@link ErrorKind#NONE}
   * @param latencyNanos the time until the failure was seen, {@code >= 0}
   * @return the outcome
   * @throws IllegalArgumentException if {@code error} is {@code NONE} or the latency is negative
   */
  public static Outcome error(ErrorKind error, long latencyNanos) {
    Objects.requireNonNull(error, "error");
    if (error == ErrorKind.NONE) {
      throw new IllegalArgumentException("error: NONE (expected: a failure kind; use response())");
    }
    return new Outcome(0, error, checkLatency(latencyNanos));
  }

  private static long checkLatency(long latencyNanos) {
    if (latencyNanos < 0) {
      throw new IllegalArgumentException("latencyNanos: " + latencyNanos + " (expected: >= 0)");
    }
    return latencyNanos;
  }

  /**
   * The HTTP status, or 0 when the call produced no response.
   *
   * @return the status or 0
   */
  public int status() {
    return status;
  }

  /**
   * Why no response arrived, or {@link ErrorKind#NONE} when one did.
   *
   * @return the error kind
   */
  public ErrorKind error() {
    return error;
  }

  /**
   * The latency in nanoseconds.
   *
   * @return the latency
   */
  public long latencyNanos() {
    return latencyNanos;
  }

  /**
   * Whether the call counts as a failure of the backend: a connection-level error (not a
   * cancellation) or a 5xx status.
   *
   * @return {@code true} for a backend failure
   */
  public boolean isFailure() {
    return error.isBackendFailure() || status >= 500;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Outcome other
        && other.status == status
        && other.error == error
        && other.latencyNanos == latencyNanos;
  }

  @Override
  public int hashCode() {
    return Objects.hash(status, error, latencyNanos);
  }

  @Override
  public String toString() {
    return (error == ErrorKind.NONE ? "status " + status : "error " + error)
        + " after "
        + latencyNanos
        + " ns";
  }
}
