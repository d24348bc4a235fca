package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.GET;
import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancer;
import static dev.lb4j.core.algorithm.TestPools.closeAll;
import static dev.lb4j.core.algorithm.TestPools.index;
import static dev.lb4j.core.algorithm.TestPools.indexById;
import static dev.lb4j.core.algorithm.TestPools.leaseOn;
import static dev.lb4j.core.algorithm.TestPools.ones;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static dev.lb4j.core.algorithm.TestPools.sixSigma;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LeastRequestTest {

  @Test
  void heldLeasesMakeABackendAvoidedDeterministically() {
    // Three backends are fully scanned: with 2 leases open on a and 1 on b, c is the only backend
    // with the fewest in flight, whatever the random start of the scan.
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), ones(3))) {
      Pool pool = lb.pool(POOL);
      List<Backend> backends = pool.backends();
      String a = backends.get(0).id();
      String b = backends.get(1).id();
      String c = backends.get(2).id();
      List<Lease> held = new ArrayList<>();
      try {
        held.add(leaseOn(pool, a));
        held.add(leaseOn(pool, a));
        held.add(leaseOn(pool, b));
        for (int i = 0; i < 100; i++) {
          assertThat(pickAndClose(pool)).as("pick %d", i).isEqualTo(c);
        }
        // Holding the pick on c makes c and b tie at 1 in flight; a (2) is still never chosen.
        held.add(pool.select(GET).leaseOrThrow());
        for (int i = 0; i < 100; i++) {
          assertThat(pickAndClose(pool)).as("pick %d with b and c tied", i).isIn(b, c);
        }
      } finally {
        closeAll(held);
      }
      assertIdle(lb);
    }
  }

  @Test
  void fullScanKeepsInFlightCountsWithinOneOfEachOther() {
    int n = 8;
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), ones(n))) {
      Pool pool = lb.pool(POOL);
      List<Lease> held = new ArrayList<>();
      try {
        for (int i = 0; i < 10 * n; i++) {
          held.add(pool.select(GET).leaseOrThrow());
          int min = Integer.MAX_VALUE;
          int max = 0;
          for (Backend b : pool.backends()) {
            min = Math.min(min, b.inFlight());
            max = Math.max(max, b.inFlight());
          }
          assertThat(max - min)
              .as("spread of in-flight counts after %d leases", i + 1)
              .isLessThanOrEqualTo(1);
        }
        assertThat(pool.backends()).extracting(Backend::inFlight).containsOnly(10);
        assertThat(lb.stats().pool(POOL).inFlight()).isEqualTo(10L * n);
      } finally {
        closeAll(held);
      }
      assertIdle(lb);
    }
  }

  @Test
  void idleFullScanBreaksTiesUniformly() {
    // All idle, every pick closed at once: every backend ties and the scan's random start decides.
    // 40,000 picks over 4 backends: Binomial(40000, 1/4), mean 10000, sd 86.6, +-520.
    int n = 4;
    int picks = 40_000;
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), ones(n))) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      int[] counts = new int[n];
      for (int i = 0; i < picks; i++) {
        counts[index(index, pickAndClose(pool))]++;
      }
      double tolerance = sixSigma(picks, 1.0 / n);
      for (int i = 0; i < n; i++) {
        assertThat((double) counts[i])
            .as("picks of backend %d", i)
            .isBetween(picks / (double) n - tolerance, picks / (double) n + tolerance);
      }
      assertIdle(lb);
    }
  }

  /**
   * Two backends, a of weight 3 and b of weight 1, with {@code heldOnA} leases open on a. Envoy's
   * effective weights are 3 / (heldOnA + 1) for a and 1 for b, and traffic is split in proportion
   * to them: a's picks out of 4000 are Binomial(4000, p) with p = e_a / (e_a + 1), checked within 6
   * sigma (at most 4000 * 6 * sqrt(0.25 / 4000) = 190 picks).
   */
  @ParameterizedTest(name = "{0} in flight on a (weight 3)")
  @ValueSource(ints = {0, 1, 2, 5})
  void unequalWeightsSplitTrafficByWeightOverInFlightPlusOne(int heldOnA) {
    double effectiveA = 3.0 / (heldOnA + 1);
    assertShareOfA(Algorithms.leastRequest(), heldOnA, effectiveA / (effectiveA + 1.0));
  }

  /**
   * An idle pool with weights 1, 2, 5 is split 1 : 2 : 5 (each pick is closed before the next, so
   * every effective weight equals the weight). Taking the highest score instead would send
   * everything to the weight-5 backend.
   */
  @Test
  void anIdlePoolIsSplitByWeight() {
    int[] weights = {1, 2, 5};
    int picks = 16_000;
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), weights)) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      int[] counts = new int[weights.length];
      for (int i = 0; i < picks; i++) {
        counts[index(index, pickAndClose(pool))]++;
      }
      for (int i = 0; i < weights.length; i++) {
        double p = weights[i] / 8.0;
        double tolerance = sixSigma(picks, p);
        assertThat((double) counts[i])
            .as("picks of weight %d", weights[i])
            .isBetween(picks * p - tolerance, picks * p + tolerance);
      }
      assertIdle(lb);
    }
  }

  /**
   * Holding leases moves traffic away in proportion: weights 1, 2, 5 with 0, 0 and 9 leases held
   * give effective weights 1, 2 and 5/10 = 0.5, so the weight-5 backend gets 0.5 / 3.5 = 1/7.
   */
  @Test
  void heldLeasesShrinkABackendsShareInProportion() {
    int picks = 14_000;
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), 1, 2, 5)) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      List<Lease> held = new ArrayList<>();
      int[] counts = new int[3];
      try {
        String heavy = pool.backends().get(2).id();
        for (int i = 0; i < 9; i++) {
          held.add(leaseOn(pool, heavy));
        }
        for (int i = 0; i < picks; i++) {
          counts[index(index, pickAndClose(pool))]++;
        }
      } finally {
        closeAll(held);
      }
      double[] expected = {1 / 3.5, 2 / 3.5, 0.5 / 3.5};
      for (int i = 0; i < 3; i++) {
        double tolerance = sixSigma(picks, expected[i]);
        assertThat((double) counts[i])
            .as("picks of backend %d", i)
            .isBetween(picks * expected[i] - tolerance, picks * expected[i] + tolerance);
      }
      assertIdle(lb);
    }
  }

  @Test
  void activeRequestBiasIsTheExponentOfTheLoad() {
    // a has weight 4 and 2 leases in flight, b weight 1 and none: with bias 1 a's effective weight is
    // 4/3 (share 4/7), with bias 2 it is 4/9 (share 4/13), with bias 0 it is 4 (share 4/5).
    assertShareOfA(Algorithms.leastRequest(16, 1.0), 4, 2, 4.0 / 7);
    assertShareOfA(Algorithms.leastRequest(16, 2.0), 4, 2, 4.0 / 13);
    assertShareOfA(Algorithms.leastRequest(16, 0.0), 4, 2, 4.0 / 5);
  }

  private static void assertShareOfA(Algorithm algorithm, int heldOnA, double expectedShare) {
    assertShareOfA(algorithm, 3, heldOnA, expectedShare);
  }

  /** a (weight {@code weightOfA}, {@code heldOnA} leases held) against b (weight 1, idle). */
  private static void assertShareOfA(
      Algorithm algorithm, int weightOfA, int heldOnA, double expectedShare) {
    int picks = 4000;
    try (LoadBalancer lb = balancer(algorithm, weightOfA, 1)) {
      Pool pool = lb.pool(POOL);
      String a = pool.backends().get(0).id();
      List<Lease> held = new ArrayList<>();
      int picksOfA = 0;
      try {
        for (int i = 0; i < heldOnA; i++) {
          held.add(leaseOn(pool, a));
        }
        for (int i = 0; i < picks; i++) {
          if (pickAndClose(pool).equals(a)) {
            picksOfA++;
          }
        }
      } finally {
        closeAll(held);
      }
      double tolerance = sixSigma(picks, expectedShare);
      assertThat((double) picksOfA)
          .as("%s: picks of a with %d held", algorithm, heldOnA)
          .isBetween(picks * expectedShare - tolerance, picks * expectedShare + tolerance);
      assertIdle(lb);
    }
  }

  @Test
  void powerOfTwoChoicesKeepsTheMaximumLoadFarBelowRandoms() {
    // Workload: 100 backends; 10,000 steps of "open one lease; when more than 500 are open, close
    // one chosen uniformly (seeded)". With 16 < 100 backends least_request compares two random
    // backends. Theory (balls into bins, Azar et al. 1999; Mitzenmacher 2001): with m = 500 balls
    // in n = 100 bins random's maximum is about m/n + O(log n / log log n) over the mean, two
    // choices' m/n + ln ln n / ln 2 + O(1), i.e. about 5 + 2.2 + O(1). Calibration of the constants
    // on a plain model of this exact workload (20,000 simulated runs each): random's largest
    // in-flight count seen ranged 13..23 (13 in 0.04% of runs), two choices' 8..10 (10 in 0.02%).
    // Averaging 3 runs and asking for a gap of at least 3 (9 between the sums) therefore fails only
    // if several of those rare extremes coincide: combining the simulated distributions, the gap of
    // the sums is never below 9 and at most 13 with probability ~1e-9; its mean is about 23.
    int runs = 3;
    double p2c = 0;
    double random = 0;
    for (int run = 0; run < runs; run++) {
      p2c += maxInFlightSeen(Algorithms.leastRequest(), 1000 + run);
      random += maxInFlightSeen(Algorithms.random(), 1000 + run);
    }
    p2c /= runs;
    random /= runs;
    assertThat(p2c)
        .as("mean largest in-flight count: least_request (P2C) %.2f, random %.2f", p2c, random)
        .isLessThanOrEqualTo(random - 3);
  }

  private static int maxInFlightSeen(Algorithm algorithm, long seed) {
    int n = 100;
    int steps = 10_000;
    int maxOpen = 500;
    try (LoadBalancer lb = balancer(algorithm, ones(n))) {
      Pool pool = lb.pool(POOL);
      SplittableRandom closer = new SplittableRandom(seed);
      List<Lease> open = new ArrayList<>(maxOpen + 1);
      int max = 0;
      try {
        for (int step = 0; step < steps; step++) {
          Lease lease = pool.select(GET).leaseOrThrow();
          open.add(lease);
          max = Math.max(max, lease.backend().inFlight());
          if (open.size() > maxOpen) {
            int k = closer.nextInt(open.size());
            Lease victim = open.get(k);
            open.set(k, open.get(open.size() - 1));
            open.remove(open.size() - 1);
            victim.close();
          }
        }
        assertThat(lb.stats().pool(POOL).inFlight()).isEqualTo(maxOpen);
      } finally {
        closeAll(open);
      }
      assertIdle(lb);
      return max;
    }
  }

  @Test
  void refusesOutOfRangeOptionsNamingThem() {
    assertThatThrownBy(() -> Algorithms.leastRequest(-1, 1.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("fullScanMax");
    assertThatThrownBy(() -> Algorithms.leastRequest(16, Double.NaN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("activeRequestBias");
  }

  /**
   * Weighted two-choice mode (unequal weights, more than the full-scan limit): two candidates are
   * drawn independently in proportion to weight and the one with fewer requests in flight wins. With
   * half of the total weight on backends that are busy, a busy backend wins only when both draws are
   * busy: probability (1/2)^2 = 1/4. Ignoring load would give 1/2, preferring the busier 3/4.
   */
  @Test
  void weightedTwoChoicesSteerAwayFromBusyBackends() {
    int n = 20; // above the default full-scan limit of 16
    int[] weights = new int[n];
    for (int i = 0; i < n; i++) {
      weights[i] = i % 2 == 0 ? 1 : 2;
    }
    try (LoadBalancer lb = balancer(Algorithms.leastRequest(), weights)) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      List<Lease> held = new ArrayList<>();
      try {
        // Backends 0..9 carry weight 15 of 30, and 3 requests in flight each; 10..19 are idle.
        for (int i = 0; i < n / 2; i++) {
          for (int k = 0; k < 3; k++) {
            held.add(leaseOn(pool, pool.backends().get(i).id()));
          }
        }
        int picks = 20_000;
        int busy = 0;
        for (int i = 0; i < picks; i++) {
          if (index(index, pickAndClose(pool)) < n / 2) {
            busy++;
          }
        }
        double p = 0.25;
        assertThat((double) busy)
            .as("picks of busy backends out of %d", picks)
            .isCloseTo(picks * p, org.assertj.core.data.Offset.offset(sixSigma(picks, p)));
      } finally {
        closeAll(held);
      }
      assertIdle(lb);
    }
  }
}
