package dev.lb4j.core.retry;

import dev.lb4j.core.Scheduler;

/**
 * Starts one attempt without waiting for it, for {@link Execution#runAsync}.
 *
 * @param <R> what the adapter keeps of an attempt
 * @since 0.1.0
 */
@FunctionalInterface
public interface AsyncTransport<R> {

  /**
   * Starts sending the attempt to {@code attempt.lease().backend()}; when it ends, on any thread
   * (even before this method returns), call {@link Attempt#complete} once. Never completes, fails
   * or closes the lease: the loop does. Before handing any part of a response to the caller, call
   * {@link Attempt#commit()} and drop the response if it returns {@code false} (another attempt
   * won, or the call was cancelled).
   *
   * @param attempt the attempt
   * @return a handle that cancels the exchange (a lost hedge, a cancelled call); idempotent
   */
  Scheduler.Cancellable start(Attempt<R> attempt);
}
