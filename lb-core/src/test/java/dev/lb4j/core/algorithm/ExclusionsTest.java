package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.GET;
import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.allBut;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancer;
import static dev.lb4j.core.algorithm.TestPools.ones;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import dev.lb4j.core.Selection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Retries: {@code pool.select(request, alreadyTried)} never returns a backend already tried, and
 * says {@link NoBackend.Reason#ALL_EXCLUDED} once every backend has been. When another backend is
 * allowed, the engine replaces an excluded backend an algorithm returned and counts it in {@code
 * algorithmErrors}, so every test also checks that counter stays 0: the algorithm itself honours
 * exclusions. The engine counts such a breach even when every backend is excluded (the last test).
 */
class ExclusionsTest {

  /** One algorithm on one weight set, each reaching a different picker. */
  static final class Case {
    private final String name;
    private final Supplier<Algorithm> algorithm;
    private final int[] weights;

    Case(String name, Supplier<Algorithm> algorithm, int[] weights) {
      this.name = name;
      this.algorithm = algorithm;
      this.weights = weights.clone();
    }

    Algorithm algorithm() {
      return algorithm.get();
    }

    int[] weights() {
      return weights.clone();
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * Distinct weights 1 + (7919 i mod 10000). For n = 100 the nginx schedule would cost sum(w) * n =
   * 489,150 * 100, about 3 * 2^24, so weighted round robin uses its golden-ratio picker instead.
   */
  private static int[] largeWeights(int n) {
    int[] weights = new int[n];
    for (int i = 0; i < n; i++) {
      weights[i] = 1 + (int) ((7919L * i) % 10_000);
    }
    return weights;
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("round_robin", Algorithms::roundRobin, ones(5)),
        new Case("round_robin, one backend", Algorithms::roundRobin, ones(1)),
        new Case(
            "weighted_round_robin, schedule",
            Algorithms::weightedRoundRobin,
            new int[] {5, 1, 1, 2, 3}),
        new Case(
            "weighted_round_robin, equal weights",
            Algorithms::weightedRoundRobin,
            new int[] {4, 4, 4, 4}),
        new Case(
            "weighted_round_robin, golden ratio",
            Algorithms::weightedRoundRobin,
            largeWeights(100)),
        new Case("random", Algorithms::random, ones(5)),
        new Case("weighted_random", Algorithms::weightedRandom, new int[] {1, 2, 3, 4, 5}),
        new Case("least_request, full scan", Algorithms::leastRequest, ones(5)),
        new Case(
            "least_request, full scan, weighted",
            Algorithms::leastRequest,
            new int[] {1, 2, 3, 4, 5}),
        new Case("least_request, two choices", Algorithms::leastRequest, ones(40)),
        new Case(
            "least_request, two choices, weighted", Algorithms::leastRequest, largeWeights(40)),
        new Case("peak_ewma", Algorithms::peakEwma, ones(5)),
        new Case("peak_ewma, weighted", Algorithms::peakEwma, new int[] {1, 2, 3, 4, 5}),
        new Case("peak_ewma, one backend", Algorithms::peakEwma, ones(1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void neverPicksABackendExcludedFromHalfThePool(Case c) {
    try (LoadBalancer lb = balancer(c.algorithm(), c.weights())) {
      Pool pool = lb.pool(POOL);
      List<Backend> backends = pool.backends();
      List<Backend> excluded = new ArrayList<>();
      Set<String> excludedIds = new HashSet<>();
      for (int i = 1; i < backends.size(); i += 2) {
        excluded.add(backends.get(i));
        excludedIds.add(backends.get(i).id());
      }
      for (int k = 0; k < 500; k++) {
        assertThat(pickAndClose(pool, excluded)).as("pick %d", k).isNotIn(excludedIds);
      }
      assertIdle(lb);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void picksTheOnlyBackendNotExcluded(Case c) {
    try (LoadBalancer lb = balancer(c.algorithm(), c.weights())) {
      Pool pool = lb.pool(POOL);
      List<Backend> backends = pool.backends();
      int n = backends.size();
      for (int survivor : new int[] {0, n / 2, n - 1}) {
        String id = backends.get(survivor).id();
        List<Backend> others = allBut(pool, id);
        for (int k = 0; k < 20; k++) {
          assertThat(pickAndClose(pool, others))
              .as("pick %d with only %s allowed", k, id)
              .isEqualTo(id);
        }
      }
      assertIdle(lb);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyBackendExcludedGivesAllExcluded(Case c) {
    try (LoadBalancer lb = balancer(c.algorithm(), c.weights());
        LoadBalancer twin = balancer(c.algorithm(), c.weights())) {
      Pool pool = lb.pool(POOL);
      int attempts = 20;
      for (int k = 0; k < attempts; k++) {
        // The pool's own backends, and equal ones of another balancer: exclusion is by id.
        List<Backend> all = k % 2 == 0 ? pool.backends() : twin.pool(POOL).backends();
        Selection selection = pool.select(GET, all);
        assertThat(selection).as("attempt %d", k).isInstanceOf(NoBackend.class);
        assertThat(((NoBackend) selection).reason())
            .as("attempt %d", k)
            .isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
        assertThat(selection.pool()).isEqualTo(POOL);
      }
      assertThat(lb.stats().pool(POOL).noBackend()).isEqualTo(attempts);
      assertIdle(lb);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyBackendExcludedCostsAFewExclusionChecksPerBackend(Case c) {
    // The engine checks each of the n backends once to tell ALL_EXCLUDED from other failures; an
    // algorithm may draw a few candidates at random (at most 4 redraws of 2 here) and then scan all
    // n once. Anything beyond 3n + 8 checks means a picker walks something bigger than its backends
    // (a schedule, a ring) one entry at a time.
    try (LoadBalancer lb = balancer(c.algorithm(), c.weights())) {
      Pool pool = lb.pool(POOL);
      int n = pool.backends().size();
      for (int k = 0; k < 50; k++) {
        TestPools.CountingExclusions all = new TestPools.CountingExclusions(pool.backends());
        Selection selection = pool.select(GET, all);
        assertThat(selection).as("attempt %d", k).isInstanceOf(NoBackend.class);
        assertThat(all.checks())
            .as("exclusion checks of attempt %d", k)
            .isLessThanOrEqualTo(3L * n + 8);
      }
      assertIdle(lb);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void retriesVisitEveryBackendOnceThenRunOut(Case c) {
    try (LoadBalancer lb = balancer(c.algorithm(), c.weights())) {
      Pool pool = lb.pool(POOL);
      int n = pool.backends().size();
      List<Backend> tried = new ArrayList<>();
      Set<String> triedIds = new HashSet<>();
      for (int attempt = 0; attempt < n; attempt++) {
        try (Lease lease = pool.select(GET, tried).leaseOrThrow()) {
          Backend b = lease.backend();
          assertThat(triedIds.add(b.id()))
              .as("attempt %d went to %s, tried already", attempt, b.id())
              .isTrue();
          tried.add(b);
        }
      }
      Selection last = pool.select(GET, tried);
      assertThat(last).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) last).reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      assertIdle(lb);
    }
  }

  /** A broken algorithm that ignores exclusions: always the first backend. */
  private static Algorithm ignoringExclusions() {
    return new Algorithm() {
      @Override
      public String name() {
        return "ignores_exclusions";
      }

      @Override
      public Picker newPicker(BackendSet set) {
        Backend first = set.backends().get(0);
        return context -> first;
      }
    };
  }

  @Test
  void anAlgorithmReturningAnExcludedBackendIsOverruledAndCounted() {
    // The safety net the other tests rely on when they assert algorithmErrors == 0.
    try (LoadBalancer lb = balancer(ignoringExclusions(), ones(3))) {
      Pool pool = lb.pool(POOL);
      Backend first = pool.backends().get(0);
      assertThat(pickAndClose(pool, List.of(first))).isNotEqualTo(first.id());
      assertThat(lb.stats().pool(POOL).algorithmErrors()).isEqualTo(1);
    }
  }

  @Test
  void anAlgorithmReturningAnExcludedBackendIsCountedEvenWhenAllAreExcluded() {
    try (LoadBalancer lb = balancer(ignoringExclusions(), ones(3))) {
      Pool pool = lb.pool(POOL);
      Selection selection = pool.select(GET, pool.backends());
      assertThat(selection).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) selection).reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      assertThat(lb.stats().pool(POOL).algorithmErrors())
          .as("contract violations counted")
          .isEqualTo(1);
    }
  }
}
