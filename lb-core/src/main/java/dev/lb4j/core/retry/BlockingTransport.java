package dev.lb4j.core.retry;

/**
 * Sends one attempt on the calling thread, for {@link Execution#runBlocking}.
 *
 * @param <R> what the adapter keeps of an attempt
 * @since 0.1.0
 */
@FunctionalInterface
public interface BlockingTransport<R> {

  /**
   * Sends the attempt to {@code attempt.lease().backend()} and waits for its result. Never
   * completes, fails or closes the lease: the loop does. Before handing any part of a response to
   * the caller, call {@link Attempt#commit()}; a status for which {@link Attempt#mayRetry(int)} is
   * {@code true} should be kept aside instead, in case the loop retries.
   *
   * @param attempt the attempt
   * @return how it ended
   * @throws InterruptedException when interrupted; the loop releases the lease and rethrows
   */
  AttemptResult<R> send(Attempt<R> attempt) throws InterruptedException;
}
