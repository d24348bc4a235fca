package dev.lb4j.core.internal;

import dev.lb4j.core.Scheduler;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** {@link Scheduler} over a {@link ScheduledExecutorService}; optionally owns (and shuts down) it. */
public final class ExecutorScheduler implements Scheduler, AutoCloseable {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ScheduledExecutorService executor;
  private final boolean owned;

  private ExecutorScheduler(ScheduledExecutorService executor, boolean owned) {
    this.executor = executor;
    this.owned = owned;
  }

  /** A scheduler with one daemon thread, shut down by {@link #close()}. */
  public static ExecutorScheduler daemon() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread t = new Thread(task, "lb4j-scheduler-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return new ExecutorScheduler(executor, true);
  }

  /** A scheduler over an executor the caller owns; {@link #close()} leaves it running. */
  public static ExecutorScheduler wrap(ScheduledExecutorService executor) {
    return new ExecutorScheduler(Objects.requireNonNull(executor, "executor"), false);
  }

  @Override
  public Cancellable schedule(Runnable task, long delayNanos) {
    Runnable guarded =
        () -> {
          try {
            task.run();
          } catch (RuntimeException | Error e) { // never let one task kill the thread or later tasks
            LOG.log(Level.ERROR, "lb4j scheduled task failed", e);
          }
        };
    ScheduledFuture<?> f;
    try {
      f = executor.schedule(guarded, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      return () -> {}; // shut down: the load balancer is closing, nothing more needs to run
    }
    return () -> f.cancel(false);
  }

  /** Whether closing the load balancer should shut this scheduler down. */
  public boolean owned() {
    return owned;
  }

  @Override
  public void close() {
    if (owned) {
      executor.shutdownNow();
    }
  }
}
