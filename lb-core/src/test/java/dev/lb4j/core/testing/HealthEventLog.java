package dev.lb4j.core.testing;

import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.HealthListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A health listener that records every event, thread-safely, in delivery order, with filters for
 * the kinds of event tests look at. Equal only to itself, as a listener must be: the engine finds a
 * listener to remove by {@code equals}.
 */
public final class HealthEventLog implements HealthListener {

  private final List<HealthEvent> events = new CopyOnWriteArrayList<>();

  @Override
  public void onEvent(HealthEvent event) {
    events.add(event);
  }

  /** A position to read later events from. */
  public int mark() {
    return events.size();
  }

  /** A copy of the events recorded so far. */
  public List<HealthEvent> all() {
    return List.copyOf(events);
  }

  /** The state changes recorded since {@code mark}. */
  public List<HealthEvent.StatusChanged> statusChangesSince(int mark) {
    List<HealthEvent> snapshot = all();
    List<HealthEvent.StatusChanged> out = new ArrayList<>();
    for (HealthEvent e : snapshot.subList(mark, snapshot.size())) {
      if (e instanceof HealthEvent.StatusChanged s) {
        out.add(s);
      }
    }
    return out;
  }

  /** Every state change recorded. */
  public List<HealthEvent.StatusChanged> statusChanges() {
    return statusChangesSince(0);
  }

  /** The state changes of backend {@code id} (in any pool). */
  public List<HealthEvent.StatusChanged> statusChanges(String id) {
    List<HealthEvent.StatusChanged> out = new ArrayList<>();
    for (HealthEvent.StatusChanged s : statusChanges()) {
      if (s.backendId().equals(id)) {
        out.add(s);
      }
    }
    return out;
  }

  /** The panic mode changes recorded. */
  public List<HealthEvent.PanicChanged> panicChanges() {
    List<HealthEvent.PanicChanged> out = new ArrayList<>();
    for (HealthEvent e : all()) {
      if (e instanceof HealthEvent.PanicChanged p) {
        out.add(p);
      }
    }
    return out;
  }
}
