package dev.lb4j.core;

import java.util.List;

/**
 * Counters of one pool and its backends at the moment a {@link LoadBalancerStats} was taken.
 *
 * <p>Membership, weights and statuses are consistent with each other (taken under the pool's
 * control-plane lock); each counter is read once, without stopping traffic, so counters of different
 * backends may be a few requests apart.
 *
 * @param name the pool name
 * @param algorithm the algorithm's name
 * @param inFlight leases open now across the pool (including removed backends still draining)
 * @param noBackend selections that found no backend
 * @param hashKeyMisses selections in a hashing pool whose request had no key (balanced randomly)
 * @param algorithmErrors picks in which the algorithm or the hash-key source threw or broke its
 *     contract
 * @param panic whether the pool is in panic mode (too few healthy backends)
 * @param ejectionsRefused ejections that outlier detection skipped because of the ejection cap
 * @param overLimit selections refused by the pool's or its backends' concurrency limits
 * @param retries selections for retries ({@link LoadBalancer#retry}): each is one more attempt of a
 *     request that already had one
 * @param backends one entry per current member, in configuration order
 * @since 0.1.0
 */
public record PoolStats(
    String name,
    String algorithm,
    long inFlight,
    long noBackend,
    long hashKeyMisses,
    long algorithmErrors,
    boolean panic,
    long ejectionsRefused,
    long overLimit,
    long retries,
    List<BackendStats> backends) {

  /**
   * Copies the list so the record stays immutable.
   *
   * @param name the pool name
   * @param algorithm the algorithm's name
   * @param inFlight leases open now
   * @param noBackend selections that found no backend
   * @param hashKeyMisses selections without a key
   * @param algorithmErrors algorithm and key-source failures
   * @param panic whether the pool is in panic mode
   * @param ejectionsRefused ejections skipped because of the cap
   * @param overLimit selections refused by concurrency limits
   * @param retries selections for retries
   * @param backends per-backend stats
   */
  public PoolStats {
    backends = List.copyOf(backends);
  }

  /**
   * The stats of the backend with this id.
   *
   * @param id the backend id
   * @return its stats
   * @throws IllegalArgumentException if the pool has no such backend
   */
  public BackendStats backend(String id) {
    for (BackendStats b : backends) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    throw new IllegalArgumentException("backend: '" + id + "' is not in pool '" + name + "'");
  }
}
