package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import dev.lb4j.core.Ticker;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pool's concurrency limits (a bulkhead, like Envoy's circuit-breaker {@code max_requests}): the
 * pool's count is taken first, then the backend's, each exactly (compare-and-set against the limit).
 * A backend at its limit is excluded and the algorithm picks again, up to {@value #LIMIT_ATTEMPTS}
 * picks; when those are all full, or the pool is, the selection fails with {@code
 * CONCURRENCY_LIMIT}. Re-picks skip slow start's rejection (a full pool has no spare share to ramp).
 * Exists only for pools that set a limit.
 */
final class ConcurrencyLimits {

  /** Picks within a per-backend limit before giving up on backends at their limit. */
  private static final int LIMIT_ATTEMPTS = 8;

  private final PoolImpl pool;
  private final Ticker ticker;
  private final PoolCounters counters;
  private final long maxPerPool;
  private final int maxPerBackend;
  private final AtomicLong poolActive = new AtomicLong();
  private final NoBackend poolAtLimit;
  private final NoBackend backendsAtLimit;

  ConcurrencyLimits(
      PoolImpl pool, Ticker ticker, PoolCounters counters, long maxPerPool, int maxPerBackend) {
    this.pool = pool;
    this.ticker = ticker;
    this.counters = counters;
    this.maxPerPool = maxPerPool;
    this.maxPerBackend = maxPerBackend;
    String name = pool.name();
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
  }

  /** The grant of a lease on {@code state}, or on another backend if it is at its limit. */
  Selection grant(Snapshot current, PickState pick, BackendState state) {
    // Before any slot is taken: a throwing ticker leaks nothing.
    long now = pool.measuresLatency() ? pick.startNanos(ticker) : 0;
    if (maxPerPool > 0 && !tryAcquirePool()) {
      counters.overLimit.increment();
      counters.noBackend.increment();
      return poolAtLimit;
    }
    BackendState chosen = state;
    if (maxPerBackend > 0) {
      Picker picker = current.picker;
      int attempt = 0;
      while (!chosen.tryAcquire(maxPerBackend)) {
        pick.skip(chosen);
        Backend next = null;
        if (picker != null && ++attempt < LIMIT_ATTEMPTS) {
          try {
            next = picker.pick(pick);
          } catch (Exception | Error e) { // the slots taken above must be given back
            next = null;
          }
        }
        if (!(next instanceof BackendState s) || !(RequestPath.ownedByOrAfter(s, pool) && s.unavailableFrom() == Long.MAX_VALUE)) {
          pick.clearSkips();
          if (maxPerPool > 0) {
            releasePool();
          }
          counters.overLimit.increment();
          counters.noBackend.increment();
          return backendsAtLimit;
        }
        chosen = s;
      }
      pick.clearSkips();
    }
    return pool.openLease(pick.request(), chosen, now, maxPerBackend > 0);
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

  /** Gives back the pool's slot of a released lease. */
  void released() {
    if (maxPerPool > 0) {
      releasePool();
    }
  }

  private void releasePool() {
    poolActive.decrementAndGet();
  }

  /** One line for explain: the limits, and whether the pool is full. */
  String describe() {
    long active = poolActive.get();
    return "concurrency limits: pool "
        + (maxPerPool > 0 ? active + " of " + maxPerPool + " in flight" : "none")
        + ", per backend " + (maxPerBackend > 0 ? maxPerBackend : "none")
        + (maxPerPool > 0 && active >= maxPerPool
            ? " (FULL: the request would get CONCURRENCY_LIMIT)"
            : "");
  }
}
