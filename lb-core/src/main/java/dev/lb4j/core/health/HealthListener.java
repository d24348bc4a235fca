package dev.lb4j.core.health;

/**
 * Receives health events: every change of a backend's state, and panic mode starting and ending.
 *
 * <p>Events are delivered in the order they happened, one at a time, on the thread that caused the
 * change (a probe's completion, a lease's release, an admin call, the scheduler), after the engine
 * released its locks, so a listener may call the admin API. Keep listeners quick; an exception from
 * one is logged and does not affect the engine or other listeners.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface HealthListener {

  /**
   * Called for each event.
   *
   * @param event the event
   */
  void onEvent(HealthEvent event);
}
