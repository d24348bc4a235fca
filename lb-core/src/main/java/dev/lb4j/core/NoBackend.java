package dev.lb4j.core;

import java.util.Objects;

/**
 * A selection that found no backend, and why. Immutable; the engine reuses instances, so the "no
 * backend" path allocates nothing.
 *
 * @since 0.1.0
 */
public final class NoBackend implements Selection {

  /** Why no backend was selected. */
  public enum Reason {
    /** The pool has no backends at all (every one was removed). */
    NO_BACKENDS,
    /**
     * The pool has backends but none can take traffic: all disabled or draining, or all unhealthy or
     * ejected while panic mode is off.
     */
    NONE_AVAILABLE,
    /**
     * Fewer backends are healthy than the pool's panic threshold and the pool is configured to fail
     * fast ({@link dev.lb4j.core.health.PanicMode#FAIL_FAST}); the message gives the numbers.
     */
    TOO_FEW_HEALTHY,
    /** Every available backend was excluded by the caller (all already tried). */
    ALL_EXCLUDED,
    /** The pool's algorithm failed or broke its contract; see the message and the logs. */
    ALGORITHM_FAILED,
    /**
     * The pool, or every backend tried, is at its concurrency limit ({@code maxRequests}, {@code
     * maxRequestsPerBackend}); answer 503 rather than queue.
     */
    CONCURRENCY_LIMIT,
    /**
     * No routing rule matched the request and the load balancer has no default pool; {@link
     * NoBackend#pool()} is then the empty string.
     */
    NO_ROUTE,
    /** The load balancer was closed. */
    CLOSED
  }

  private final String pool;
  private final Reason reason;
  private final String message;

  /**
   * Creates the value; the engine does this, adapters and tests may too.
   *
   * @param pool the pool name
   * @param reason why
   * @param message a human-readable explanation
   */
  public NoBackend(String pool, Reason reason, String message) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.reason = Objects.requireNonNull(reason, "reason");
    this.message = Objects.requireNonNull(message, "message");
  }

  @Override
  public String pool() {
    return pool;
  }

  /**
   * Why no backend was selected.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * A human-readable explanation naming the pool, for logs and 503 bodies.
   *
   * @return the message
   */
  public String message() {
    return message;
  }

  /**
   * Always throws: there is no lease.
   *
   * @throws NoBackendAvailableException always, carrying this value
   */
  @Override
  public Lease leaseOrThrow() {
    throw new NoBackendAvailableException(this);
  }

  @Override
  public String toString() {
    return "NoBackend[" + reason + ": " + message + "]";
  }
}
