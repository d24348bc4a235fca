package dev.lb4j.servlet;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.HealthListener;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The recent health events of a load balancer for the admin interface ({@code GET /events}): a
 * bounded ring buffer fed by a {@link HealthListener} registered on the load balancer when the
 * admin interface is built and removed by {@link #close()}. Each event gets a sequence number, so
 * a poller asks only for what is newer than what it has ({@code ?after=n}), and the wall-clock
 * time it arrived (events carry the engine's ticker reading, which is no time of day).
 *
 * <p>Thread-safe: events arrive on the engine's threads, reads come from request threads; both
 * take the buffer's lock for a few field copies.
 */
final class AdminEvents implements HealthListener {

  /** How many events the buffer keeps; older ones are dropped first. */
  static final int CAPACITY = 256;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final LoadBalancer lb;
  private final Object lock = new Object();
  // @GuardedBy("lock")
  private final ArrayDeque<Entry> entries = new ArrayDeque<>(CAPACITY);
  // @GuardedBy("lock")
  private long last;

  private record Entry(long seq, Instant at, HealthEvent event) {}

  private AdminEvents(LoadBalancer lb) {
    this.lb = lb;
  }

  /** A buffer registered on {@code lb}. */
  static AdminEvents register(LoadBalancer lb) {
    AdminEvents events = new AdminEvents(lb);
    lb.addHealthListener(events);
    return events;
  }

  @Override
  public void onEvent(HealthEvent event) {
    Instant now = Instant.now();
    synchronized (lock) {
      if (entries.size() == CAPACITY) {
        entries.removeFirst();
      }
      entries.addLast(new Entry(++last, now, event));
    }
  }

  /** Stops listening; the buffer keeps what it has. */
  void close() {
    lb.removeHealthListener(this);
  }

  /**
   * {@code {"capacity", "last", "events": [...]}}, oldest first, only events with a sequence
   * number above {@code after}.
   */
  ObjectNode json(long after) {
    ObjectNode out = NODES.objectNode();
    out.put("capacity", CAPACITY);
    ArrayNode list = out.putArray("events");
    synchronized (lock) {
      out.put("last", last);
      Iterator<Entry> it = entries.iterator();
      while (it.hasNext()) {
        Entry e = it.next();
        if (e.seq() > after) {
          list.add(entry(e));
        }
      }
    }
    return out;
  }

  private static ObjectNode entry(Entry e) {
    ObjectNode out = NODES.objectNode();
    out.put("seq", e.seq());
    out.put("time", e.at().toString());
    HealthEvent event = e.event();
    out.put("pool", event.pool());
    // Java 17: no pattern matching in switch, so the sealed cases one by one
    if (event instanceof HealthEvent.StatusChanged c) {
      out.put("type", "status");
      out.put("backend", c.backendId());
      out.put("from", c.from().name());
      out.put("to", c.to().name());
    } else if (event instanceof HealthEvent.PanicChanged p) {
      out.put("type", p.panic() ? "panic-start" : "panic-end");
      out.put("healthy", p.healthy());
      out.put("eligible", p.eligible());
    } else if (event instanceof HealthEvent.BackendAdded a) {
      out.put("type", "added");
      out.put("backend", a.backendId());
      out.put("to", a.status().name());
    } else if (event instanceof HealthEvent.BackendRemoved r) {
      out.put("type", "removed");
      out.put("backend", r.backendId());
      out.put("from", r.lastStatus().name());
    }
    out.put("reason", event.reason());
    return out;
  }
}
