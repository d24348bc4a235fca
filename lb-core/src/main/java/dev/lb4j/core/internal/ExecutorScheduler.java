package dev.lb4j.core.internal;

import dev.lb4j.core.Scheduler;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
  /** The threads an owned executor started, joined by {@link #close()}. */
  private final Set<Thread> threads;

  private ExecutorScheduler(ScheduledExecutorService executor, boolean owned, Set<Thread> threads) {
    this.executor = executor;
    this.owned = owned;
    this.threads = threads;
  }

  /** How long {@link #close()} waits for the thread of a scheduler it shuts down to end. */
  private static final long CLOSE_WAIT_SECONDS = 5;

  /** The thread of a scheduler made by {@link #daemon()}. */
  private static final class SchedulerThread extends Thread {
    SchedulerThread(Runnable task) {
      super(task, "lb4j-scheduler-" + THREADS.incrementAndGet());
      setDaemon(true);
    }
  }

  /** A scheduler with one daemon thread, shut down by {@link #close()}. */
  public static ExecutorScheduler daemon() {
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread t = new SchedulerThread(task);
              threads.add(t);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return new ExecutorScheduler(executor, true, threads);
  }

  /** A scheduler over an executor the caller owns; {@link #close()} leaves it running. */
  public static ExecutorScheduler wrap(ScheduledExecutorService executor) {
    return new ExecutorScheduler(Objects.requireNonNull(executor, "executor"), false, Set.of());
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

  /**
   * Shuts an owned executor down and waits (at most {@value #CLOSE_WAIT_SECONDS} s) for its thread
   * to end, so no thread outlives the load balancer's {@code close()}; called on a scheduler thread
   * (a listener closing the load balancer), it does not wait for itself.
   */
  @Override
  public void close() {
    if (!owned) {
      return;
    }
    executor.shutdownNow();
    if (Thread.currentThread() instanceof SchedulerThread) {
      return;
    }
    // The executor terminates just before its thread's last instructions: join the thread too.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
    try {
      for (Thread t : threads) {
        long left = deadline - System.nanoTime();
        if (left > 0) {
          TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
        if (t.isAlive()) {
          LOG.log(Level.WARNING, t.getName() + " still running " + CLOSE_WAIT_SECONDS
              + " s after close (a task ignores interruption)");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
