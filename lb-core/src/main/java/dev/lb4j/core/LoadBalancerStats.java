package dev.lb4j.core;

import java.util.Map;

/**
 * A snapshot of every pool's stats; see {@link PoolStats} for what "consistent" means.
 *
 * @param tickerNanos the ticker reading at which the snapshot was taken
 * @param pools pool name to stats, in definition order
 * @param policyErrors policy calls that threw or returned null (each rejected its request with 500)
 * @since 0.1.0
 */
public record LoadBalancerStats(long tickerNanos, Map<String, PoolStats> pools, long policyErrors) {

  /**
   * Copies the map so the record stays immutable.
   *
   * @param tickerNanos the ticker reading
   * @param pools the per-pool stats
   * @param policyErrors policy failures
   */
  public LoadBalancerStats {
    pools = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(pools));
  }

  /**
   * The stats of one pool.
   *
   * @param name the pool name
   * @return its stats
   * @throws IllegalArgumentException if there is no such pool
   */
  public PoolStats pool(String name) {
    PoolStats stats = pools.get(name);
    if (stats == null) {
      throw new IllegalArgumentException("pool: '" + name + "' (expected one of " + pools.keySet() + ")");
    }
    return stats;
  }
}
