package dev.lb4j.core.retry;

import dev.lb4j.core.Lease;
import dev.lb4j.core.Scheduler;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One attempt of a request, handed by the {@link Execution} to the adapter's transport: the lease
 * to send it on, how long it may take, and the two questions a transport asks while the response
 * arrives. Thread-safe.
 *
 * @param <R> what the adapter keeps of an attempt
 * @since 0.1.0
 */
public final class Attempt<R> {

  private final Execution<R> execution;
  private final int number;
  private final Lease lease;
  private final @Nullable Duration timeout;
  private final @Nullable String expired;
  private final boolean cutByDeadline;
  private final boolean hedge;
  final boolean usedToken;
  // Guarded by the execution's lock.
  boolean done;
  boolean cancelled;
  Scheduler.@Nullable Cancellable exchange;

  Attempt(
      Execution<R> execution,
      int number,
      Lease lease,
      @Nullable Duration timeout,
      @Nullable String expired,
      boolean cutByDeadline,
      boolean hedge,
      boolean usedToken) {
    this.execution = execution;
    this.number = number;
    this.lease = lease;
    this.timeout = timeout;
    this.expired = expired;
    this.cutByDeadline = cutByDeadline;
    this.hedge = hedge;
    this.usedToken = usedToken;
  }

  /**
   * Which attempt this is, 1 for the first.
   *
   * @return the number
   */
  public int number() {
    return number;
  }

  /**
   * The lease to send this attempt on. The loop completes or closes it; the transport only reads
   * it (backend, route, request header edits).
   *
   * @return the lease
   */
  public Lease lease() {
    return lease;
  }

  /**
   * How long this attempt may take: the retry policy's per-try timeout, cut to what is left of its
   * total timeout and of the request's own deadline; without a per-try timeout, this attempt's
   * share of what is left of the request's timeout when the policy splits it ({@link
   * dev.lb4j.core.policy.RetryPolicy.Attempts#requestTimeoutShare}).
   *
   * @return the timeout, or {@code null} when nothing bounds it
   */
  public @Nullable Duration timeout() {
    return timeout;
  }

  /**
   * Why this attempt must not be sent at all (the request's deadline or the retry policy's total
   * timeout passed before it), or {@code null} to send it. A transport answers such an attempt with
   * {@link AttemptResult#notSent} and its own timeout exception carrying this message.
   *
   * @return the reason, or {@code null}
   */
  public @Nullable String expired() {
    return expired;
  }

  /**
   * Whether this attempt got less than half of the request's own timeout (of an even split of it
   * over the attempts, when the retry policy splits it): a timeout of it is the request's deadline
   * at work, not the backend's fault, and is not held against the backend.
   *
   * @return {@code true} if cut short by the request's deadline
   */
  public boolean cutByDeadline() {
    return cutByDeadline;
  }

  /**
   * Whether this attempt is a hedge (sent while an earlier one was still in flight).
   *
   * @return {@code true} for a hedge
   */
  public boolean isHedge() {
    return hedge;
  }

  /**
   * Whether a response with this status may still be retried (or lose to another attempt), so the
   * transport should keep its body aside rather than hand it to the caller. Asked when the status
   * arrives.
   *
   * @param status the status
   * @return {@code true} to keep the body aside
   */
  public boolean mayRetry(int status) {
    return execution.mayRetry(this, status);
  }

  /**
   * Makes this attempt the one whose response goes to the caller: no retry or hedge follows, and
   * every other attempt in flight is cancelled (its lease counted as cancelled). Call it before
   * handing any part of the response to the caller.
   *
   * @return {@code true} if this attempt is the call's answer; {@code false} if another attempt
   *     already is or the call was cancelled: drop this response
   */
  public boolean commit() {
    return execution.commit(this);
  }

  /**
   * Reports how this attempt ended, for an {@link AsyncTransport}; only the first report counts.
   *
   * @param result the result
   */
  public void complete(AttemptResult<R> result) {
    execution.onDone(this, result);
  }

  @Override
  public String toString() {
    return "attempt " + number + (hedge ? " (hedge)" : "") + " -> " + lease.pool() + "/"
        + lease.backend().id();
  }
}
