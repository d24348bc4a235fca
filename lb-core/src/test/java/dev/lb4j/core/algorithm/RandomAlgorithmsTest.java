package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancer;
import static dev.lb4j.core.algorithm.TestPools.index;
import static dev.lb4j.core.algorithm.TestPools.indexById;
import static dev.lb4j.core.algorithm.TestPools.ones;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static dev.lb4j.core.algorithm.TestPools.sixSigma;
import static dev.lb4j.core.algorithm.TestPools.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code random} and {@code weighted_random}. Both draw from {@link
 * java.util.concurrent.ThreadLocalRandom}, which cannot be seeded, so every tolerance is derived
 * from the distribution of the count it bounds (see {@link TestPools#sixSigma}).
 */
class RandomAlgorithmsTest {

  /** The backend index of each of {@code picks} picks. */
  private static int[] pickIndexes(LoadBalancer lb, int picks) {
    Pool pool = lb.pool(POOL);
    Map<String, Integer> index = indexById(pool);
    int[] sequence = new int[picks];
    for (int i = 0; i < picks; i++) {
      sequence[i] = index(index, pickAndClose(pool));
    }
    return sequence;
  }

  private static void assertCountsMatchWeights(int[] sequence, int... weights) {
    int[] counts = new int[weights.length];
    for (int i : sequence) {
      counts[i]++;
    }
    long total = 0;
    for (int w : weights) {
      total += w;
    }
    for (int i = 0; i < weights.length; i++) {
      double p = (double) weights[i] / total;
      double expected = sequence.length * p;
      double tolerance = sixSigma(sequence.length, p);
      assertThat((double) counts[i])
          .as("picks of backend %d (weight %d): expected %.0f +- %.0f", i, weights[i], expected,
              tolerance)
          .isBetween(expected - tolerance, expected + tolerance);
    }
  }

  @Test
  void randomSpreadsPicksUniformly() {
    // 10 backends, 100,000 picks: each count is Binomial(100000, 0.1), mean 10000, sd 94.9, so the
    // tolerance is +-569 (6 sd); 10 such counts fail together with probability ~2e-8.
    int n = 10;
    try (LoadBalancer lb = balancer(Algorithms.random(), ones(n))) {
      assertCountsMatchWeights(pickIndexes(lb, 100_000), ones(n));
      assertIdle(lb);
    }
  }

  @Test
  void randomPicksAreIndependentRatherThanCyclic() {
    // For independent uniform picks over n backends, pick i equals pick i+1 with probability 1/n,
    // and these indicators are pairwise independent, so the number of immediate repeats among
    // 100,000 picks has mean 99999/10 and variance 99999 * 0.1 * 0.9 (sd 94.9); the sum is
    // 1-dependent, so the normal approximation holds and 6 sd bound it. Round robin has 0 repeats.
    int n = 10;
    int picks = 100_000;
    try (LoadBalancer lb = balancer(Algorithms.random(), ones(n))) {
      int[] sequence = pickIndexes(lb, picks);
      int repeats = 0;
      for (int i = 1; i < picks; i++) {
        if (sequence[i] == sequence[i - 1]) {
          repeats++;
        }
      }
      double expected = (picks - 1) / (double) n;
      double tolerance = sixSigma(picks - 1, 1.0 / n);
      assertThat((double) repeats)
          .as("immediate repeats among %d picks", picks)
          .isBetween(expected - tolerance, expected + tolerance);
      assertIdle(lb);
    }
  }

  @Test
  void weightedRandomGivesSharesProportionalToWeights() {
    // 200,000 picks, weights 1..4 (p = 0.1..0.4): counts are Binomial(200000, p) with sd 134 to
    // 219, so the tolerances are +-805 to +-1315 around 20,000..80,000.
    try (LoadBalancer lb = balancer(Algorithms.weightedRandom(), 1, 2, 3, 4)) {
      assertCountsMatchWeights(pickIndexes(lb, 200_000), 1, 2, 3, 4);
      assertIdle(lb);
    }
  }

  @Test
  void weightedRandomHonoursVerySkewedWeights() {
    // Weights 1 and 10000 over 200,000 picks: the light backend's count is Binomial(200000,
    // 1/10001), mean 20.0, sd 4.47, so it stays below 20 + 26.8: it is picked rarely, the alias
    // table does not give it a whole column; and it is not lost either: P(no pick at all) =
    // (1 - 1/10001)^200000 = e^-20.
    try (LoadBalancer lb = balancer(Algorithms.weightedRandom(), 1, 10_000)) {
      int[] sequence = pickIndexes(lb, 200_000);
      assertCountsMatchWeights(sequence, 1, 10_000);
      assertThat(sequence).as("picks of the weight-1 backend").contains(0);
      assertIdle(lb);
    }
  }

  @Test
  void weightedRandomWithEqualWeightsIsUniform() {
    // Five backends of weight 3, 100,000 picks: Binomial(100000, 0.2), sd 126.5, +-759.
    try (LoadBalancer lb = balancer(Algorithms.weightedRandom(), 3, 3, 3, 3, 3)) {
      assertCountsMatchWeights(pickIndexes(lb, 100_000), 1, 1, 1, 1, 1);
      assertIdle(lb);
    }
  }

  @Test
  void builderRefusesUnequalWeightsForRandomNamingTheBackendsWeightField() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool(
                        "web",
                        p ->
                            p.backend(uri(0))
                                .backend(uri(1), 5)
                                .backend(uri(2))
                                .algorithm(Algorithms.random()))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pools.web.backends[1].weight")
        .hasMessageContaining("random");
  }

  @Test
  void builderAcceptsUnequalWeightsForWeightedRandom() {
    try (LoadBalancer lb = balancer(Algorithms.weightedRandom(), 1, 5, 1)) {
      assertThat(lb.pool(POOL).backends()).extracting(b -> b.weight()).containsExactly(1, 5, 1);
    }
  }
}
