package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.XxHash64;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Explains how a pool would pick a backend for a request, without opening a lease: the candidates
 * with their state and the algorithm's inputs, the hash key, the concurrency limits, then the
 * algorithm's pick from the published snapshot. Off the request path: it allocates freely.
 */
final class PoolExplainer {

  private final PoolImpl pool;
  private final @Nullable HashKey hashKey;
  private final @Nullable SlowStart slowStart;
  private final Ticker ticker;
  private final @Nullable ConcurrencyLimits limits;

  PoolExplainer(
      PoolImpl pool,
      @Nullable HashKey hashKey,
      @Nullable SlowStart slowStart,
      Ticker ticker,
      @Nullable ConcurrencyLimits limits) {
    this.pool = pool;
    this.hashKey = hashKey;
    this.slowStart = slowStart;
    this.ticker = ticker;
    this.limits = limits;
  }

  /**
   * Explains one pick.
   *
   * @param current the published snapshot
   * @param members the members, read under the pool's lock
   * @param out receives one line per fact
   * @return the backend the algorithm picks, or null when it picks none
   */
  @Nullable Backend explain(
      Snapshot current, List<BackendState> members, RequestView request, List<String> out) {
    long now = ticker.nanoTime();
    out.add("pool '" + pool.name() + "': algorithm " + pool.algorithm() + ", " + members.size()
        + " backends" + (current.panic ? ", PANIC MODE (" + current.panicReason + ")" : ""));
    Set<Backend> candidates = Collections.newSetFromMap(new IdentityHashMap<>());
    candidates.addAll(current.backends());
    for (BackendState b : members) {
      BackendHealth h = b.health();
      StringBuilder line = new StringBuilder("  ")
          .append(candidates.contains(b) ? "candidate " : "excluded  ")
          .append(b.id()).append(": ").append(h.status());
      if (!h.status().isServing() || h.warmUp().warming()) {
        line.append(" (").append(h.reason()).append(")");
      }
      line.append(", weight ").append(b.weight())
          .append(", in flight ").append(b.inFlight())
          .append(", latency EWMA ").append(b.latencyEwmaNanos() / 1_000).append(" us");
      SlowStart ramp = slowStart;
      if (h.warmUp().warming() && ramp != null) {
        line.append(String.format(
            Locale.ROOT, ", slow start factor %.2f", ramp.factor(now - h.warmUp().sinceNanos())));
      }
      out.add(line.toString());
    }
    if (limits != null) {
      out.add(limits.describe());
    }
    Picker picker = current.picker;
    if (picker == null) {
      out.add("no backend: " + current.unavailable.message());
      return null;
    }
    PickState probe = PickState.detached(request);
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
        + (current.warming && picked instanceof BackendState b && b.health().warmUp().warming()
            ? " (warming: slow start keeps this pick with the factor's probability, else picks"
                + " again)"
            : ""));
    return picked;
  }
}
