package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancerObserver;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.EngineSettings;
import dev.lb4j.core.internal.HealthConfig;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.LeaseImpl;
import dev.lb4j.core.internal.Observation;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;

/**
 * A pool: the {@link Pool} handle, its stats and the admin entry points. The work is done by one
 * class per concern, each owning its state:
 *
 * <ul>
 *   <li>{@link RequestPath}: selection, reading one published {@link Snapshot}; with {@link
 *       ConcurrencyLimits} when the pool sets limits;
 *   <li>{@link ControlPlane}: the one serialised way to change the pool (compute, build with {@link
 *       SnapshotBuilder}, publish, deliver events);
 *   <li>{@link Membership}: add, remove, replace the list, weights;
 *   <li>{@link ActiveChecker}, {@link OutlierDetector}, {@link SlowStartTimer}: health signals, each
 *       owning its timers;
 *   <li>{@link PoolExplainer}: explain.
 * </ul>
 *
 * <p>Thread-safe. Selection never locks; every change goes through the control plane's lock. Admin
 * calls return after the new snapshot is published.
 */
public final class PoolImpl implements Pool {

  private final String name;
  private final Algorithm algorithm;
  private final EngineSettings engine;
  private final Ticker ticker;
  private final long latencyDecayNanos;

  /** Whether leases read the clock: the algorithm reads latency, or latency stats are on. */
  private final boolean measuresLatency;

  /** Hears of every released lease, and of selections through this handle that find none. */
  private final @Nullable LoadBalancerObserver observer;

  /** Whether leases keep the pool-wide in-flight counter: only if the algorithm reads it. */
  private final boolean countsInFlight;
  private final @Nullable HealthCheck check;
  private final @Nullable SlowStart slowStart;
  private final PoolCounters counters = new PoolCounters();
  private final @Nullable ConcurrencyLimits limits;
  private final ControlPlane plane;
  private final RequestPath path;
  private final Membership membership;
  private final @Nullable ActiveChecker checker;
  private final @Nullable OutlierDetector detector;
  private final PoolExplainer explainer;
  private final @Nullable HashKey hashKey;
  private final HealthConfig health;
  private final HealthEvents events;

  /** The pool that replaced this one in a reconfiguration; set once, when this one retires. */
  private volatile @Nullable PoolImpl successor;

  /**
   * Creates a pool and publishes its first snapshot.
   *
   * @throws IllegalStateException if the algorithm cannot build a picker for the backends
   */
  public PoolImpl(
      String name,
      Algorithm algorithm,
      @Nullable HashKey hashKey,
      EngineSettings engine,
      List<BackendSpec> backends,
      HealthConfig health,
      @Nullable Scheduler scheduler,
      HealthEvents events) {
    this(name, algorithm, hashKey, engine, backends, health, scheduler, events, null);
  }

  private PoolImpl(
      String name,
      Algorithm algorithm,
      @Nullable HashKey hashKey,
      EngineSettings engine,
      List<BackendSpec> backends,
      HealthConfig health,
      @Nullable Scheduler scheduler,
      HealthEvents events,
      @Nullable Succession succession) {
    if (health.needsScheduler() && scheduler == null) {
      throw new IllegalArgumentException("pool '" + name + "': health checking needs a scheduler");
    }
    this.name = name;
    this.algorithm = algorithm;
    this.hashKey = hashKey;
    this.engine = engine;
    Ticker ticker = engine.ticker();
    this.ticker = ticker;
    this.latencyDecayNanos = engine.latencyDecayNanos();
    this.measuresLatency = engine.measuresLatency() || algorithm.usesLatency();
    this.observer = engine.observer();
    this.countsInFlight = algorithm.usesPoolInFlight();
    this.check = health.check();
    this.slowStart = health.slowStart();
    this.health = health;
    this.events = events;
    OutlierDetection outlier = health.outlier();
    this.limits =
        health.maxRequests() > 0 || health.maxRequestsPerBackend() > 0
            ? new ConcurrencyLimits(
                this, ticker, counters, health.maxRequests(), health.maxRequestsPerBackend())
            : null;
    NoBackend algorithmFailed =
        new NoBackend(
            name,
            NoBackend.Reason.ALGORITHM_FAILED,
            "pool '" + name + "': algorithm '" + algorithm.name() + "' failed; see the logs");
    SnapshotBuilder builder =
        new SnapshotBuilder(this, health.panicThreshold(), health.panicMode(), algorithmFailed);
    this.plane = new ControlPlane(this, ticker, builder, events);
    this.membership = new Membership(this, plane, check, outlier, slowStart);
    Snapshot first;
    if (succession == null) {
      long now = ticker.nanoTime();
      List<BackendState> initial = new ArrayList<>(backends.size());
      for (BackendSpec spec : backends) {
        initial.add(membership.initial(spec, now));
      }
      first = plane.initial(initial);
    } else {
      first = succession.firstSnapshot(this, plane, membership, backends);
    }
    this.path =
        new RequestPath(this, hashKey, slowStart, ticker, counters, limits, algorithmFailed, first);
    List<HealthTimers> timers = new ArrayList<>(3);
    if (check != null) {
      this.checker = new ActiveChecker(plane, java.util.Objects.requireNonNull(scheduler), check, slowStart);
      timers.add(checker);
    } else {
      this.checker = null;
    }
    if (outlier != null) {
      this.detector =
          new OutlierDetector(plane, java.util.Objects.requireNonNull(scheduler), outlier, slowStart, counters);
      timers.add(detector);
    } else {
      this.detector = null;
    }
    if (slowStart != null) {
      timers.add(new SlowStartTimer(plane, java.util.Objects.requireNonNull(scheduler), slowStart));
    }
    plane.connect(path, timers);
    this.explainer = new PoolExplainer(this, hashKey, slowStart, ticker, limits);
  }

  /** Starts the timed work: probe loops and outlier sweeps. Called once, after construction. */
  public void start() {
    ActiveChecker c = checker;
    if (c != null) {
      c.start();
    }
    OutlierDetector d = detector;
    if (d != null) {
      d.start();
    }
  }

  /**
   * Builds the pool that replaces {@code old} because a reconfiguration changed its settings, and
   * retires {@code old}, in one step under {@code old}'s lock. The new pool adopts every backend of
   * {@code old} that stays (same id, URI, zone and metadata) as the very same object: in-flight
   * count, latency EWMA and outcome counters carry on, and leases opened before release into them;
   * their health carries over as {@link BackendHealth#reconfigured} says (admin decisions, probe
   * verdict and counters, ejection with its end time and history, slow-start progress). Backends
   * whose id is new join as {@link dev.lb4j.core.Admin#addBackend} would have them join; the others
   * leave. {@code old} then stops its timed work and serves the selections that still reach it
   * (requests that read the configuration just before, {@link dev.lb4j.core.Pool} handles kept
   * across the change) from the new pool's picker; leases it grants count in its own counters, as
   * leases opened before the change do. The new pool's timers run once {@link #startSucceeding()}
   * is called.
   *
   * @throws IllegalStateException if {@code old} is closed, or the algorithm cannot build a picker
   *     (then nothing changed)
   * @throws IllegalArgumentException if the algorithm's configuration does not fit the backends
   */
  public static PoolImpl succeed(
      PoolImpl old,
      Algorithm algorithm,
      @Nullable HashKey hashKey,
      List<BackendSpec> backends,
      HealthConfig health,
      @Nullable Scheduler scheduler) {
    try {
      synchronized (old.plane.lock) {
        old.plane.requireOpen();
        Succession s =
            new Succession(old.plane.members(), old.plane.generation(), old.ticker.nanoTime());
        PoolImpl next =
            new PoolImpl(
                old.name,
                algorithm,
                hashKey,
                old.engine,
                backends,
                health,
                scheduler,
                old.events,
                s);
        old.successor = next; // before any backend names next as its owner
        s.commit(next, next.plane, old.events);
        NoBackend retired =
            new NoBackend(
                old.name,
                NoBackend.Reason.CLOSED,
                "pool '" + old.name + "': replaced by a reconfiguration");
        old.plane.retire(
            new Snapshot(
                old,
                s.forwardingGeneration(),
                List.of(),
                new ForwardingPicker(next),
                retired,
                false,
                null,
                List.of(),
                false,
                0,
                0,
                ""));
        return next;
      }
    } finally {
      old.plane.finish();
    }
  }

  /** Starts the timed work of a pool made by {@link #succeed}, for the state its members carry. */
  public void startSucceeding() {
    plane.replayToTimers();
    OutlierDetector d = detector;
    if (d != null) {
      d.start();
    }
  }

  /**
   * Whether this pool runs with exactly these settings, so a reconfiguration can keep it and only
   * replace its member list. Settings are compared with {@code equals}: the built-in algorithms,
   * key sources and health settings are value objects; a plugin's are equal as it defines.
   */
  public boolean hasSettings(Algorithm algorithm, @Nullable HashKey hashKey, HealthConfig health) {
    return this.algorithm.equals(algorithm)
        && java.util.Objects.equals(this.hashKey, hashKey)
        && this.health.equals(health);
  }

  /** The health settings. */
  HealthConfig healthConfig() {
    return health;
  }

  /** The pool that replaced this one in a reconfiguration, or null. */
  @Nullable PoolImpl successor() {
    return successor;
  }

  /** The picker selections use now, or null when none is available. */
  @Nullable Picker currentPicker() {
    return path.snapshot().picker;
  }

  /**
   * Posts a {@link dev.lb4j.core.health.HealthEvent.BackendAdded} for every member: the pool was
   * added by a reconfiguration.
   */
  public void announceAdded() {
    plane.announceMembers(true);
  }

  /**
   * Posts a {@link dev.lb4j.core.health.HealthEvent.BackendRemoved} for every member, then closes
   * the pool like {@link #close}: a reconfiguration removed it. Its open leases finish normally.
   */
  public void closeRemoved(NoBackend whenClosed) {
    plane.announceMembers(false);
    close(whenClosed);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Algorithm algorithm() {
    return algorithm;
  }

  /** The engine's ticker (leases read it on release). */
  public Ticker ticker() {
    return ticker;
  }

  /** The EWMA time constant. */
  public long latencyDecayNanos() {
    return latencyDecayNanos;
  }

  /** Whether leases read the clock (see {@link EngineSettings#latencyStats()}). */
  public boolean measuresLatency() {
    return measuresLatency;
  }

  /**
   * Opens a lease on {@code backend}, which the request path or the concurrency limits granted:
   * counts it in the pool-wide in-flight counter when the pool keeps one, then binds it.
   *
   * @param start the ticker reading latency is measured from (0 when latency is not measured)
   * @param acquired whether the backend's in-flight slot is taken already (a concurrency limit)
   */
  LeaseImpl openLease(RequestView request, BackendState backend, long start, boolean acquired) {
    if (countsInFlight) {
      counters.inFlight.increment();
    }
    LeaseImpl lease = new LeaseImpl(this, request);
    lease.bind(backend, start, acquired);
    return lease;
  }

  /**
   * Leases open now: the pool-wide counter when leases keep it, else the sum over the backends that
   * can still hold this pool's leases (members, and removed backends whose leases are still open).
   */
  long inFlightSum() {
    if (countsInFlight) {
      return counters.inFlight.sum();
    }
    synchronized (plane.lock) {
      return plane.inFlightOfBackends();
    }
  }

  /** A lease of this pool was released. */
  public void released() {
    if (countsInFlight) {
      counters.inFlight.decrement();
    }
    ConcurrencyLimits l = limits;
    if (l != null) {
      l.released();
    }
  }

  /** A lease release completed a failure streak (see {@link BackendState#release}). */
  void onFailureStreak(BackendState b, int streak, int status, ErrorKind error) {
    OutlierDetector d = detector;
    if (d != null) {
      d.onFailureStreak(b, streak, status, error);
    }
  }

  // ---------------------------------------------------------------- data plane

  /**
   * Takes back the {@code noBackend} count of a selection that was only a probe: a retry that found
   * every backend excluded and tries again with fewer exclusions.
   */
  public void uncountNoBackend() {
    counters.noBackend.decrement();
  }

  /** Counts one selection for a retry ({@link dev.lb4j.core.LoadBalancer#retry}). */
  public void countRetry() {
    counters.retries.increment();
  }

  @Override
  public Selection select(RequestView request) {
    return observed(request, path.select(request, null));
  }

  @Override
  public Selection select(RequestView request, @Nullable Collection<? extends Backend> exclude) {
    return observed(request, path.select(request, exclude));
  }

  /**
   * Selects for the load balancer's pipeline, which tells the observer of the outcome itself.
   *
   * @param exclude backends not to pick, or null
   */
  public Selection selectUnobserved(
      RequestView request, @Nullable Collection<? extends Backend> exclude) {
    return path.select(request, exclude);
  }

  /** The observer, or null. */
  public @Nullable LoadBalancerObserver observer() {
    return observer;
  }

  private Selection observed(RequestView request, Selection selection) {
    LoadBalancerObserver o = observer;
    if (o != null && selection instanceof NoBackend) {
      Observation.selected(o, request, selection);
    }
    return selection;
  }

  // ---------------------------------------------------------------- admin (return once published)

  /** Adds a backend; returns after the new snapshot is published. */
  public void add(BackendSpec spec) {
    membership.add(spec);
  }

  /** Removes a backend; its open leases finish. Returns after the new snapshot is published. */
  public void remove(String id) {
    membership.remove(id);
  }

  /** Replaces the membership (see {@link Membership#setBackends}); returns once published. */
  public void setBackends(List<BackendSpec> specs) {
    membership.setBackends(specs);
  }

  /** Changes a weight; returns after the new snapshot is published. */
  public void setWeight(String id, int weight) {
    membership.setWeight(id, weight);
  }

  /** Drains or undrains a backend; returns after the new snapshot is published. */
  public void setDraining(String id, boolean draining) {
    adminChange(
        id,
        h -> h.admin().draining() == draining,
        h -> h.draining(draining),
        draining ? "drained by admin" : "undrained by admin");
  }

  /**
   * Disables or enables a backend; returns after the new snapshot is published. Disabling stops its
   * probes. Enabling resumes them with fresh counters; with {@link
   * HealthCheck.InitialState#WAIT_FOR_FIRST_PROBE} the backend waits for a passing probe, as a new
   * one would, otherwise it keeps the verdict it had (one that failed before maintenance stays
   * unhealthy until it passes the healthy threshold).
   */
  public void setDisabled(String id, boolean disabled) {
    adminChange(
        id,
        h -> h.admin().disabled() == disabled,
        h -> h.disabled(disabled, check),
        disabled ? "disabled by admin" : "enabled by admin");
  }

  /** One admin decision about one backend, unless it is in effect already. */
  private void adminChange(
      String id,
      Predicate<BackendHealth> inEffect,
      UnaryOperator<BackendHealth> decide,
      String trigger) {
    try {
      synchronized (plane.lock) {
        plane.requireOpen();
        BackendState b = plane.require(id);
        Change c = plane.begin();
        BackendHealth h = c.health(b);
        if (inEffect.test(h)) {
          return;
        }
        c.propose(b, decide.apply(h).settle(slowStart, c.now(), trigger));
        plane.commit(c);
      }
    } finally {
      plane.finish();
    }
  }

  /** The active health check, if any. */
  @Nullable HealthCheck healthCheck() {
    return check;
  }

  /** Publishes a snapshot that answers every selection with {@code closed}; stops timed work. */
  public void close(NoBackend whenClosed) {
    plane.close(whenClosed);
  }

  /**
   * Explains how this pool would pick a backend for {@code request}, without opening a lease.
   *
   * @param out receives one line per fact
   * @return the backend the algorithm picks, or null when it picks none
   */
  public @Nullable Backend explain(RequestView request, List<String> out) {
    Snapshot current = path.snapshot();
    List<BackendState> view;
    synchronized (plane.lock) {
      view = plane.members();
    }
    return explainer.explain(current, view, request, out);
  }

  @Override
  public List<Backend> backends() {
    synchronized (plane.lock) {
      return List.copyOf(plane.members());
    }
  }

  @Override
  public PoolStats stats() {
    List<BackendStats> backendStats;
    boolean panic;
    synchronized (plane.lock) {
      List<BackendState> members = plane.members();
      backendStats = new ArrayList<>(members.size());
      for (BackendState b : members) {
        backendStats.add(b.stats());
      }
      panic = path.snapshot().panic;
    }
    return new PoolStats(
        name,
        algorithm.name(),
        inFlightSum(),
        counters.noBackend.sum(),
        counters.hashKeyMisses.sum(),
        counters.algorithmErrors.get(),
        panic,
        counters.ejectionsRefused.get(),
        counters.overLimit.sum(),
        counters.retries.sum(),
        backendStats);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(": ").append(algorithm);
    if (hashKey != null) {
      sb.append(", hashKey=").append(hashKey);
    }
    synchronized (plane.lock) {
      sb.append(", backends=").append(plane.members());
    }
    return sb.toString();
  }
}
