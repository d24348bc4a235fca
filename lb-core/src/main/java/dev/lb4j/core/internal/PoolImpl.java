package dev.lb4j.core.internal;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.PanicMode;
import dev.lb4j.core.health.SlowStart;
import java.time.Duration;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A pool: members, the published picker snapshot, and counters.
 *
 * <p>Control plane (membership, weights, admin states, health signals) runs under {@code lock} and
 * ends by publishing a new {@link Snapshot} with one volatile write. Selection reads the snapshot once
 * and never locks. Health events are posted under the lock (so they keep the order of the changes)
 * and delivered after it is released.
 */
public final class PoolImpl implements Pool {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final String name;
  private final Algorithm algorithm;
  private final @Nullable HashKey hashKey;
  private final Ticker ticker;
  private final long latencyDecayNanos;
  private final HealthConfig health;
  private final @Nullable Scheduler scheduler;
  private final HealthEvents events;
  private final boolean hashing;
  private final boolean limited;
  private final long maxPerPool;
  private final int maxPerBackend;
  private final java.util.concurrent.atomic.AtomicLong poolActive =
      new java.util.concurrent.atomic.AtomicLong();
  private final LongAdder overLimit = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final NoBackend poolAtLimit;
  private final NoBackend backendsAtLimit;
  private final boolean proportional;

  private final LongAdder inFlight = new LongAdder();
  private final LongAdder noBackend = new LongAdder();
  private final LongAdder hashKeyMisses = new LongAdder();
  private final AtomicLong algorithmErrors = new AtomicLong(); // error path only: exact for the log throttle
  private final AtomicLong ejectionsRefused = new AtomicLong();
  private final AtomicLong probeTaskRuns = new AtomicLong();
  private final AtomicLong pickerBuilds = new AtomicLong();

  private final Object lock = new Object();
  private List<BackendState> members = List.of(); // guarded by lock; replaced, never mutated
  private long generation; // guarded by lock
  private boolean closed; // guarded by lock: once set, no change may publish a live snapshot again
  private volatile Snapshot snapshot;
  private Scheduler.@Nullable Cancellable sweepTask; // guarded by lock
  private final NoBackend allExcluded;
  private final NoBackend algorithmFailed;
  private final NoBackend noneAcceptable;

  /**
   * Creates a pool and publishes its first snapshot.
   *
   * @throws IllegalStateException if the algorithm cannot build a picker for the backends
   */
  public PoolImpl(
      String name,
      Algorithm algorithm,
      @Nullable HashKey hashKey,
      Ticker ticker,
      long latencyDecayNanos,
      List<BackendSpec> backends,
      HealthConfig health,
      @Nullable Scheduler scheduler,
      HealthEvents events) {
    if (health.needsScheduler() && scheduler == null) {
      throw new IllegalArgumentException("pool '" + name + "': health checking needs a scheduler");
    }
    this.name = name;
    this.health = health;
    this.scheduler = scheduler;
    this.events = events;
    this.hashing = algorithm.usesHashKey();
    this.maxPerPool = health.maxRequests();
    this.maxPerBackend = health.maxRequestsPerBackend();
    this.limited = maxPerPool > 0 || maxPerBackend > 0;
    this.poolAtLimit =
        new NoBackend(
            name,
            NoBackend.Reason.CONCURRENCY_LIMIT,
            "pool '" + name + "': " + maxPerPool + " requests in flight, its concurrency limit");
    this.backendsAtLimit =
        new NoBackend(
            name,
            NoBackend.Reason.CONCURRENCY_LIMIT,
            "pool '" + name + "': the backends tried are at their limit of " + maxPerBackend
                + " requests in flight");
    this.proportional = algorithm instanceof PicksInProportion;
    this.algorithm = algorithm;
    this.hashKey = hashKey;
    this.ticker = ticker;
    this.latencyDecayNanos = latencyDecayNanos;
    this.allExcluded =
        new NoBackend(
            name,
            NoBackend.Reason.ALL_EXCLUDED,
            "pool '" + name + "': every available backend was excluded (already tried)");
    this.algorithmFailed =
        new NoBackend(
            name,
            NoBackend.Reason.ALGORITHM_FAILED,
            "pool '" + name + "': algorithm '" + algorithm.name() + "' failed; see the logs");
    this.noneAcceptable =
        new NoBackend(
            name,
            NoBackend.Reason.NONE_AVAILABLE,
            "pool '" + name + "': algorithm '" + algorithm.name() + "' found no acceptable backend");
    List<BackendState> initial = new ArrayList<>(backends.size());
    long now = ticker.nanoTime();
    for (BackendSpec spec : backends) {
      BackendState b = newState(spec);
      b.status = computeStatus(b);
      b.servesWithoutRamp = !b.status.isServing(); // e.g. waiting for its first probe
      b.statusReason = b.status == BackendStatus.UNHEALTHY ? b.probeReason : "configured";
      b.statusSinceNanos = now;
      initial.add(b);
    }
    synchronized (lock) {
      this.snapshot = buildSnapshot(initial, ++generation, null, true);
      this.members = List.copyOf(initial);
    }
  }

  private BackendState newState(BackendSpec spec) {
    BackendState b = new BackendState(this, spec, health.outlier());
    HealthCheck check = health.check();
    if (check != null && check.initialState() == HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE) {
      b.probeHealthy = false;
      b.probePending = true;
      b.probeReason = "waiting for the first probe to pass";
    }
    return b;
  }

  /** Starts the timed work: probe loops and outlier sweeps. Called once, after construction. */
  public void start() {
    synchronized (lock) {
      for (BackendState b : members) {
        startProbing(b);
      }
      OutlierDetection od = health.outlier();
      if (od != null && od.failurePercentageThreshold() > 0) {
        scheduleSweep(od);
      }
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Algorithm algorithm() {
    return algorithm;
  }

  public @Nullable HashKey hashKey() {
    return hashKey;
  }

  Ticker ticker() {
    return ticker;
  }

  long latencyDecayNanos() {
    return latencyDecayNanos;
  }

  long inFlightSum() {
    return inFlight.sum();
  }

  void released() {
    inFlight.decrement();
    if (maxPerPool > 0) {
      releasePool();
    }
  }

  // ---------------------------------------------------------------- data plane

  /**
   * Takes back the {@code noBackend} count of a selection that was only a probe: a retry that found
   * every backend excluded and tries again with fewer exclusions.
   */
  public void uncountNoBackend() {
    noBackend.decrement();
  }

  /** Counts one selection for a retry ({@link dev.lb4j.core.LoadBalancer#retry}). */
  public void countRetry() {
    retries.increment();
  }

  @Override
  public Selection select(RequestView request) {
    return select(request, null);
  }

  /**
   * The request path. Kept small so the JIT can inline it into the caller, which lets escape
   * analysis remove the lease when the caller uses it synchronously; every unusual outcome is
   * handled out of line in {@link #selectSlow}.
   */
  @Override
  public Selection select(RequestView request, @Nullable Collection<? extends Backend> exclude) {
    Snapshot current = snapshot;
    Picker picker = current.picker;
    if (picker == null) {
      noBackend.increment();
      return current.unavailable;
    }
    LeaseImpl lease = new LeaseImpl(this, Objects.requireNonNull(request, "request"), exclude);
    HashKey keySource = hashKey;
    if (keySource != null) {
      hashInto(lease, keySource, request);
    }
    Backend picked;
    try {
      picked = picker.pick(lease);
    } catch (Exception e) { // checked ones too: a plugin written in another JVM language may throw them
      return algorithmFailure("threw " + e, e);
    }
    if (current.warming) {
      return selectWarming(current, lease, picked);
    }
    if (picked instanceof BackendState state
        && state.owner() == this
        && state.unavailableFrom() == Long.MAX_VALUE
        && !lease.hasExclusions()) {
      return grant(current, lease, state);
    }
    return selectSlow(current, lease, picked);
  }

  private Selection grant(Snapshot current, LeaseImpl lease, BackendState state) {
    if (limited) {
      return grantLimited(current, lease, state);
    }
    inFlight.increment();
    lease.bind(state, ticker.nanoTime(), false);
    return lease;
  }

  /** Picks within {@code maxPerBackend} tries before giving up on a backend at its limit. */
  private static final int LIMIT_ATTEMPTS = 8;

  /**
   * The grant with concurrency limits (a bulkhead, like Envoy's circuit-breaker max_requests): the
   * pool's count is taken first, then the backend's, each exactly (compare-and-set against the
   * limit). A backend at its limit is excluded and the algorithm picks again, up to {@value
   * #LIMIT_ATTEMPTS} picks; when those are all full, or the pool is, the selection fails with {@code
   * CONCURRENCY_LIMIT}. Re-picks skip slow start's rejection (a full pool has no spare share to
   * ramp).
   */
  private Selection grantLimited(Snapshot current, LeaseImpl lease, BackendState state) {
    long now = ticker.nanoTime(); // before any slot is taken: a throwing ticker leaks nothing
    if (maxPerPool > 0 && !tryAcquirePool()) {
      overLimit.increment();
      noBackend.increment();
      return poolAtLimit;
    }
    BackendState chosen = state;
    if (maxPerBackend > 0) {
      Picker picker = current.picker;
      int attempt = 0;
      while (!chosen.tryAcquire(maxPerBackend)) {
        lease.skip(chosen);
        Backend next = null;
        if (picker != null && ++attempt < LIMIT_ATTEMPTS) {
          try {
            next = picker.pick(lease);
          } catch (Exception | Error e) { // the slots taken above must be given back
            next = null;
          }
        }
        if (!(next instanceof BackendState s) || s.owner() != this
            || s.unavailableFrom() != Long.MAX_VALUE) {
          lease.clearSkips();
          if (maxPerPool > 0) {
            releasePool();
          }
          overLimit.increment();
          noBackend.increment();
          return backendsAtLimit;
        }
        chosen = s;
      }
      lease.clearSkips();
    }
    inFlight.increment();
    lease.bind(chosen, now, maxPerBackend > 0);
    return lease;
  }

  private boolean tryAcquirePool() {
    while (true) {
      long n = poolActive.get();
      if (n >= maxPerPool) {
        return false;
      }
      if (poolActive.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  private void releasePool() {
    poolActive.decrementAndGet();
  }

  /** Everything but the common case: no pick, a contract breach, a race with a change, a retry. */
  private Selection selectSlow(Snapshot current, LeaseImpl lease, @Nullable Backend picked) {
    for (int round = 0; ; round++) {
      if (picked == null) {
        noBackend.increment();
        return lease.hasExclusions() && allExcluded(current, lease) ? allExcluded : noneAcceptable;
      }
      if (!(picked instanceof BackendState state) || state.owner() != this) {
        return algorithmFailure("returned a backend outside its snapshot: " + picked.id(), null);
      }
      long unavailableFrom = state.unavailableFrom();
      if (unavailableFrom <= current.generation) {
        // The snapshot this picker was built for does not contain the backend.
        return algorithmFailure("returned a backend that is not in its set: " + state.id(), null);
      }
      if (unavailableFrom != Long.MAX_VALUE && round == 0 && snapshot != current) {
        // Drained or removed while we picked: pick again from the newer snapshot.
        current = snapshot;
        Picker picker = current.picker;
        if (picker == null) {
          noBackend.increment();
          return current.unavailable;
        }
        try {
          picked = picker.pick(lease);
        } catch (Exception e) {
          return algorithmFailure("threw " + e, e);
        }
        continue;
      }
      if (lease.hasExclusions() && lease.isExcluded(state)) {
        countAlgorithmError("returned an excluded backend: " + state.id(), null);
        BackendState fallback = firstNotExcluded(current, lease);
        if (fallback == null) {
          noBackend.increment();
          return allExcluded;
        }
        state = fallback;
      }
      return grant(current, lease, state);
    }
  }

  /** Attempts per selection while slow start rejects picks of warming backends. */
  private static final int WARM_ATTEMPTS = 16;

  /**
   * Slow start by rejection: a pick of a warming backend is kept with probability equal to its ramp
   * factor. Otherwise, for algorithms that pick in proportion to weight, the algorithm simply picks
   * again (which yields exactly the ramped weight); for every other algorithm the rejected backend is
   * excluded from the rest of this selection, so each backend gets one draw per request (least
   * request would otherwise return the same idle newcomer again and again). Hashing algorithms draw
   * per key (a function of the key's hash and the backend's id), so a key moves once and stays.
   */
  private Selection selectWarming(Snapshot current, LeaseImpl lease, @Nullable Backend first) {
    SlowStart slowStart = Objects.requireNonNull(health.slowStart(), "slowStart");
    Picker picker = Objects.requireNonNull(current.picker, "picker");
    long now = Long.MIN_VALUE; // read the ticker only if a warming backend is picked
    Backend picked = first;
    BackendState firstRejected = null;
    for (int attempt = 0; attempt < WARM_ATTEMPTS; attempt++) {
      if (!(picked instanceof BackendState state) || state.owner() != this || !state.warming) {
        break;
      }
      if (now == Long.MIN_VALUE) {
        now = ticker.nanoTime();
      }
      double factor = slowStart.factor(now - state.warmingSince);
      double draw =
          hashing ? unit(lease.hash() ^ state.idHash()) : ThreadLocalRandom.current().nextDouble();
      if (draw < factor) {
        break;
      }
      if (firstRejected == null) {
        firstRejected = state;
      }
      Picker next = picker;
      Picker settled = current.withoutWarming;
      if (hashing && settled != null) {
        next = settled; // where the key was before the warming backends joined: it moves only once
      } else if (!proportional || attempt >= WARM_ATTEMPTS / 2) {
        lease.skip(state);
      }
      try {
        picked = next.pick(lease);
      } catch (Exception e) {
        lease.clearSkips();
        return algorithmFailure("threw " + e, e);
      }
      if (picked == null) {
        picked = firstRejected; // nothing else is left: a warming backend beats no backend
        break;
      }
      if (next != picker) {
        break; // the settled picker never returns a warming backend
      }
    }
    lease.clearSkips();
    if (picked instanceof BackendState state
        && state.owner() == this
        && state.unavailableFrom() == Long.MAX_VALUE
        && !lease.hasExclusions()) {
      return grant(current, lease, state);
    }
    return selectSlow(current, lease, picked);
  }

  /** A uniform double in [0, 1) from 64 bits, after a SplitMix64 finalizer to spread them. */
  private static double unit(long x) {
    x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
    x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
    x = x ^ (x >>> 31);
    return (x >>> 11) * 0x1.0p-53;
  }

  private void hashInto(LeaseImpl lease, HashKey keySource, RequestView request) {
    CharSequence key;
    try {
      key = keySource.key(request);
    } catch (RuntimeException e) {
      countAlgorithmError("hash key source '" + keySource + "' threw " + e, e);
      key = null;
    }
    if (key == null) {
      hashKeyMisses.increment();
      lease.setRandomHash(ThreadLocalRandom.current().nextLong());
    } else {
      lease.setHash(XxHash64.hash(key));
    }
  }

  private static boolean allExcluded(Snapshot current, LeaseImpl lease) {
    return firstNotExcluded(current, lease) == null;
  }

  private static @Nullable BackendState firstNotExcluded(Snapshot current, LeaseImpl lease) {
    List<Backend> backends = current.backends();
    int n = backends.size();
    int start = ThreadLocalRandom.current().nextInt(n);
    for (int i = 0; i < n; i++) {
      Backend b = backends.get((start + i) % n);
      if (!lease.isExcluded(b)) {
        return (BackendState) b;
      }
    }
    return null;
  }

  private NoBackend algorithmFailure(String what, @Nullable Throwable cause) {
    noBackend.increment();
    countAlgorithmError(what, cause);
    return algorithmFailed;
  }

  /** Counts every failure; logs the 1st, 2nd, 4th, 8th... so a broken plugin cannot flood logs. */
  private void countAlgorithmError(String what, @Nullable Throwable cause) {
    long count = algorithmErrors.incrementAndGet();
    if (Long.bitCount(count) == 1) {
      LOG.log(
          Level.WARNING,
          "pool '" + name + "': algorithm '" + algorithm.name() + "' " + what + " (" + count
              + " failures so far)",
          cause);
    }
  }

  // ---------------------------------------------------------------- control plane: snapshots

  /**
   * Builds the snapshot for {@code candidates}: the serving backends, or in panic mode every backend
   * not taken out by an operator. Reuses {@code previous}'s picker when the set is the same and no
   * weight changed, so a change that moves nobody in or out (a backend that is ejected while already
   * drained, the end of a slow-start window) costs no rebuild.
   */
  private Snapshot buildSnapshot(
      List<BackendState> candidates, long generation, @Nullable Snapshot previous, boolean rebuild) {
    if (candidates.isEmpty()) {
      return Snapshot.empty(
          this,
          generation,
          new NoBackend(name, NoBackend.Reason.NO_BACKENDS, "pool '" + name + "' has no backends"));
    }
    List<Backend> serving = new ArrayList<>(candidates.size());
    List<Backend> eligible = new ArrayList<>(candidates.size());
    int warming = 0;
    int pending = 0;
    for (BackendState b : candidates) {
      BackendStatus status = b.status;
      if (status == BackendStatus.UNHEALTHY && b.probePending) {
        pending++; // never probed yet: neither healthy nor a reason to panic
      } else if (!status.isAdminState()) {
        eligible.add(b);
        if (status.isServing()) {
          serving.add(b);
          if (status == BackendStatus.WARMING) {
            warming++;
          }
        }
      }
    }
    if (eligible.isEmpty()) {
      return Snapshot.empty(
          this,
          generation,
          new NoBackend(
              name,
              NoBackend.Reason.NONE_AVAILABLE,
              "pool '" + name + "': "
                  + (pending == 0
                      ? "all " + candidates.size() + " backends are disabled or draining"
                      : pending == candidates.size()
                          ? "all " + pending + " backends are waiting for their first probe to pass"
                          : (candidates.size() - pending) + " of " + candidates.size()
                              + " backends are disabled or draining, the other " + pending
                              + " are waiting for their first probe to pass")));
    }
    int threshold = health.panicThreshold();
    boolean panic = (long) serving.size() * 100 < (long) threshold * eligible.size();
    List<Backend> available;
    if (panic) {
      String why =
          serving.size() + " of " + eligible.size() + " backends healthy, below the panic threshold"
              + " of " + threshold + "%";
      if (health.panicMode() == PanicMode.FAIL_FAST) {
        Snapshot failing =
            Snapshot.empty(
                this,
                generation,
                new NoBackend(
                    name, NoBackend.Reason.TOO_FEW_HEALTHY,
                    "pool '" + name + "': " + why + "; failing fast"));
        return failing.withPanic(serving.size(), eligible.size(), why);
      }
      available = eligible;
    } else if (serving.isEmpty()) {
      return Snapshot.empty(
          this,
          generation,
          new NoBackend(
              name,
              NoBackend.Reason.NONE_AVAILABLE,
              "pool '" + name + "': none of " + eligible.size()
                  + " backends is healthy (panic mode is off)"));
    } else {
      available = serving;
    }
    boolean warm = !panic && warming > 0 && warming < available.size();
    List<Backend> backends = List.copyOf(available);
    Picker picker = null;
    if (!rebuild && previous != null && previous.picker != null && sameBackends(previous.backends(), backends)) {
      picker = previous.picker;
    }
    if (picker == null) {
      picker = buildPicker(backends, generation);
    }
    Snapshot built = new Snapshot(this, generation, backends, picker, algorithmFailed, warm);
    if (warm && hashing) {
      List<Backend> settled = new ArrayList<>(backends.size());
      for (Backend b : backends) {
        if (((BackendState) b).status != BackendStatus.WARMING) {
          settled.add(b);
        }
      }
      List<Backend> settledList = List.copyOf(settled);
      Picker reuse = null;
      if (previous != null
          && previous.withoutWarming != null
          && !rebuild
          && sameBackends(previous.withoutWarmingBackends, settledList)) {
        reuse = previous.withoutWarming;
      }
      built.withoutWarming = reuse != null ? reuse : buildPicker(settledList, generation);
      built.withoutWarmingBackends = settledList;
    }
    return panic
        ? built.withPanic(
            serving.size(), eligible.size(),
            serving.size() + " of " + eligible.size() + " backends healthy, below the panic"
                + " threshold of " + threshold + "%")
        : built.withHealth(serving.size(), eligible.size());
  }

  private Picker buildPicker(List<Backend> backends, long generation) {
    Snapshot withoutPicker = new Snapshot(this, generation, backends, null, algorithmFailed, false);
    Picker picker;
    try {
      picker = algorithm.newPicker(withoutPicker);
    } catch (IllegalArgumentException e) {
      // The algorithm's configuration does not fit these backends (a Maglev table too small, say).
      throw new IllegalArgumentException(
          "pools." + name + ".algorithm: " + e.getMessage() + " (" + algorithm.name() + ")", e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "pool '" + name + "': algorithm '" + algorithm.name() + "' failed to build a picker: " + e,
          e);
    }
    if (picker == null) {
      throw new IllegalStateException(
          "pool '" + name + "': algorithm '" + algorithm.name() + "' built no picker (null)");
    }
    pickerBuilds.incrementAndGet();
    return picker;
  }

  private static boolean sameBackends(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Publishes {@code next} as the membership; on failure nothing changes. Backends that the new
   * snapshot leaves out (not serving, or no longer members) are stamped with its generation before it
   * is published, so a pick that returns one can tell a race from a broken algorithm.
   *
   * @param rebuild whether the picker must be rebuilt even for an unchanged set (weights changed)
   */
  private void publish(List<BackendState> next, boolean rebuild) {
    if (closed) {
      throw new IllegalStateException("load balancer is closed");
    }
    long nextGeneration = generation + 1;
    Snapshot previous = snapshot;
    Snapshot built = buildSnapshot(next, nextGeneration, previous, rebuild);
    generation = nextGeneration;
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
    members = List.copyOf(next);
    snapshot = built;
    if (built.panic != previous.panic) {
      String reason;
      if (built.panic) {
        reason = built.panicReason;
      } else if (built.picker == null) {
        reason = built.unavailable.message(); // panic ended because nobody is eligible any more
      } else {
        reason =
            built.healthy + " of " + built.eligible
                + " backends healthy, at or above the panic threshold of "
                + health.panicThreshold() + "%";
      }
      post(
          new HealthEvent.PanicChanged(
              name, built.panic, built.healthy, built.eligible, reason, ticker.nanoTime()));
    }
  }

  // ---------------------------------------------------------------- control plane: transactions

  /** Events of the change in progress; published to listeners only if the change commits. */
  private final List<HealthEvent> pendingEvents = new ArrayList<>(); // guarded by lock

  /** Work that must not run under the lock (cancelling probe stages runs their callbacks). */
  private final java.util.Queue<Runnable> afterUnlock =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  private void post(HealthEvent event) {
    pendingEvents.add(event);
  }

  /**
   * Runs {@code body} under the lock as one change: if it throws, its events are dropped (the body
   * restores the state it changed); otherwise they are queued for listeners. Then, with the lock
   * released, runs deferred work and delivers events.
   */
  private void locked(Runnable body) {
    try {
      synchronized (lock) {
        try {
          body.run();
          for (HealthEvent e : pendingEvents) {
            events.post(e);
          }
        } finally {
          pendingEvents.clear();
        }
      }
    } finally {
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
  }

  /**
   * Changes one backend's signals and publishes the result as a transaction: either the new state is
   * published with its events, or every signal is restored and the exception propagates. Under the
   * lock.
   */
  private void transact(BackendState b, String trigger, Runnable change) {
    BackendState.Saved saved = b.save();
    int eventsBefore = pendingEvents.size();
    try {
      change.run();
      if (refresh(b, trigger)) {
        publish(members, false);
      }
    } catch (RuntimeException e) {
      b.restore(saved);
      pendingEvents.subList(eventsBefore, pendingEvents.size()).clear();
      throw e;
    }
  }

  private void logControlFailure(String what, RuntimeException e) {
    LOG.log(Level.ERROR, "pool '" + name + "': " + what + " could not be applied: " + e, e);
  }

  // ---------------------------------------------------------------- control plane: state machine

  /** The state every signal of {@code b} adds up to, in {@link BackendStatus} precedence order. */
  private static BackendStatus computeStatus(BackendState b) {
    if (b.disabled) {
      return BackendStatus.DISABLED;
    }
    if (b.isDraining()) {
      return BackendStatus.DRAINING;
    }
    if (b.ejected) {
      return BackendStatus.EJECTED;
    }
    if (!b.probeHealthy) {
      return BackendStatus.UNHEALTHY;
    }
    return b.warming ? BackendStatus.WARMING : BackendStatus.HEALTHY;
  }

  /**
   * Recomputes {@code b}'s state after one of its signals changed; starts or stops slow start; posts
   * an event if the state changed. Does not publish. Under the lock.
   *
   * @param trigger what happened, used as the reason for states that have none of their own
   * @return whether the state changed
   */
  private boolean refresh(BackendState b, String trigger) {
    BackendStatus before = b.status;
    BackendStatus after = computeStatus(b);
    SlowStart slowStart = health.slowStart();
    long now = ticker.nanoTime();
    if (!after.isServing() && b.warming) {
      b.warming = false; // its end-of-window task finds it not warming and does nothing
    } else if (after == BackendStatus.HEALTHY && !before.isServing() && slowStart != null) {
      if (b.servesWithoutRamp) {
        b.servesWithoutRamp = false; // present at build, first time serving: full share at once
      } else {
        startWarming(b, slowStart, now);
        after = BackendStatus.WARMING;
      }
    }
    if (after.isServing()) {
      b.servesWithoutRamp = false;
    }
    if (after == before) {
      if (after == BackendStatus.EJECTED || after == BackendStatus.UNHEALTHY) {
        b.statusReason = reasonFor(b, after, trigger); // a newer failure explains it better
      }
      return false;
    }
    String reason = reasonFor(b, after, trigger);
    b.status = after;
    b.statusReason = reason;
    b.statusSinceNanos = now;
    post(new HealthEvent.StatusChanged(name, b.id(), before, after, reason, now));
    return true;
  }

  private String reasonFor(BackendState b, BackendStatus status, String trigger) {
    return switch (status) {
      case DISABLED -> "disabled by admin";
      case DRAINING -> "drained by admin";
      case EJECTED -> b.ejectReason;
      case UNHEALTHY -> b.probeReason;
      case WARMING ->
          trigger + "; slow start over " + Objects.requireNonNull(health.slowStart()).window();
      default -> trigger;
    };
  }

  private void startWarming(BackendState b, SlowStart slowStart, long now) {
    b.warming = true;
    b.warmingSince = now;
    b.warmTask = schedule(() -> warmingEnded(b, now), slowStart.window().toNanos());
  }

  private void warmingEnded(BackendState b, long since) {
    SlowStart slowStart = Objects.requireNonNull(health.slowStart(), "slowStart");
    locked(
        () -> {
          if (closed || !b.member || !b.warming || b.warmingSince != since) {
            return;
          }
          long remaining = since + slowStart.window().toNanos() - ticker.nanoTime();
          if (remaining > 0) { // the scheduler ran early by the ticker's clock
            b.warmTask = schedule(() -> warmingEnded(b, since), remaining);
            return;
          }
          try {
            transact(b, "slow start window of " + slowStart.window() + " ended", () -> b.warming = false);
          } catch (RuntimeException e) {
            logControlFailure("the end of " + b.id() + "'s slow start", e);
            b.warmTask = schedule(() -> warmingEnded(b, since), slowStart.window().toNanos());
          }
        });
  }

  private Scheduler.Cancellable schedule(Runnable task, long delayNanos) {
    Scheduler s = Objects.requireNonNull(scheduler, "scheduler");
    return s.schedule(task, delayNanos);
  }

  /** Cancels every timed task of a backend that leaves the pool or of a closing pool. */
  private void cancelTimers(BackendState b) {
    stopProbing(b);
    b.warming = false;
    for (Scheduler.Cancellable task : new Scheduler.Cancellable[] {b.warmTask, b.ejectTask}) {
      if (task != null) {
        task.cancel();
      }
    }
    b.warmTask = null;
    b.ejectTask = null;
  }

  // ---------------------------------------------------------------- active checking

  private void startProbing(BackendState b) {
    HealthCheck check = health.check();
    if (check == null || closed || !b.member || b.disabled) {
      return;
    }
    long epoch = ++b.probeEpoch;
    long first =
        (long) (check.interval().toNanos() * check.jitter() * ThreadLocalRandom.current().nextDouble());
    b.probeTask = schedule(() -> runProbe(b, epoch, check), first);
  }

  /** Stops a backend's probe loop; a probe in flight is abandoned (after the lock is released). */
  private void stopProbing(BackendState b) {
    b.probeEpoch++;
    Scheduler.Cancellable task = b.probeTask;
    if (task != null) {
      task.cancel();
      b.probeTask = null;
    }
    Object running = b.runningProbe;
    b.runningProbe = null;
    if (running instanceof ProbeRun run) {
      afterUnlock.add(run::abandon);
    }
  }

  /** One probe of one backend: registered under the lock, started outside it, never blocks. */
  private void runProbe(BackendState b, long epoch, HealthCheck check) {
    ProbeRun run;
    synchronized (lock) {
      if (closed || !b.member || b.probeEpoch != epoch) {
        return;
      }
      run = new ProbeRun(b, epoch, check);
      b.runningProbe = run;
    }
    probeTaskRuns.incrementAndGet();
    HealthProbe probe = check.probe();
    Duration timeout = check.timeout();
    CompletionStage<HealthResult> stage;
    try {
      stage = probe.check(b, timeout);
    } catch (Exception | Error e) { // a broken probe is a failed check, never a dead scheduler
      run.finish(HealthResult.unhealthy("probe " + probe + " threw " + e), null);
      return;
    }
    if (stage == null) {
      run.finish(HealthResult.unhealthy("probe " + probe + " returned no result (null)"), null);
      return;
    }
    run.stage = stage;
    run.timeout =
        schedule(
            () -> run.finish(HealthResult.unhealthy("probe timed out after " + timeout), stage),
            timeout.toNanos());
    if (run.isDone()) { // abandoned (disabled, removed, closed) while the probe was starting
      run.abandon();
    }
    stage.whenComplete(
        (result, error) ->
            run.finish(
                error != null
                    ? HealthResult.unhealthy("probe failed: " + describe(error))
                    : result != null
                        ? result
                        : HealthResult.unhealthy("probe " + probe + " completed with null"),
                null));
  }

  private static String describe(Throwable e) {
    Throwable cause =
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause()
            : e;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  /** One probe in flight: whichever of result and timeout comes first decides; the other is ignored. */
  private final class ProbeRun {
    private final BackendState backend;
    private final long epoch;
    private final HealthCheck check;
    private final AtomicBoolean done = new AtomicBoolean();
    volatile Scheduler.@Nullable Cancellable timeout;
    volatile @Nullable CompletionStage<HealthResult> stage;

    ProbeRun(BackendState backend, long epoch, HealthCheck check) {
      this.backend = backend;
      this.epoch = epoch;
      this.check = check;
    }

    boolean isDone() {
      return done.get();
    }

    void finish(HealthResult result, @Nullable CompletionStage<HealthResult> toCancel) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      Scheduler.Cancellable t = timeout;
      if (t != null) {
        t.cancel();
      }
      if (toCancel != null) {
        cancelQuietly(toCancel); // let the probe close its connection
      }
      onProbeResult(backend, epoch, check, this, result);
    }

    /** Gives up without a verdict (disabled, removed, closed): cancels the timeout and the stage. */
    void abandon() {
      done.set(true);
      Scheduler.Cancellable t = timeout;
      if (t != null) {
        t.cancel();
      }
      CompletionStage<HealthResult> s = stage;
      if (s != null) {
        cancelQuietly(s);
      }
    }
  }

  /** Cancels a probe's stage if it is a future that allows it; minimal stages refuse, and that is fine. */
  private static void cancelQuietly(CompletionStage<?> stage) {
    if (stage instanceof Future<?> future) {
      try {
        if (!future.isDone()) {
          future.cancel(true);
        }
      } catch (RuntimeException e) { // UnsupportedOperationException from a minimal stage, say
        LOG.log(Level.DEBUG, "probe stage refused cancellation: " + e);
      }
    }
  }

  private void onProbeResult(
      BackendState b, long epoch, HealthCheck check, ProbeRun run, HealthResult result) {
    locked(
        () -> {
          if (closed || !b.member || b.probeEpoch != epoch) {
            return;
          }
          if (b.runningProbe == run) {
            b.runningProbe = null;
          }
          try {
            transact(b, probeTrigger(b, result), () -> recordProbe(b, check, result));
          } catch (RuntimeException e) {
            logControlFailure("the probe result for " + b.id(), e);
          }
          long interval = check.interval().toNanos();
          double jitter = check.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
          b.probeTask = schedule(() -> runProbe(b, epoch, check), (long) (interval * (1 + jitter)));
        });
  }

  private static String probeTrigger(BackendState b, HealthResult result) {
    return result.isHealthy()
        ? (b.probeSuccesses + 1) + " consecutive probes passed"
        : (b.probeFailures + 1) + " consecutive probes failed; last: " + result.reason();
  }

  /** Applies one probe result to the counters and the probe's verdict. Under the lock. */
  private static void recordProbe(BackendState b, HealthCheck check, HealthResult result) {
    if (result.isHealthy()) {
      b.probeFailures = 0;
      b.probeSuccesses++;
      if (!b.probeHealthy && (b.probePending || b.probeSuccesses >= check.healthyThreshold())) {
        b.probeHealthy = true;
        b.probePending = false;
        b.probeReason = "";
      }
      return;
    }
    b.probeSuccesses = 0;
    b.probeFailures++;
    String failed = b.probeFailures + " consecutive probes failed; last: " + result.reason();
    if (b.probePending) {
      // A backend that never passed a probe takes no traffic, not even in panic mode.
      b.probeReason =
          "waiting for the first probe to pass; " + b.probeFailures + " failed, last: "
              + result.reason();
    } else if (!b.probeHealthy || b.probeFailures >= check.unhealthyThreshold()) {
      b.probeHealthy = false;
      b.probeReason = failed;
    }
  }

  // ---------------------------------------------------------------- passive checking

  /**
   * Called by a lease release whose failure completed a streak of the configured length. Never
   * throws: the caller is completing a request.
   */
  void onFailureStreak(BackendState b, int streak, int status, ErrorKind error) {
    OutlierDetection od = Objects.requireNonNull(health.outlier(), "outlier");
    String last = error == ErrorKind.NONE ? "status " + status : "error " + error;
    try {
      locked(
          () -> {
            if (closed || !b.member) {
              return;
            }
            try {
              tryEject(b, od, streak + " consecutive failures (last: " + last + ")");
            } catch (RuntimeException e) {
              logControlFailure("the ejection of " + b.id(), e);
            }
          });
    } catch (RuntimeException e) { // a listener or cleanup failed: never the request's problem
      logControlFailure("the ejection of " + b.id(), e);
    }
  }

  /** Ejects {@code b} unless it is ejected already or the cap forbids it. Under the lock. */
  private boolean tryEject(BackendState b, OutlierDetection od, String why) {
    b.resetConsecutiveFailures();
    if (b.ejected) {
      return false;
    }
    int ejectedNow = 0;
    for (BackendState m : members) {
      if (m.ejected) {
        ejectedNow++;
      }
    }
    if (ejectedNow > 0
        && (long) (ejectedNow + 1) * 100 > (long) od.maxEjectionPercent() * members.size()) {
      ejectionsRefused.incrementAndGet();
      return false;
    }
    long now = ticker.nanoTime();
    long base = od.baseEjectionTime().toNanos();
    int multiplier = b.ejectionMultiplier;
    if (multiplier > 0) {
      long forgiven = Math.max(0, now - b.returnedAt) / base; // one step per base time in service
      multiplier = (int) Math.max(0, multiplier - forgiven);
    }
    int cap = (int) Math.min(Integer.MAX_VALUE, ceilDiv(Math.max(base, od.maxEjectionTime().toNanos()), base));
    int next = Math.min(multiplier + 1, cap); // beyond the cap a longer history changes nothing
    long duration = od.ejectionNanos(next);
    long until = now + duration;
    String reason =
        why + "; ejected for " + Duration.ofNanos(duration) + " (back-off step " + next + ")";
    transact(
        b,
        reason,
        () -> {
          b.ejectionMultiplier = next;
          b.ejectionsTotal++;
          b.ejected = true;
          b.ejectedUntil = until;
          b.ejectReason = reason;
        });
    b.ejectTask = schedule(() -> ejectionEnded(b, until), duration);
    return true;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private void ejectionEnded(BackendState b, long until) {
    locked(
        () -> {
          if (closed || !b.member || !b.ejected || b.ejectedUntil != until) {
            return;
          }
          long now = ticker.nanoTime();
          if (now < until) { // the scheduler ran early by the ticker's clock
            b.ejectTask = schedule(() -> ejectionEnded(b, until), until - now);
            return;
          }
          try {
            transact(
                b,
                "ejection time ended",
                () -> {
                  b.ejected = false;
                  b.returnedAt = now;
                });
            b.ejectTask = null;
            b.resetConsecutiveFailures();
          } catch (RuntimeException e) {
            logControlFailure("the end of " + b.id() + "'s ejection", e);
            OutlierDetection od = Objects.requireNonNull(health.outlier(), "outlier");
            b.ejectTask =
                schedule(() -> ejectionEnded(b, until), od.baseEjectionTime().toNanos());
          }
        });
  }

  private void scheduleSweep(OutlierDetection od) {
    sweepTask = schedule(() -> sweep(od), od.interval().toNanos());
  }

  /** Failure-percentage ejection over the last interval; then the next interval starts. */
  private void sweep(OutlierDetection od) {
    locked(
        () -> {
          if (closed) {
            return;
          }
          try {
            List<BackendState> judged = new ArrayList<>();
            List<long[]> counts = new ArrayList<>();
            for (BackendState b : members) {
              long requests = Objects.requireNonNull(b.windowRequests).sumThenReset();
              long failed = Objects.requireNonNull(b.windowFailures).sumThenReset();
              if (!b.ejected && requests >= od.failurePercentageMinimumRequests()) {
                judged.add(b);
                counts.add(new long[] {requests, failed});
              }
            }
            if (judged.size() >= od.failurePercentageMinimumBackends()) {
              for (int i = 0; i < judged.size(); i++) {
                long[] c = counts.get(i);
                if (c[1] * 100 >= (long) od.failurePercentageThreshold() * c[0]) {
                  try {
                    tryEject(
                        judged.get(i),
                        od,
                        c[1] + " of " + c[0] + " requests failed in the last " + od.interval()
                            + " (threshold " + od.failurePercentageThreshold() + "%)");
                  } catch (RuntimeException e) {
                    logControlFailure("the ejection of " + judged.get(i).id(), e);
                  }
                }
              }
            }
          } finally {
            scheduleSweep(od);
          }
        });
  }

  // ---------------------------------------------------------------- admin

  public void add(BackendSpec spec) {
    locked(
        () -> {
          if (find(spec.id()) != null) {
            throw new IllegalArgumentException(
                "backend id: '" + spec.id() + "' (expected: unique in pool '" + name + "')");
          }
          List<BackendState> next = new ArrayList<>(members);
          next.add(newState(spec));
          Checks.weightsHonoured(algorithm, weightsOf(next), "pools." + name + ".backends");
          applyMembers(next, List.of(), true, "added");
        });
  }

  public void remove(String id) {
    locked(
        () -> {
          BackendState b = require(id);
          List<BackendState> next = new ArrayList<>(members);
          next.remove(b);
          applyMembers(next, List.of(b), true, "removed");
        });
  }

  /**
   * Makes the pool's membership exactly {@code specs}, in one atomic change: backends whose id is new
   * are added; ids no longer listed are removed; a listed id whose URI, zone or metadata changed is
   * replaced by a new backend (state and slow start start afresh); one whose weight alone changed
   * keeps its state and takes the new weight. An unchanged backend is not touched at all: its health,
   * ejection history and slow-start ramp carry on.
   */
  public void setBackends(List<BackendSpec> specs) {
    locked(() -> setBackendsLocked(specs));
  }

  private void setBackendsLocked(List<BackendSpec> specs) {
    Map<String, BackendSpec> byId = new java.util.LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      BackendSpec spec = Objects.requireNonNull(specs.get(i), "backends[" + i + "]");
      if (byId.put(spec.id(), spec) != null) {
        throw new IllegalArgumentException(
            "pools." + name + ".backends[" + i + "].id: '" + spec.id()
                + "' (expected: unique in the pool)");
      }
    }
    List<BackendState> next = new ArrayList<>(specs.size());
    List<BackendState> gone = new ArrayList<>();
    IdentityHashMap<BackendState, Integer> reweigh = new IdentityHashMap<>();
    Map<String, BackendState> current = new java.util.HashMap<>();
    for (BackendState b : members) {
      current.put(b.id(), b);
    }
    for (BackendSpec spec : byId.values()) {
      BackendState existing = current.remove(spec.id());
      if (existing != null && sameExceptWeight(existing.spec(), spec)) {
        next.add(existing);
        if (existing.weight() != spec.weight()) {
          reweigh.put(existing, spec.weight());
        }
      } else {
        if (existing != null) {
          gone.add(existing);
        }
        next.add(newState(spec));
      }
    }
    gone.addAll(current.values());
    List<Integer> weights = new ArrayList<>(next.size());
    for (BackendState b : next) {
      weights.add(reweigh.getOrDefault(b, b.weight()));
    }
    Checks.weightsHonoured(algorithm, weights, "pools." + name + ".backends");
    boolean changed = !gone.isEmpty() || !reweigh.isEmpty() || next.size() != members.size();
    for (int i = 0; !changed && i < next.size(); i++) {
      changed = next.get(i) != members.get(i);
    }
    if (!changed) {
      return; // the same list again: nothing to do, no ramp restarts
    }
    IdentityHashMap<BackendState, Integer> oldWeights = new IdentityHashMap<>();
    reweigh.forEach(
        (b, w) -> {
          oldWeights.put(b, b.weight());
          b.setWeight(w);
        });
    try {
      applyMembers(next, gone, true, "added");
    } catch (RuntimeException e) {
      oldWeights.forEach(BackendState::setWeight);
      throw e;
    }
  }

  private static boolean sameExceptWeight(BackendSpec a, BackendSpec b) {
    return a.uri().equals(b.uri()) && a.zone().equals(b.zone()) && a.metadata().equals(b.metadata());
  }

  /**
   * Publishes a new membership: new states get their initial state (and warm up if they serve and
   * slow start is on); removed ones stop every timed task. Under the lock; on failure nothing
   * changed.
   */
  private void applyMembers(
      List<BackendState> next, List<BackendState> gone, boolean rebuild, String why) {
    Set<BackendState> old = Collections.newSetFromMap(new IdentityHashMap<>());
    old.addAll(members);
    List<BackendState> added = new ArrayList<>();
    long now = ticker.nanoTime();
    SlowStart slowStart = health.slowStart();
    for (BackendState b : next) {
      if (!old.contains(b)) {
        added.add(b);
        BackendStatus initial = computeStatus(b);
        if (initial == BackendStatus.HEALTHY && slowStart != null) {
          b.warming = true;
          b.warmingSince = now;
          initial = BackendStatus.WARMING;
        }
        b.status = initial;
        b.statusReason =
            initial == BackendStatus.UNHEALTHY
                ? b.probeReason
                : initial == BackendStatus.WARMING
                    ? why + "; slow start over " + Objects.requireNonNull(slowStart).window()
                    : why;
        b.statusSinceNanos = now;
      }
    }
    int eventsBefore = pendingEvents.size();
    publish(next, rebuild);
    // Committed from here on: membership events, then timers.
    List<HealthEvent> membership = new ArrayList<>();
    Set<String> nextIds = new java.util.HashSet<>();
    for (BackendState b : next) {
      nextIds.add(b.id());
    }
    for (BackendState b : gone) {
      b.member = false;
      cancelTimers(b);
      String reason = nextIds.contains(b.id()) ? "replaced (its URI, zone or metadata changed)" : "removed";
      membership.add(new HealthEvent.BackendRemoved(name, b.id(), b.status, reason, now));
    }
    for (BackendState b : added) {
      membership.add(new HealthEvent.BackendAdded(name, b.id(), b.status, b.statusReason, now));
      if (b.warming) {
        long since = b.warmingSince;
        b.warmTask =
            schedule(
                () -> warmingEnded(b, since), Objects.requireNonNull(slowStart).window().toNanos());
      }
      startProbing(b);
    }
    pendingEvents.addAll(eventsBefore, membership); // before any panic change they caused
  }

  public void setWeight(String id, int weight) {
    locked(
        () -> {
          BackendState b = require(id);
          int old = b.weight();
          if (old == weight) {
            return;
          }
          List<Integer> weights = weightsOf(members);
          weights.set(members.indexOf(b), weight);
          Checks.weightsHonoured(algorithm, weights, "pools." + name + ".backends");
          b.setWeight(weight);
          try {
            publish(members, true);
          } catch (RuntimeException e) {
            b.setWeight(old);
            throw e;
          }
        });
  }

  public void setDraining(String id, boolean draining) {
    locked(
        () -> {
          requireOpen();
          BackendState b = require(id);
          if (b.isDraining() != draining) {
            transact(
                b, draining ? "drained by admin" : "undrained by admin",
                () -> b.setDraining(draining));
          }
        });
  }

  /**
   * Disables or enables a backend. Disabling stops its probes. Enabling resumes them with fresh
   * counters; with {@link HealthCheck.InitialState#WAIT_FOR_FIRST_PROBE} the backend waits for a
   * passing probe, as a new one would, otherwise it keeps the verdict it had (one that failed before
   * maintenance stays unhealthy until it passes the healthy threshold).
   */
  public void setDisabled(String id, boolean disabled) {
    locked(
        () -> {
          requireOpen();
          BackendState b = require(id);
          if (b.disabled == disabled) {
            return;
          }
          HealthCheck check = health.check();
          transact(
              b,
              disabled ? "disabled by admin" : "enabled by admin",
              () -> {
                b.disabled = disabled;
                if (!disabled && check != null) {
                  b.probeSuccesses = 0;
                  b.probeFailures = 0;
                  if (check.initialState() == HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE) {
                    b.probeHealthy = false;
                    b.probePending = true;
                    b.probeReason = "enabled by admin; waiting for the first probe to pass";
                  }
                }
              });
          if (disabled) {
            stopProbing(b);
          } else {
            startProbing(b);
          }
        });
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("load balancer is closed");
    }
  }

  /** Publishes a snapshot that answers every selection with {@code closed}; stops timed work. */
  public void close(NoBackend whenClosed) {
    locked(
        () -> {
          closed = true;
          snapshot = Snapshot.empty(this, ++generation, whenClosed);
          Scheduler.Cancellable sweep = sweepTask;
          if (sweep != null) {
            sweep.cancel();
          }
          for (BackendState b : members) {
            cancelTimers(b);
          }
        });
  }

  private static List<Integer> weightsOf(List<BackendState> backends) {
    List<Integer> weights = new ArrayList<>(backends.size());
    for (BackendState b : backends) {
      weights.add(b.weight());
    }
    return weights;
  }

  private @Nullable BackendState find(String id) {
    for (BackendState b : members) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    return null;
  }

  private BackendState require(String id) {
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

  /**
   * Explains how this pool would pick a backend for {@code request}, without opening a lease: the
   * candidates with their state and the algorithm's inputs, then the algorithm's pick. Off the
   * request path (it locks to read a consistent view).
   *
   * @param out receives one line per fact
   * @return the backend the algorithm picks, or null when it picks none
   */
  public @Nullable Backend explain(RequestView request, List<String> out) {
    Snapshot current = snapshot;
    List<BackendState> view;
    synchronized (lock) {
      view = List.copyOf(members);
    }
    long now = ticker.nanoTime();
    out.add("pool '" + name + "': algorithm " + algorithm + ", " + view.size() + " backends"
        + (current.panic ? ", PANIC MODE (" + current.panicReason + ")" : ""));
    Set<Backend> candidates = Collections.newSetFromMap(new IdentityHashMap<>());
    candidates.addAll(current.backends());
    SlowStart slowStart = health.slowStart();
    for (BackendState b : view) {
      StringBuilder line = new StringBuilder("  ")
          .append(candidates.contains(b) ? "candidate " : "excluded  ")
          .append(b.id()).append(": ").append(b.status);
      if (!b.status.isServing() || b.status == BackendStatus.WARMING) {
        line.append(" (").append(b.statusReason).append(")");
      }
      line.append(", weight ").append(b.weight())
          .append(", in flight ").append(b.inFlight())
          .append(", latency EWMA ").append(b.latencyEwmaNanos() / 1_000).append(" us");
      if (b.warming && slowStart != null) {
        line.append(String.format(
            java.util.Locale.ROOT, ", slow start factor %.2f", slowStart.factor(now - b.warmingSince)));
      }
      out.add(line.toString());
    }
    if (limited) {
      out.add("concurrency limits: pool " + (maxPerPool > 0 ? poolActive.get() + " of " + maxPerPool
          + " in flight" : "none") + ", per backend " + (maxPerBackend > 0 ? maxPerBackend : "none")
          + (maxPerPool > 0 && poolActive.get() >= maxPerPool ? " (FULL: the request would get"
              + " CONCURRENCY_LIMIT)" : ""));
    }
    Picker picker = current.picker;
    if (picker == null) {
      out.add("no backend: " + current.unavailable.message());
      return null;
    }
    LeaseImpl probe = new LeaseImpl(this, request, null);
    HashKey keySource = hashKey;
    if (keySource != null) {
      CharSequence key;
      try {
        key = keySource.key(request);
      } catch (RuntimeException e) {
        out.add("hash key " + keySource + ": threw " + e + " (treated as absent)");
        key = null;
      }
      if (key == null) {
        out.add("hash key " + keySource + ": absent, so the pick is random (a hash-key miss)");
        probe.setRandomHash(ThreadLocalRandom.current().nextLong());
      } else {
        long hash = XxHash64.hash(key);
        out.add("hash key " + keySource + ": '" + key + "', XXH64 0x" + Long.toHexString(hash));
        probe.setHash(hash);
      }
    }
    Backend picked;
    try {
      picked = picker.pick(probe);
    } catch (Exception e) {
      out.add("the algorithm threw " + e);
      return null;
    }
    if (picked == null) {
      out.add("the algorithm picked no backend");
      return null;
    }
    out.add("the algorithm picks " + picked.id()
        + (current.warming && picked instanceof BackendState b && b.warming
            ? " (warming: slow start keeps this pick with the factor's probability, else picks"
                + " again)"
            : ""));
    return picked;
  }

  /** How many pickers this pool has built: exposed to tests that prove rebuilds happen per change. */
  public long pickerBuilds() {
    return pickerBuilds.get();
  }

  /** How many probe tasks ran (tests of the probe scheduler). */
  public long probeTaskRuns() {
    return probeTaskRuns.get();
  }

  @Override
  public List<Backend> backends() {
    synchronized (lock) {
      return List.copyOf(members);
    }
  }

  @Override
  public PoolStats stats() {
    List<BackendStats> backendStats;
    boolean panic;
    synchronized (lock) {
      backendStats = new ArrayList<>(members.size());
      for (BackendState b : members) {
        backendStats.add(b.stats());
      }
      panic = snapshot.panic;
    }
    return new PoolStats(
        name,
        algorithm.name(),
        inFlight.sum(),
        noBackend.sum(),
        hashKeyMisses.sum(),
        algorithmErrors.get(),
        panic,
        ejectionsRefused.get(),
        overLimit.sum(),
        retries.sum(),
        backendStats);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(": ").append(algorithm);
    if (hashKey != null) {
      sb.append(", hashKey=").append(hashKey);
    }
    synchronized (lock) {
      sb.append(", backends=").append(members);
    }
    return sb.toString();
  }
}
