package dev.lb4j.core.internal;

import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.HealthListener;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Delivers health events of one load balancer to its listeners: in the order they were posted (pools
 * post under their lock), one at a time, on whichever thread calls {@link #deliver()} after releasing
 * its locks. A listener that posts events itself (through the admin API) sees them delivered after it
 * returns, never re-entrantly.
 */
public final class HealthEvents {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final CopyOnWriteArrayList<HealthListener> listeners = new CopyOnWriteArrayList<>();
  private final Queue<HealthEvent> queue = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean delivering = new AtomicBoolean();

  public void add(HealthListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public boolean remove(HealthListener listener) {
    return listeners.remove(listener);
  }

  /** Queues an event; call under the pool's lock so events keep the order of the changes. */
  public void post(HealthEvent event) {
    if (!listeners.isEmpty()) {
      queue.add(event);
    }
  }

  /**
   * Holds delivery back for a change made of several steps (a reconfiguration), so that no listener
   * runs, and perhaps calls back into the engine, halfway through it: events posted meanwhile queue
   * up. Pair with {@link #release}.
   *
   * @return whether this call holds delivery (false when another thread is delivering: it delivers
   *     what is posted meanwhile)
   */
  public boolean hold() {
    return delivering.compareAndSet(false, true);
  }

  /**
   * Ends a {@link #hold()} and delivers what queued up.
   *
   * @param held what {@link #hold()} returned
   */
  public void release(boolean held) {
    if (held) {
      delivering.set(false);
    }
    deliver();
  }

  /** Delivers queued events unless another thread is doing so (it will deliver ours too). */
  public void deliver() {
    while (!queue.isEmpty() && delivering.compareAndSet(false, true)) {
      try {
        HealthEvent event;
        while ((event = queue.poll()) != null) {
          for (HealthListener listener : listeners) {
            try {
              listener.onEvent(event);
            } catch (Exception | LinkageError | AssertionError e) { // checked ones too (Kotlin, Scala)
              // The event's kind, pool and reason: its nanoTime would mean nothing in a log.
              LOG.log(Level.WARNING, "health listener " + listener + " threw on "
                  + event.getClass().getSimpleName() + " in pool '" + event.pool() + "' ("
                  + event.reason() + ")", e);
            }
          }
        }
      } finally {
        delivering.set(false);
      }
    }
  }
}
