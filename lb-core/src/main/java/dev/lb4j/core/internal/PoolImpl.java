package dev.lb4j.core.internal;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Selection;
import dev.lb4j.core.Ticker;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A pool: members, the published picker snapshot, and counters.
 *
 * <p>Control plane (membership, weights, drain) runs under {@code lock} and ends by publishing a new
 * {@link Snapshot} with one volatile write. Selection reads the snapshot once and never locks.
 */
public final class PoolImpl implements Pool {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final String name;
  private final Algorithm algorithm;
  private final @Nullable HashKey hashKey;
  private final Ticker ticker;
  private final long latencyDecayNanos;

  private final LongAdder inFlight = new LongAdder();
  private final LongAdder noBackend = new LongAdder();
  private final LongAdder hashKeyMisses = new LongAdder();
  private final AtomicLong algorithmErrors = new AtomicLong(); // error path only: exact for the log throttle

  private final Object lock = new Object();
  private List<BackendState> members = List.of(); // guarded by lock; replaced, never mutated
  private long generation; // guarded by lock
  private boolean closed; // guarded by lock: once set, no change may publish a live snapshot again
  private volatile Snapshot snapshot;
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
      List<BackendSpec> backends) {
    this.name = name;
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
    for (BackendSpec spec : backends) {
      initial.add(new BackendState(this, spec));
    }
    synchronized (lock) {
      this.snapshot = buildSnapshot(initial, ++generation);
      this.members = List.copyOf(initial);
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
  }

  // ---------------------------------------------------------------- data plane

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
    if (picked instanceof BackendState state
        && state.owner() == this
        && state.unavailableFrom() == Long.MAX_VALUE
        && !lease.hasExclusions()) {
      return grant(lease, state);
    }
    return selectSlow(current, lease, picked);
  }

  private LeaseImpl grant(LeaseImpl lease, BackendState state) {
    inFlight.increment();
    lease.bind(state, ticker.nanoTime());
    return lease;
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
      return grant(lease, state);
    }
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

  // ---------------------------------------------------------------- control plane

  private Snapshot buildSnapshot(List<BackendState> candidates, long generation) {
    if (candidates.isEmpty()) {
      return new Snapshot(
          this,
          generation,
          List.of(),
          null,
          new NoBackend(name, NoBackend.Reason.NO_BACKENDS, "pool '" + name + "' has no backends"));
    }
    List<Backend> available = new ArrayList<>(candidates.size());
    for (BackendState b : candidates) {
      if (!b.isDraining()) {
        available.add(b);
      }
    }
    if (available.isEmpty()) {
      return new Snapshot(
          this,
          generation,
          List.of(),
          null,
          new NoBackend(
              name,
              NoBackend.Reason.NONE_AVAILABLE,
              "pool '" + name + "': all " + candidates.size() + " backends are draining"));
    }
    Snapshot withoutPicker =
        new Snapshot(this, generation, List.copyOf(available), null, algorithmFailed);
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
    return new Snapshot(this, generation, withoutPicker.backends(), picker, algorithmFailed);
  }

  /**
   * Publishes {@code next} as the membership; on failure nothing changes. Backends that this
   * snapshot leaves out (drained, or no longer members) are stamped with its generation before it is
   * published, so a pick that returns one can tell a race from a broken algorithm.
   */
  private void publish(List<BackendState> next) {
    if (closed) {
      throw new IllegalStateException("load balancer is closed");
    }
    long nextGeneration = generation + 1;
    Snapshot built = buildSnapshot(next, nextGeneration);
    generation = nextGeneration;
    Set<BackendState> staying = Collections.newSetFromMap(new IdentityHashMap<>());
    staying.addAll(next);
    for (BackendState b : members) {
      if (!staying.contains(b)) {
        b.setUnavailableFrom(Math.min(b.unavailableFrom(), nextGeneration));
      }
    }
    for (BackendState b : next) {
      b.setUnavailableFrom(
          b.isDraining() ? Math.min(b.unavailableFrom(), nextGeneration) : Long.MAX_VALUE);
    }
    members = List.copyOf(next);
    snapshot = built;
  }

  public void add(BackendSpec spec) {
    synchronized (lock) {
      if (find(spec.id()) != null) {
        throw new IllegalArgumentException(
            "backend id: '" + spec.id() + "' (expected: unique in pool '" + name + "')");
      }
      List<BackendState> next = new ArrayList<>(members);
      next.add(new BackendState(this, spec));
      Checks.weightsHonoured(algorithm, weightsOf(next), "pools." + name + ".backends");
      publish(next);
    }
  }

  public void remove(String id) {
    synchronized (lock) {
      BackendState b = require(id);
      List<BackendState> next = new ArrayList<>(members);
      next.remove(b);
      publish(next);
    }
  }

  public void setWeight(String id, int weight) {
    synchronized (lock) {
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
        publish(members);
      } catch (RuntimeException e) {
        b.setWeight(old);
        throw e;
      }
    }
  }

  public void setDraining(String id, boolean draining) {
    synchronized (lock) {
      BackendState b = require(id);
      if (b.isDraining() == draining) {
        return;
      }
      b.setDraining(draining);
      try {
        publish(members);
      } catch (RuntimeException e) {
        b.setDraining(!draining);
        throw e;
      }
    }
  }

  /** Publishes a snapshot that answers every selection with {@code closed}. */
  public void close(NoBackend whenClosed) {
    synchronized (lock) {
      closed = true;
      snapshot = new Snapshot(this, ++generation, List.of(), null, whenClosed);
    }
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

  @Override
  public List<Backend> backends() {
    synchronized (lock) {
      return List.copyOf(members);
    }
  }

  @Override
  public PoolStats stats() {
    List<BackendStats> backendStats;
    synchronized (lock) {
      backendStats = new ArrayList<>(members.size());
      for (BackendState b : members) {
        backendStats.add(b.stats());
      }
    }
    return new PoolStats(
        name,
        algorithm.name(),
        inFlight.sum(),
        noBackend.sum(),
        hashKeyMisses.sum(),
        algorithmErrors.get(),
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
