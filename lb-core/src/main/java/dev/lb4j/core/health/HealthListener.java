package dev.lb4j.core.health;

/**
 * Receives health events: every change of a backend's state, backends joining and leaving, and panic
 * mode starting and ending.
 *
 * <p>Events of a load balancer are delivered in the order they happened, one at a time, after the
 * engine released its locks, so a listener may call the admin API (events that causes arrive after
 * the listener returns). Delivery happens on a thread that made a change (a probe's completion, a
 * lease's release, an admin call, the scheduler); when changes happen concurrently, one of those
 * threads delivers the others' events too. Keep listeners quick; an exception from one is logged and
 * does not affect the engine or other listeners. Only committed changes are delivered: a change that
 * fails (its picker cannot be built) publishes no event.
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
