package dev.lb4j.api;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Checks whether one backend can serve traffic.
 *
 * <p>Probes are asynchronous so thousands of backends need no thread each: {@link #check} starts the
 * check and returns at once. The engine applies the timeout itself as well; a stage that completes
 * exceptionally, never completes, or a {@code check} that throws, counts as a failed check with that
 * reason and never stops the scheduler.
 *
 * <p>Thread-safety: {@link #check} may be called concurrently for different backends.
 *
 * <p>Resources: a probe that holds threads or clients releases them in {@link #close()}, which each
 * load balancer using the probe calls once when it closes.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface HealthProbe {

  /**
   * Starts checking one backend.
   *
   * @param backend the backend to check
   * @param timeout how long the check may take; the probe should give up by then
   * @return a stage completed with the result
   */
  CompletionStage<HealthResult> check(Backend backend, Duration timeout);

  /**
   * Releases what the probe holds (clients, threads). A load balancer calls it once when it closes,
   * after its probe loops have stopped, for each distinct probe (by identity) its pools use, however
   * many of its pools share the probe. A probe shared by several load balancers is closed by each of
   * them, so it must work again if {@link #check} is called after {@code close()}: acquire what it
   * needs again on the next check, or count its users. An exception it throws is logged and
   * ignored. The default does nothing.
   *
   * @since 0.1.0
   */
  default void close() {}
}
