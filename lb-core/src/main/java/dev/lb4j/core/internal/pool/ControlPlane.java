package dev.lb4j.core.internal.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lb4j.api.Backend;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.health.BackendHealth;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.jspecify.annotations.Nullable;

/**
 * The one serialised way to change a pool. Every change follows the same steps: take {@link #lock},
 * {@link #begin} a {@link Change}, compute the next health values and membership (pure functions;
 * nothing is written), {@link #commit}: build the snapshot (the only step that can fail, and then
 * nothing was written), write the values, publish the snapshot with one volatile write, queue the
 * events, tell the timers; release the lock; {@link #finish}: run deferred work and deliver the
 * events. Nothing can fail halfway, so nothing is ever rolled back.
 */
final class ControlPlane {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  /** Serialises every change of the pool. */
  final Object lock = new Object();

  private final PoolImpl pool;
  private final String name;
  private final Ticker ticker;
  private final SnapshotBuilder builder;
  private final HealthEvents events;

  @GuardedBy("lock")
  private List<BackendState> members;

  /**
   * Backends removed while some of this pool's leases may still hold them; pruned once idle. Only
   * {@link #inFlightOfBackends} reads it, for pools that keep no pool-wide in-flight counter.
   */
  @GuardedBy("lock")
  private final List<BackendState> departed = new ArrayList<>();

  @GuardedBy("lock")
  private long generation;

  /** Once set, no change may publish a live snapshot again. */
  @GuardedBy("lock")
  private boolean closed;

  @GuardedBy("lock")
  private List<HealthTimers> timers = List.of();

  @GuardedBy("lock")
  private @Nullable RequestPath path;

  /** Work that must not run under the lock (cancelling probe stages runs their callbacks). */
  private final Queue<Runnable> afterUnlock = new ConcurrentLinkedQueue<>();

  ControlPlane(PoolImpl pool, Ticker ticker, SnapshotBuilder builder, HealthEvents events) {
    this.pool = pool;
    this.name = pool.name();
    this.ticker = ticker;
    this.builder = builder;
    this.events = events;
    synchronized (lock) {
      this.members = List.of();
    }
  }

  /**
   * Builds the first snapshot over {@code initial}.
   *
   * @throws IllegalArgumentException or IllegalStateException if the algorithm cannot build a picker
   */
  Snapshot initial(List<BackendState> initial) {
    synchronized (lock) {
      Snapshot first = builder.build(initial, BackendState::health, ++generation, null, true);
      members = List.copyOf(initial);
      return first;
    }
  }

  /**
   * Builds the first snapshot of a pool that succeeds another in a reconfiguration, over {@code
   * initial} (adopted and new backends) with {@code health} as proposed. {@code firstGeneration}
   * continues the predecessor's numbering, so that the availability stamps of adopted backends stay
   * comparable with this pool's snapshots.
   *
   * @throws IllegalArgumentException or IllegalStateException if the algorithm cannot build a picker
   */
  Snapshot initialAdopted(
      List<BackendState> initial,
      java.util.function.Function<BackendState, BackendHealth> health,
      long firstGeneration) {
    synchronized (lock) {
      Snapshot first = builder.build(initial, health, firstGeneration, null, true);
      generation = firstGeneration;
      members = List.copyOf(initial);
      return first;
    }
  }

  /** Stamps the members' availability for the first snapshot, once adopted backends are ours. */
  void stampInitial(Snapshot first) {
    synchronized (lock) {
      stampAvailability(members, first, generation);
    }
  }

  /** The generation of the newest snapshot. */
  @GuardedBy("lock")
  long generation() {
    return generation;
  }

  /**
   * Retires this pool for the one that succeeds it in a reconfiguration: no change may publish
   * again (timers find the pool closed), timed work stops, and {@code forwarding}, whose picker picks
   * from the successor, is published, so that selections that still reach this pool are served.
   */
  @GuardedBy("lock")
  void retire(Snapshot forwarding) {
    closed = true;
    generation = forwarding.generation;
    java.util.Objects.requireNonNull(path, "path").publish(forwarding);
    for (HealthTimers t : timers) {
      t.close();
    }
  }

  /**
   * Tells the timers about every member as if each had just joined with its current health: probe
   * loops start, ejections end and slow-start windows close at the times they carry. Starts a pool
   * that succeeds another, whose adopted members bring that state along.
   */
  void replayToTimers() {
    try {
      synchronized (lock) {
        long now = ticker.nanoTime();
        for (HealthTimers t : timers) {
          for (BackendState b : members) {
            t.onChange(b, null, b.health(), now);
          }
        }
      }
    } finally {
      finish();
    }
  }

  /**
   * Posts {@link HealthEvent.BackendAdded} (or {@link HealthEvent.BackendRemoved}) for every member,
   * as adding (or removing) them one by one would: a reconfiguration adds or removes a whole pool.
   */
  void announceMembers(boolean added) {
    try {
      synchronized (lock) {
        long now = ticker.nanoTime();
        for (BackendState b : members) {
          BackendHealth h = b.health();
          events.post(
              added
                  ? new HealthEvent.BackendAdded(name, b.id(), h.status(), h.reason(), now)
                  : new HealthEvent.BackendRemoved(name, b.id(), h.status(), "removed", now));
        }
      }
    } finally {
      finish();
    }
  }

  /** Connects the request path and the timers; called once, before any change. */
  void connect(RequestPath path, List<HealthTimers> timers) {
    synchronized (lock) {
      this.path = path;
      this.timers = List.copyOf(timers);
    }
  }

  @GuardedBy("lock")
  Change begin() {
    return new Change(members, ticker.nanoTime());
  }

  @GuardedBy("lock")
  boolean isClosed() {
    return closed;
  }

  @GuardedBy("lock")
  void requireOpen() {
    if (closed) {
      throw new IllegalStateException("load balancer is closed");
    }
  }

  @GuardedBy("lock")
  List<BackendState> members() {
    return members;
  }

  /** In-flight leases on the members and on removed backends that still have some. */
  @GuardedBy("lock")
  long inFlightOfBackends() {
    long sum = 0;
    for (BackendState b : members) {
      sum += b.inFlight();
    }
    departed.removeIf(b -> b.inFlight() == 0);
    for (BackendState b : departed) {
      sum += b.inFlight();
    }
    return sum;
  }

  /** Queues work to run once the lock is released. */
  void afterUnlock(Runnable task) {
    afterUnlock.add(task);
  }

  /**
   * Publishes a change: see the class comment. When it throws, nothing of the change is visible.
   *
   * @throws IllegalStateException if the pool is closed, or the algorithm failed to build a picker
   * @throws IllegalArgumentException if the algorithm's configuration does not fit the backends
   */
  @GuardedBy("lock")
  void commit(Change c) {
    requireOpen();
    if (c.isEmpty()) {
      return;
    }
    RequestPath requestPath = java.util.Objects.requireNonNull(path, "path");
    List<BackendState> next = c.nextMembers();
    long nextGeneration = generation + 1;
    Snapshot built = null;
    if (c.needsSnapshot()) {
      built = build(c, next, nextGeneration, requestPath.snapshot());
    }
    // Committed: nothing below can fail.
    long now = c.now();
    List<BackendState> touched = c.touched();
    List<BackendHealth> before = new ArrayList<>(touched.size());
    for (BackendState b : touched) {
      BackendHealth was = b.health();
      BackendHealth is = c.health(b);
      before.add(was);
      b.setHealth(is);
      if (was.status() != is.status()) {
        events.post(
            new HealthEvent.StatusChanged(name, b.id(), was.status(), is.status(), is.reason(), now));
      }
    }
    List<BackendState> added = List.of();
    if (c.membershipChanged()) {
      added = membershipEvents(c, next, now);
    }
    if (built != null) {
      generation = nextGeneration;
      stampAvailability(next, built, nextGeneration);
      members = next;
      Snapshot previous = requestPath.publish(built);
      if (built.panic != previous.panic) {
        events.post(
            new HealthEvent.PanicChanged(
                name, built.panic, built.healthy, built.eligible, panicReason(built), now));
      }
    }
    for (HealthTimers t : timers) {
      for (BackendState b : c.gone()) {
        t.onRemoved(b);
      }
      for (int i = 0; i < touched.size(); i++) {
        t.onChange(touched.get(i), before.get(i), touched.get(i).health(), now);
      }
      for (BackendState b : added) {
        t.onChange(b, null, b.health(), now);
      }
    }
  }

  /**
   * Builds the snapshot of a change. Proposed weights are written to their backends first, because
   * algorithms read weights from the backends they are given; if the build fails, the old weights
   * are written back before the exception leaves, so the change still leaves no trace.
   */
  @GuardedBy("lock")
  private Snapshot build(Change c, List<BackendState> next, long nextGeneration, Snapshot previous) {
    IdentityHashMap<BackendState, Integer> old = new IdentityHashMap<>();
    c.weights().forEach((b, w) -> {
      old.put(b, b.weight());
      b.setWeight(w);
    });
    boolean rebuild = c.membershipChanged() || !c.weights().isEmpty();
    try {
      return builder.build(next, c::health, nextGeneration, previous, rebuild);
    } catch (RuntimeException e) {
      old.forEach(BackendState::setWeight);
      throw e;
    }
  }

  /** Backends removed, then backends added, in that order; returns the added ones. */
  @GuardedBy("lock")
  private List<BackendState> membershipEvents(Change c, List<BackendState> next, long now) {
    Set<String> nextIds = new HashSet<>();
    for (BackendState b : next) {
      nextIds.add(b.id());
    }
    departed.removeIf(b -> b.inFlight() == 0); // earlier removals, long past any racing pick
    for (BackendState b : c.gone()) {
      b.leave();
      departed.add(b); // even if idle now: a pick from an older snapshot may still take it
      String reason =
          nextIds.contains(b.id()) ? "replaced (its URI, zone or metadata changed)" : "removed";
      events.post(new HealthEvent.BackendRemoved(name, b.id(), b.health().status(), reason, now));
    }
    Set<BackendState> old = Collections.newSetFromMap(new IdentityHashMap<>());
    old.addAll(members);
    List<BackendState> added = new ArrayList<>();
    for (BackendState b : next) {
      if (!old.contains(b)) {
        added.add(b);
        BackendHealth h = b.health();
        events.post(new HealthEvent.BackendAdded(name, b.id(), h.status(), h.reason(), now));
      }
    }
    return added;
  }

  /**
   * Stamps the backends the new snapshot leaves out (not serving, or no longer members) with its
   * generation before it is published, so a pick that returns one can tell a race from a broken
   * algorithm.
   */
  @GuardedBy("lock")
  private void stampAvailability(List<BackendState> next, Snapshot built, long nextGeneration) {
    Set<Backend> inSnapshot = Collections.newSetFromMap(new IdentityHashMap<>());
    inSnapshot.addAll(built.backends());
    Set<BackendState> staying = Collections.newSetFromMap(new IdentityHashMap<>());
    staying.addAll(next);
    for (BackendState b : members) {
      if (!staying.contains(b)) {
        b.setUnavailableFrom(Math.min(b.unavailableFrom(), nextGeneration));
      }
    }
    for (BackendState b : next) {
      b.setUnavailableFrom(
          inSnapshot.contains(b) ? Long.MAX_VALUE : Math.min(b.unavailableFrom(), nextGeneration));
    }
  }

  private String panicReason(Snapshot built) {
    if (built.panic) {
      return built.panicReason;
    }
    if (built.picker == null) {
      return built.unavailable.message(); // panic ended because nobody is eligible any more
    }
    return built.healthy + " of " + built.eligible
        + " backends healthy, at or above the panic threshold of " + builder.panicThreshold() + "%";
  }

  /** Publishes a snapshot that answers every selection with {@code whenClosed}; stops timed work. */
  void close(NoBackend whenClosed) {
    try {
      synchronized (lock) {
        closed = true;
        java.util.Objects.requireNonNull(path, "path")
            .publish(Snapshot.empty(pool, ++generation, whenClosed));
        for (HealthTimers t : timers) {
          t.close();
        }
      }
    } finally {
      finish();
    }
  }

  /** After the lock is released: runs deferred work, then delivers the queued events. */
  void finish() {
    Runnable task;
    while ((task = afterUnlock.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "pool '" + name + "': cleanup failed", e);
      }
    }
    events.deliver();
  }

  /** Logs a change that a timer or a request's outcome triggered and that could not be applied. */
  void logFailure(String what, RuntimeException e) {
    LOG.log(Level.ERROR, "pool '" + name + "': " + what + " could not be applied: " + e, e);
  }

  /** The member with this id, or null. */
  @GuardedBy("lock")
  @Nullable BackendState find(String id) {
    for (BackendState b : members) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    return null;
  }

  /** The member with this id; an error naming the pool's ids when there is none. */
  @GuardedBy("lock")
  BackendState require(String id) {
    BackendState b = find(id);
    if (b == null) {
      List<String> ids = new ArrayList<>();
      for (BackendState m : members) {
        ids.add(m.id());
      }
      throw new IllegalArgumentException(
          "backend id: '" + id + "' is not in pool '" + name + "' (expected one of " + ids + ")");
    }
    return b;
  }
}
