package dev.lb4j.core;

import dev.lb4j.core.internal.ExecutorScheduler;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs the engine's timed work: active health probes, their timeouts, the end of passive ejections
 * and of slow-start windows, and outlier-detection sweeps. Inject a manual implementation together
 * with a fake {@link Ticker} in tests, so they control time and never sleep.
 *
 * <p>Delays are in the same nanoseconds as the load balancer's {@link Ticker}; the engine reads the
 * ticker when a task runs. A task that runs late takes effect late; one that runs early (by the
 * ticker) reschedules itself for the remaining time, so an ejection or a slow-start window never ends
 * early. The engine's tasks are quick and never block (probes are asynchronous).
 *
 * <p>The engine calls {@link #schedule} and {@link Cancellable#cancel} while holding its locks, so
 * implementations must never run a task on the calling thread (even one with delay 0) and must not
 * block in either method.
 *
 * <p>Implementations must be thread-safe.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Scheduler {

  /**
   * Runs {@code task} once, {@code delayNanos} from now.
   *
   * @param task the task; exceptions it throws are the engine's bug and must not stop the scheduler
   * @param delayNanos the delay, {@code >= 0}
   * @return a handle that cancels the task if it has not started
   */
  Cancellable schedule(Runnable task, long delayNanos);

  /** A scheduled task that can still be cancelled. */
  @FunctionalInterface
  interface Cancellable {
    /** Cancels the task if it has not started; idempotent. */
    void cancel();
  }

  /**
   * A scheduler on one daemon thread named {@code lb4j-scheduler-<n>}, owned by the load balancer
   * that uses it: {@link LoadBalancer#close()} shuts it down. This is the default when a pool needs
   * timed work; a load balancer without health checking, outlier detection or slow start starts no
   * thread at all.
   *
   * @return a new scheduler
   */
  static Scheduler newDaemonScheduler() {
    return ExecutorScheduler.daemon();
  }

  /**
   * A scheduler running on an executor you own (and shut down). Use it to share one scheduling thread
   * between several load balancers.
   *
   * @param executor the executor
   * @return a scheduler that submits to it
   */
  static Scheduler of(ScheduledExecutorService executor) {
    return ExecutorScheduler.wrap(executor);
  }
}
