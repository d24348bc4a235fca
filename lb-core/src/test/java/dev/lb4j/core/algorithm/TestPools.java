package dev.lb4j.core.algorithm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.Pool;
import dev.lb4j.core.testing.EngineFixture;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * Set-up shared by the algorithm tests: one pool named {@value #POOL} of fake backends (URIs that
 * are never contacted), picks through the public API, and leases pinned to a chosen backend.
 */
final class TestPools {

  static final String POOL = "p";
  static final RequestView GET = RequestView.of("GET", "/");

  private TestPools() {}

  /** The URI of backend {@code i}: {@code http://10.0.x.y:8080}, distinct for i below 64,000. */
  static String uri(int i) {
    return "http://10.0." + (i / 250) + "." + (i % 250 + 1) + ":8080";
  }

  /** {@code n} weights of 1. */
  static int[] ones(int n) {
    int[] weights = new int[n];
    Arrays.fill(weights, 1);
    return weights;
  }

  /** A builder with one pool: backend {@code i} has {@code weights[i]}. */
  static LoadBalancerBuilder balancerBuilder(Algorithm algorithm, int... weights) {
    return LoadBalancer.builder()
        .pool(
            POOL,
            p -> {
              for (int i = 0; i < weights.length; i++) {
                p.backend(uri(i), weights[i]);
              }
              p.algorithm(algorithm);
            });
  }

  static LoadBalancer balancer(Algorithm algorithm, int... weights) {
    return balancerBuilder(algorithm, weights).build();
  }

  /** Backend id to its position in configuration order. */
  static Map<String, Integer> indexById(Pool pool) {
    Map<String, Integer> index = new HashMap<>();
    List<Backend> backends = pool.backends();
    for (int i = 0; i < backends.size(); i++) {
      index.put(backends.get(i).id(), i);
    }
    return index;
  }

  static int index(Map<String, Integer> index, String id) {
    Integer i = index.get(id);
    if (i == null) {
      throw new AssertionError("picked a backend that is not in the pool: " + id);
    }
    return i;
  }

  /** Selects, closes the lease at once (no outcome recorded) and returns the backend's id. */
  static String pickAndClose(Pool pool) {
    try (Lease lease = pool.select(GET).leaseOrThrow()) {
      return lease.backend().id();
    }
  }

  static String pickAndClose(Pool pool, Collection<? extends Backend> exclude) {
    try (Lease lease = pool.select(GET, exclude).leaseOrThrow()) {
      return lease.backend().id();
    }
  }

  /** Every backend of the pool except the one with this id. */
  static List<Backend> allBut(Pool pool, String id) {
    List<Backend> others = new ArrayList<>();
    for (Backend b : pool.backends()) {
      if (!b.id().equals(id)) {
        others.add(b);
      }
    }
    return others;
  }

  /** Opens a lease on exactly this backend, by excluding every other one; the caller closes it. */
  static Lease leaseOn(Pool pool, String id) {
    Lease lease = pool.select(GET, allBut(pool, id)).leaseOrThrow();
    if (!lease.backend().id().equals(id)) {
      lease.close();
      throw new AssertionError("expected a lease on " + id + " but got " + lease.backend().id());
    }
    return lease;
  }

  static void closeAll(List<Lease> leases) {
    for (Lease lease : leases) {
      lease.close();
    }
    leases.clear();
  }

  /**
   * Nothing is in flight any more, and the algorithm never broke its contract (the engine silently
   * replaces an excluded or foreign backend, but counts it in {@code algorithmErrors}).
   */
  static void assertIdle(LoadBalancer lb) {
    EngineFixture.assertNothingInFlight(lb);
    assertThat(lb.stats().pool(POOL).algorithmErrors())
        .as("algorithm contract violations")
        .isZero();
  }

  /**
   * An exclusion list that counts how many times the engine and the algorithm ask whether a backend
   * is excluded. The engine answers each question by scanning the list from its first element, so
   * reads of element 0 count questions.
   */
  static final class CountingExclusions extends AbstractList<Backend> implements RandomAccess {
    private final List<Backend> backends;
    private long checks;

    CountingExclusions(List<Backend> backends) {
      this.backends = List.copyOf(backends);
    }

    @Override
    public Backend get(int index) {
      if (index == 0) {
        checks++;
      }
      return backends.get(index);
    }

    @Override
    public int size() {
      return backends.size();
    }

    long checks() {
      return checks;
    }
  }

  /**
   * Six standard deviations of a Binomial(n, p) count. By the normal approximation a count falls
   * outside mean +- 6 sd with probability about 2e-9, so a test comparing a few dozen counts with
   * this tolerance fails spuriously less than once in ten million runs.
   */
  static double sixSigma(long n, double p) {
    return 6 * Math.sqrt(n * p * (1 - p));
  }
}
