package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.GET;
import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.allBut;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancer;
import static dev.lb4j.core.algorithm.TestPools.index;
import static dev.lb4j.core.algorithm.TestPools.indexById;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedRoundRobinTest {

  /** {@code picks} picks of a fresh balancer, as letters: backend 0 is 'a', 1 is 'b'... */
  private static String pickLetters(int picks, int... weights) {
    try (LoadBalancer lb = balancer(Algorithms.weightedRoundRobin(), weights)) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      StringBuilder letters = new StringBuilder(picks);
      for (int i = 0; i < picks; i++) {
        letters.append((char) ('a' + index(index, pickAndClose(pool))));
      }
      assertIdle(lb);
      return letters.toString();
    }
  }

  /**
   * Every run of {@code sum(weights)} consecutive picks holds backend i exactly weights[i] times.
   */
  private static void assertEveryWindowHasExactCounts(String picks, int... weights) {
    int cycle = 0;
    for (int w : weights) {
      cycle += w;
    }
    for (int start = 0; start + cycle <= picks.length(); start++) {
      int[] counts = new int[weights.length];
      for (int i = start; i < start + cycle; i++) {
        counts[picks.charAt(i) - 'a']++;
      }
      assertThat(counts)
          .as("picks %d..%d of %s", start, start + cycle - 1, picks)
          .isEqualTo(weights);
    }
  }

  @Test
  void weightsFiveOneOneGiveAaBaCaaEveryCycle() {
    // The picker starts at a random point of the cycle, so the picks are a rotation of the repeated
    // cycle: exactly the substrings of length 7m of the cycle repeated m + 1 times.
    int cycles = 30;
    String cycle = "aabacaa";
    String picks = pickLetters(7 * cycles, 5, 1, 1);
    assertThat(cycle.repeat(cycles + 1)).as("rotations of (%s)^%d", cycle, cycles).contains(picks);
    assertEveryWindowHasExactCounts(picks, 5, 1, 1);
  }

  @Test
  void weightsThreeTwoOneGiveNginxsSmoothOrderAndExactCountsPerCycle() {
    // nginx's rule by hand (add each weight to its current weight, the largest wins, first on
    // ties, and loses the total 6): current weights (3,2,1) a, (0,4,2) b, (3,0,3) a, (0,2,4) c,
    // (3,4,-1) b, (6,0,0) a, back to (0,0,0).
    int cycles = 30;
    String cycle = "abacba";
    String picks = pickLetters(6 * cycles, 3, 2, 1);
    assertThat(cycle.repeat(cycles + 1)).as("rotations of (%s)^%d", cycle, cycles).contains(picks);
    assertEveryWindowHasExactCounts(picks, 3, 2, 1);
  }

  @Test
  void weightsTwoFourCycleEveryThreePicksAfterDividingByTheirGcd() {
    // 2:4 is 1:2, so every 3 consecutive picks hold a once and b twice (not only every 6).
    String picks = pickLetters(3 * 40, 2, 4);
    assertEveryWindowHasExactCounts(picks, 1, 2);
    assertThat("bab".repeat(41)).contains(picks);
  }

  @Test
  void weightsWithACommonFactorAndManyBackendsGiveExactCountsPerReducedCycle() {
    // 30:20:10:10:30 is 3:2:1:1:3, a cycle of 10.
    String picks = pickLetters(10 * 25, 30, 20, 10, 10, 30);
    assertEveryWindowHasExactCounts(picks, 3, 2, 1, 1, 3);
  }

  @Test
  void equalWeightsBehaveAsRoundRobin() {
    int n = 4;
    int k = 25;
    String picks = pickLetters(n * k, 9, 9, 9, 9);
    for (int i = 1; i < picks.length(); i++) {
      assertThat(picks.charAt(i) - 'a')
          .as("pick %d follows pick %d in configuration order: %s", i, i - 1, picks)
          .isEqualTo((picks.charAt(i - 1) - 'a' + 1) % n);
    }
    assertEveryWindowHasExactCounts(picks, 1, 1, 1, 1);
  }

  @Test
  void largeWeightSetStillGetsExactlyProportionalSharesFromTheGoldenRatioSequence() {
    // 3000 backends with the distinct weights 1 + (7919 i mod 10000) (7919 is prime, so they are
    // 3000 different values of 1..10000 and their GCD is 1): sum(w) * n = 15,004,500 * 3000 is far
    // above the 2^24 steps the nginx schedule may cost, so the picker walks the prefix sums of the
    // weights with the Weyl sequence x_k = frac(s + k * alpha), alpha = 0x9E3779B97F4A7C15 / 2^64,
    // the 64-bit approximation of 1/phi. Backend i owns the interval [W_{i-1}, W_i) / sum(w).
    //
    // Tolerance. The convergents of 1/phi are F_{m-1}/F_m (Fibonacci); alpha is within 2^-64 of
    // 1/phi, so for q = F_m <= 10^6 it is still true that |alpha - p/q| < 1/(q F_{m+1}). Over any q
    // consecutive k, x_k is the q equally spaced points s' + j/q each moved by less than
    // q/(q F_{m+1}) < 1/q in the same direction, so an interval of length L receives within 1 of
    // qL of the unmoved points and gains or loses at most one point at each end: |count - qL| < 3.
    // Split the N picks into consecutive blocks by the Zeckendorf representation of N (distinct,
    // non-consecutive Fibonacci numbers F_2..F_30 for N = 10^6 < F_31): at most 15 blocks, so every
    // backend's count is within 15 * 3 = 45 of N * w / sum(w), +1 for the rounding of the 53-bit
    // double and the floor to an integer point. Independent random picks would miss this: a weight
    // near 10000 expects ~666 picks with a binomial sd of ~26, and hundreds of such backends would
    // put some well beyond 46.
    int n = 3000;
    int picks = 1_000_000;
    int[] weights = new int[n];
    long total = 0;
    for (int i = 0; i < n; i++) {
      weights[i] = 1 + (int) ((7919L * i) % 10_000);
      total += weights[i];
    }
    assertThat(total * n).as("schedule work sum(w) * n").isGreaterThan(1L << 24);
    double tolerance = 46;

    int[] counts = new int[n];
    try (LoadBalancer lb = balancer(Algorithms.weightedRoundRobin(), weights)) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      for (int k = 0; k < picks; k++) {
        try (Lease lease = pool.select(GET).leaseOrThrow()) {
          counts[index(index, lease.backend().id())]++;
        }
      }
      assertIdle(lb);
    }
    for (int i = 0; i < n; i++) {
      double expected = (double) picks * weights[i] / total;
      assertThat((double) counts[i])
          .as("picks of backend %d (weight %d, expected %.1f)", i, weights[i], expected)
          .isBetween(expected - tolerance, expected + tolerance);
    }
  }

  @Test
  void excludedBackendsCostAFewChecksPerBackendEvenWithALongSchedule() {
    // 40 backends of weight 10000 and one of weight 1: sum(w) * n = 400,001 * 41 = 16,400,041 is
    // under 2^24, so the whole cycle is precomputed, and the light backend is 1 entry of 400,001.
    // See ExclusionsTest#everyBackendExcludedCostsAFewExclusionChecksPerBackend for the 3n + 8.
    int n = 41;
    int[] weights = new int[n];
    Arrays.fill(weights, 10_000);
    weights[n - 1] = 1;
    try (LoadBalancer lb = balancer(Algorithms.weightedRoundRobin(), weights)) {
      Pool pool = lb.pool(POOL);
      List<Backend> backends = pool.backends();
      String light = backends.get(n - 1).id();
      TestPools.CountingExclusions allButLight =
          new TestPools.CountingExclusions(allBut(pool, light));
      try (Lease lease = pool.select(GET, allButLight).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo(light);
      }
      assertThat(allButLight.checks())
          .as("checks to find the one allowed backend")
          .isLessThanOrEqualTo(3L * n + 8);

      TestPools.CountingExclusions all = new TestPools.CountingExclusions(backends);
      assertThat(pool.select(GET, all)).isInstanceOf(NoBackend.class);
      assertThat(all.checks()).as("checks to find no backend").isLessThanOrEqualTo(3L * n + 8);
      assertIdle(lb);
    }
  }
}
