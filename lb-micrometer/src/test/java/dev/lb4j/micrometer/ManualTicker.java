package dev.lb4j.micrometer;

import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Ticker;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * The engine's ticker and scheduler in one fake clock: time moves only in {@link #advance}, which
 * runs the tasks that fall due (a small copy of lb-core's test clock). Thread-safe.
 */
final class ManualTicker implements Ticker, Scheduler {

  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now = 1_000_000_000L;
  private long sequence;

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public synchronized Cancellable schedule(Runnable task, long delayNanos) {
    Task t = new Task(now + delayNanos, sequence++, task);
    queue.add(t);
    return () -> {
      synchronized (ManualTicker.this) {
        queue.remove(t);
      }
    };
  }

  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
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
  }

  private record Task(long due, long seq, Runnable runnable) implements Comparable<Task> {
    @Override
    public int compareTo(Task o) {
      return due != o.due ? Long.compare(due, o.due) : Long.compare(seq, o.seq);
    }
  }
}
