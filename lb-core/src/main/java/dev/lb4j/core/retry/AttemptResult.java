package dev.lb4j.core.retry;

import dev.lb4j.api.ErrorKind;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How one attempt ended, as the adapter's transport classified it. The attempt loop records it on
 * the attempt's lease and decides from it whether to retry; the adapter gets the final one back in
 * {@link CallResult}. Immutable.
 *
 * @param <R> what the adapter keeps of an attempt (its response, buffers, ...)
 * @since 0.1.0
 */
public final class AttemptResult<R> {

  /** The four ways an attempt ends. */
  public enum Kind {
    /** A response arrived; its status counts on the lease. */
    RESPONSE,
    /** No (complete) response: a transport failure of the given {@link ErrorKind}. */
    FAILURE,
    /**
     * The caller's own code failed (its body handler, its request body): not the backend's fault,
     * never retried; a status that arrived still counts, else the lease counts as cancelled.
     */
    CALLER_FAILURE,
    /**
     * The attempt was never sent (the deadline had passed, the request could not be built): its
     * lease counts as cancelled and a retry token it used goes back to the budget.
     */
    NOT_SENT
  }

  private final Kind kind;
  private final int status;
  private final ErrorKind errorKind;
  private final @Nullable Throwable error;
  private final boolean responseStarted;
  private final @Nullable R value;

  private AttemptResult(
      Kind kind,
      int status,
      ErrorKind errorKind,
      @Nullable Throwable error,
      boolean responseStarted,
      @Nullable R value) {
    this.kind = kind;
    this.status = status;
    this.errorKind = errorKind;
    this.error = error;
    this.responseStarted = responseStarted;
    this.value = value;
  }

  /**
   * A response arrived. A status outside {@code 100..599} counts as a {@link ErrorKind#PROTOCOL}
   * failure of the backend and is final.
   *
   * @param status the HTTP status
   * @param value what the adapter keeps of it
   * @param <R> the adapter's type
   * @return the result
   */
  public static <R> AttemptResult<R> response(int status, R value) {
    return new AttemptResult<>(
        Kind.RESPONSE, status, ErrorKind.NONE, null, false, Objects.requireNonNull(value, "value"));
  }

  /**
   * No complete response arrived.
   *
   * @param kind why; {@link ErrorKind#CANCELLED} is final and not held against the backend
   * @param error the transport's exception
   * @param responseStarted whether part of the response already reached the caller (then the
   *     attempt is never retried)
   * @param value what the adapter keeps of the attempt, or {@code null}
   * @param <R> the adapter's type
   * @return the result
   */
  public static <R> AttemptResult<R> failure(
      ErrorKind kind, Throwable error, boolean responseStarted, @Nullable R value) {
    Objects.requireNonNull(kind, "kind");
    if (kind == ErrorKind.NONE) {
      throw new IllegalArgumentException("kind: NONE (expected: a failure kind; use response())");
    }
    return new AttemptResult<>(
        Kind.FAILURE, 0, kind, Objects.requireNonNull(error, "error"), responseStarted, value);
  }

  /**
   * The caller's own code failed; final, not the backend's fault.
   *
   * @param error what the caller's code threw
   * @param status the status that had arrived, or 0
   * @param value what the adapter keeps of the attempt, or {@code null}
   * @param <R> the adapter's type
   * @return the result
   */
  public static <R> AttemptResult<R> callerFailure(
      Throwable error, int status, @Nullable R value) {
    return new AttemptResult<>(
        Kind.CALLER_FAILURE, status, ErrorKind.NONE, Objects.requireNonNull(error, "error"),
        false, value);
  }

  /**
   * The attempt was never sent; final unless other attempts are in flight.
   *
   * @param error why
   * @param <R> the adapter's type
   * @return the result
   */
  public static <R> AttemptResult<R> notSent(Throwable error) {
    return new AttemptResult<>(
        Kind.NOT_SENT, 0, ErrorKind.NONE, Objects.requireNonNull(error, "error"), false, null);
  }

  /**
   * How the attempt ended.
   *
   * @return the kind
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The status of a response (or of a caller failure after the status arrived), else 0.
   *
   * @return the status or 0
   */
  public int status() {
    return status;
  }

  /**
   * The transport failure's kind; {@link ErrorKind#NONE} unless {@link Kind#FAILURE}.
   *
   * @return the error kind
   */
  public ErrorKind errorKind() {
    return errorKind;
  }

  /**
   * The exception, for every kind but {@link Kind#RESPONSE}.
   *
   * @return the exception, or {@code null} for a response
   */
  public @Nullable Throwable error() {
    return error;
  }

  /**
   * Whether part of the response had reached the caller when the failure happened.
   *
   * @return {@code true} if so
   */
  public boolean responseStarted() {
    return responseStarted;
  }

  /**
   * What the adapter kept of the attempt.
   *
   * @return the value, or {@code null}
   */
  public @Nullable R value() {
    return value;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case RESPONSE -> "status " + status;
      case FAILURE -> errorKind + " (" + error + ")";
      case CALLER_FAILURE -> "failed in the caller's code (" + error + ")";
      case NOT_SENT -> "not sent (" + error + ")";
    };
  }
}
