package dev.lb4j.httpclient;

import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Ticker;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A fake clock that is both the engine's {@link Ticker} and its {@link Scheduler}: time stands still
 * until a test calls {@link #advance}, which runs every task that falls due, in due-time order, with
 * the ticker reading each task's due time while it runs. Tests control time and never sleep.
 *
 * <p>Thread-safe; tasks run on the thread that calls {@code advance} or {@link #runDue()}. The same
 * clock as lb-core's test fixture {@code dev.lb4j.core.testing.ManualClock} (lb-core's tests are
 * not published for other modules), for the client's ticker and scheduler.
 */
final class ManualClock implements Ticker, Scheduler {

  private static final int MAX_TASKS_PER_ADVANCE = 10_000_000;

  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now;
  private long sequence;

  /** Starts at an arbitrary non-zero reading, as {@link System#nanoTime()} would. */
  ManualClock() {
    this(1_000_000_000L);
  }

  ManualClock(long startNanos) {
    this.now = startNanos;
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, long delayNanos) {
    if (delayNanos < 0) {
      throw new IllegalArgumentException("delayNanos: " + delayNanos);
    }
    Task t = new Task(now + delayNanos, sequence++, task);
    queue.add(t);
    return () -> {
      synchronized (ManualClock.this) {
        queue.remove(t);
      }
    };
  }

  /** Moves time forward by {@code d}, running every task due by then. */
  public void advance(Duration d) {
    advanceNanos(d.toNanos());
  }

  /** Moves time forward by {@code nanos}, running every task due by then. */
  public void advanceNanos(long nanos) {
    long target;
    synchronized (this) {
      target = now + nanos;
    }
    runUntil(target);
  }

  /** Runs the tasks due now (for example those scheduled with delay 0) without moving time. */
  public void runDue() {
    runUntil(nanoTime());
  }

  private void runUntil(long target) {
    for (int i = 0; i < MAX_TASKS_PER_ADVANCE; i++) {
      Task next;
      synchronized (this) {
        Task head = queue.peek();
        if (head == null || head.due > target) {
          now = Math.max(now, target);
          return;
        }
        next = queue.poll();
        now = Math.max(now, next.due);
      }
      next.runnable.run();
    }
    throw new IllegalStateException("more than " + MAX_TASKS_PER_ADVANCE + " tasks in one advance");
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public synchronized int pendingTasks() {
    return queue.size();
  }

  private record Task(long due, long seq, Runnable runnable) implements Comparable<Task> {
    @Override
    public int compareTo(Task o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
    }
  }
}
