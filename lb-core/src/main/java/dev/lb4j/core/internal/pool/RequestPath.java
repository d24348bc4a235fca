package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.XxHash64;
import dev.lb4j.core.internal.health.BackendHealth;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A pool's request path: reads the published snapshot once, asks its picker, checks the answer
 * against the snapshot, applies slow start and hands out the lease. Never locks; allocates the lease
 * and nothing else in the common case. Every unusual outcome (no pick, a contract breach, a race with
 * a change, exclusions) is handled out of line in {@link #selectSlow}.
 *
 * <p>The control plane publishes snapshots through {@link #publish}; this class owns the volatile
 * reference and reads it, nothing else.
 */
final class RequestPath {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  /** Attempts per selection while slow start rejects picks of warming backends. */
  private static final int WARM_ATTEMPTS = 16;

  private final PoolImpl pool;
  private final String name;
  private final String algorithmName;
  private final @Nullable HashKey hashKey;
  private final boolean hashing;
  private final boolean proportional;
  private final @Nullable SlowStart slowStart;
  private final Ticker ticker;
  private final PoolCounters counters;
  private final @Nullable ConcurrencyLimits limits;
  private final NoBackend allExcluded;
  private final NoBackend algorithmFailed;
  private final NoBackend noneAcceptable;
  private final boolean measuresLatency;

  private volatile Snapshot snapshot;

  RequestPath(
      PoolImpl pool,
      @Nullable HashKey hashKey,
      @Nullable SlowStart slowStart,
      Ticker ticker,
      PoolCounters counters,
      @Nullable ConcurrencyLimits limits,
      NoBackend algorithmFailed,
      Snapshot initial) {
    this.pool = pool;
    this.name = pool.name();
    this.algorithmName = pool.algorithm().name();
    this.hashKey = hashKey;
    this.hashing = pool.algorithm().usesHashKey();
    this.proportional = pool.algorithm().picksInProportionToWeight();
    this.slowStart = slowStart;
    this.ticker = ticker;
    this.counters = counters;
    this.limits = limits;
    this.algorithmFailed = algorithmFailed;
    this.allExcluded =
        new NoBackend(
            name,
            NoBackend.Reason.ALL_EXCLUDED,
            "pool '" + name + "': every available backend was excluded (already tried)");
    this.noneAcceptable =
        new NoBackend(
            name,
            NoBackend.Reason.NONE_AVAILABLE,
            "pool '" + name + "': algorithm '" + algorithmName + "' found no acceptable backend");
    this.snapshot = initial;
    this.measuresLatency = pool.measuresLatency();
  }

  Snapshot snapshot() {
    return snapshot;
  }

  /** Publishes the next snapshot with one volatile write; returns the one it replaces. */
  Snapshot publish(Snapshot next) {
    Snapshot previous = snapshot;
    snapshot = next;
    return previous;
  }

  /**
   * Selects a backend. Kept small so the JIT can inline it into the caller.
   *
   * @param exclude backends not to pick, or null
   */
  Selection select(RequestView request, @Nullable Collection<? extends Backend> exclude) {
    Snapshot current = snapshot;
    Picker picker = current.picker;
    if (picker == null) {
      counters.noBackend.increment();
      return current.unavailable;
    }
    Objects.requireNonNull(request, "request");
    PickState pick = PickState.acquire(request, exclude);
    try {
      HashKey keySource = hashKey;
      if (keySource != null) {
        hashInto(pick, keySource, request);
      }
      Backend picked;
      try {
        picked = picker.pick(pick);
      } catch (Exception e) { // checked ones too: a plugin written in another JVM language may throw them
        return algorithmFailure("threw " + e, e);
      }
      if (current.warming) {
        return selectWarming(current, pick, picked);
      }
      if (picked instanceof BackendState state && usable(state) && !pick.hasExclusions()) {
        return grant(current, pick, state);
      }
      return selectSlow(current, pick, picked);
    } finally {
      pick.release();
    }
  }

  /** Whether a pick is one of this pool's backends and available in the newest snapshot. */
  private boolean usable(BackendState state) {
    return usable(state, pool);
  }

  /** Whether {@code state} belongs to {@code pool} and is available in its newest snapshot. */
  static boolean usable(BackendState state, PoolImpl pool) {
    return state.owner() == pool
        && state.unavailableFrom() == Long.MAX_VALUE;
  }

  /**
   * Whether {@code state} belongs to {@code pool} or to a pool that took over from it in a
   * reconfiguration: a replaced pool's forwarding picker returns its successor's backends (out of
   * line: only the slow path asks).
   */
  static boolean ownedByOrAfter(BackendState state, PoolImpl pool) {
    PoolImpl owner = state.ownerAcquire();
    for (PoolImpl p = pool; p != null; p = p.successor()) {
      if (p == owner) {
        return true;
      }
    }
    return false;
  }

  private Selection grant(Snapshot current, PickState pick, BackendState state) {
    ConcurrencyLimits l = limits;
    if (l != null) {
      return l.grant(current, pick, state);
    }
    // Read the clock before taking the slot: a throwing ticker then leaks nothing.
    long start = measuresLatency ? pick.startNanos(ticker) : 0;
    return pool.openLease(pick.request(), state, start, false);
  }

  /** Everything but the common case: no pick, a contract breach, a race with a change, a retry. */
  private Selection selectSlow(Snapshot current, PickState pick, @Nullable Backend picked) {
    for (int round = 0; ; round++) {
      if (picked == null) {
        counters.noBackend.increment();
        return pick.hasExclusions() && firstNotExcluded(current, pick) == null
            ? allExcluded
            : noneAcceptable;
      }
      if (!(picked instanceof BackendState state) || !ownedByOrAfter(state, pool)) {
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
          counters.noBackend.increment();
          return current.unavailable;
        }
        try {
          picked = picker.pick(pick);
        } catch (Exception e) {
          return algorithmFailure("threw " + e, e);
        }
        continue;
      }
      if (pick.hasExclusions() && pick.isExcluded(state)) {
        countAlgorithmError("returned an excluded backend: " + state.id(), null);
        BackendState fallback = firstNotExcluded(current, pick);
        if (fallback == null) {
          counters.noBackend.increment();
          return allExcluded;
        }
        state = fallback;
      }
      return grant(current, pick, state);
    }
  }

  /**
   * Slow start by rejection: a pick of a warming backend is kept with probability equal to its ramp
   * factor. Otherwise, for algorithms that pick in proportion to weight, the algorithm simply picks
   * again (which yields exactly the ramped weight); for every other algorithm the rejected backend is
   * excluded from the rest of this selection, so each backend gets one draw per request (least
   * request would otherwise return the same idle newcomer again and again). Hashing algorithms draw
   * per key (a function of the key's hash and the backend's id), so a key moves once and stays.
   */
  private Selection selectWarming(Snapshot current, PickState pick, @Nullable Backend first) {
    SlowStart ramp = Objects.requireNonNull(slowStart, "slowStart");
    Picker picker = Objects.requireNonNull(current.picker, "picker");
    long now = Long.MIN_VALUE; // read the ticker only if a warming backend is picked
    Backend picked = first;
    BackendState firstRejected = null;
    for (int attempt = 0; attempt < WARM_ATTEMPTS; attempt++) {
      if (!(picked instanceof BackendState state) || state.owner() != pool) {
        break;
      }
      BackendHealth.WarmUp warmUp = state.health().warmUp();
      if (!warmUp.warming()) {
        break;
      }
      if (now == Long.MIN_VALUE) {
        now = ticker.nanoTime();
      }
      double factor = ramp.factor(now - warmUp.sinceNanos());
      double draw =
          hashing ? unit(pick.hash() ^ state.idHash()) : ThreadLocalRandom.current().nextDouble();
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
        pick.skip(state);
      }
      try {
        picked = next.pick(pick);
      } catch (Exception e) {
        pick.clearSkips();
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
    pick.clearSkips();
    if (picked instanceof BackendState state && usable(state) && !pick.hasExclusions()) {
      return grant(current, pick, state);
    }
    return selectSlow(current, pick, picked);
  }

  /** A uniform double in [0, 1) from 64 bits, after a SplitMix64 finalizer to spread them. */
  private static double unit(long x) {
    x = (x ^ (x >>> 30)) * 0xbf58476d1ce4e5b9L;
    x = (x ^ (x >>> 27)) * 0x94d049bb133111ebL;
    x = x ^ (x >>> 31);
    return (x >>> 11) * 0x1.0p-53;
  }

  private void hashInto(PickState pick, HashKey keySource, RequestView request) {
    CharSequence key;
    try {
      key = keySource.key(request);
    } catch (RuntimeException e) {
      countAlgorithmError("hash key source '" + keySource + "' threw " + e, e);
      key = null;
    }
    if (key == null) {
      counters.hashKeyMisses.increment();
      pick.setRandomHash(ThreadLocalRandom.current().nextLong());
    } else {
      pick.setHash(XxHash64.hash(key));
    }
  }

  private static @Nullable BackendState firstNotExcluded(Snapshot current, PickState pick) {
    List<Backend> backends = current.backends();
    int n = backends.size();
    if (n == 0) {
      return null; // a replaced pool's forwarding snapshot lists none
    }
    int start = ThreadLocalRandom.current().nextInt(n);
    for (int i = 0; i < n; i++) {
      Backend b = backends.get((start + i) % n);
      if (!pick.isExcluded(b)) {
        return (BackendState) b;
      }
    }
    return null;
  }

  private NoBackend algorithmFailure(String what, @Nullable Throwable cause) {
    counters.noBackend.increment();
    countAlgorithmError(what, cause);
    return algorithmFailed;
  }

  /** Counts every failure; logs the 1st, 2nd, 4th, 8th... so a broken plugin cannot flood logs. */
  void countAlgorithmError(String what, @Nullable Throwable cause) {
    long count = counters.algorithmErrors.incrementAndGet();
    if (Long.bitCount(count) == 1) {
      LOG.log(
          Level.WARNING,
          "pool '" + name + "': algorithm '" + algorithmName + "' " + what + " (" + count
              + " failures so far)",
          cause);
    }
  }
}
