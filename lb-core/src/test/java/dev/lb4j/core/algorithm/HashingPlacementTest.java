package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.POOL;
import static dev.lb4j.core.algorithm.HashingFixtures.hashingLb;
import static dev.lb4j.core.algorithm.HashingFixtures.histogram;
import static dev.lb4j.core.algorithm.HashingFixtures.numbered;
import static dev.lb4j.core.algorithm.HashingFixtures.placeAll;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.internal.XxHash64;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Where the built-in hashing algorithms place keys, through the public API: the same key lands on
 * the same backend in independent load balancers; removing one of ten backends moves the removed
 * backend's keys and (rendezvous) none or (maglev) very few others, while ring hash also moves keys
 * onto the points its rebuild adds; weights 1:2:3 split the keys 1:2:3.
 *
 * <p>Keys are {@code user-0 .. user-9999}; every lease is closed at once, so bounded load sees an
 * idle pool and behaves as ring hash. The placements are deterministic (XXH64 of fixed keys and
 * ids), so these tests cannot flake; the tolerances are still derived from the distributions, so
 * that they would catch a biased or order-dependent implementation rather than freeze one outcome.
 */
class HashingPlacementTest {

  private static final int KEYS = 10_000;
  private static final int BACKENDS = 10;
  private static final String REMOVED = "10.0.0.10:8080";

  static Stream<Arguments> hashingAlgorithms() {
    return Stream.of(
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash),
        Arguments.of("maglev", (Supplier<Algorithm>) Algorithms::maglev),
        Arguments.of("rendezvous", (Supplier<Algorithm>) Algorithms::rendezvous),
        Arguments.of("bounded_load", (Supplier<Algorithm>) Algorithms::boundedLoad));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void sameKeyLandsOnTheSameBackendInTwoIndependentLoadBalancers(
      String name, Supplier<Algorithm> algorithm) {
    String[] first;
    String[] second;
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      first = placeAll(lb, KEYS);
    }
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      second = placeAll(lb, KEYS);
    }

    assertThat(second).isEqualTo(first);
    // Not a constant placement: every backend owns keys.
    assertThat(histogram(first)).hasSize(BACKENDS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void placementDoesNotDependOnTheOrderBackendsAreListedIn(
      String name, Supplier<Algorithm> algorithm) {
    String[] forward;
    String[] reversed;
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      forward = placeAll(lb, KEYS);
    }
    try (LoadBalancer lb =
        hashingLb(
            algorithm.get(),
            p -> {
              for (int i = BACKENDS; i >= 1; i--) {
                p.backend("http://10.0.0." + i + ":8080");
              }
            })) {
      reversed = placeAll(lb, KEYS);
    }

    assertThat(reversed).isEqualTo(forward);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void scalingEveryWeightAlikeMovesNoKey(String name, Supplier<Algorithm> algorithm) {
    String[] ones;
    String[] sevens;
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      ones = placeAll(lb, KEYS);
    }
    try (LoadBalancer lb =
        hashingLb(
            algorithm.get(),
            p -> {
              for (int i = 1; i <= BACKENDS; i++) {
                p.backend("http://10.0.0." + i + ":8080", 7);
              }
            })) {
      sevens = placeAll(lb, KEYS);
    }

    assertThat(sevens).isEqualTo(ones);
  }

  /** Placements of every key before and after removing {@link #REMOVED} from ten backends. */
  private static final class Removal {
    final String[] before;
    final String[] after;

    private Removal(String[] before, String[] after) {
      this.before = before;
      this.after = after;
    }

    static Removal of(Algorithm algorithm) {
      try (LoadBalancer lb = hashingLb(algorithm, numbered(BACKENDS))) {
        String[] before = placeAll(lb, KEYS);
        lb.admin().removeBackend(POOL, REMOVED);
        String[] after = placeAll(lb, KEYS);
        assertThat(lb.stats().pool(POOL).inFlight()).isZero();
        for (int i = 0; i < KEYS; i++) {
          assertThat(after[i]).as("key %d", i).isNotEqualTo(REMOVED);
        }
        return new Removal(before, after);
      }
    }

    /** Keys the removed backend owned (all of which had to move). */
    int owned() {
      int n = 0;
      for (String b : before) {
        n += b.equals(REMOVED) ? 1 : 0;
      }
      return n;
    }

    /** Keys whose backend survived but that moved anyway. */
    int survivorsMoved() {
      int n = 0;
      for (int i = 0; i < KEYS; i++) {
        n += !before[i].equals(REMOVED) && !before[i].equals(after[i]) ? 1 : 0;
      }
      return n;
    }

    int moved() {
      int n = 0;
      for (int i = 0; i < KEYS; i++) {
        n += before[i].equals(after[i]) ? 0 : 1;
      }
      return n;
    }
  }

  /*
   * How many of K = 10000 keys the removed backend (one of ten) owned:
   *
   * - rendezvous: each key picks it with probability exactly 1/10, a binomial with
   *   sigma = sqrt(K * 0.1 * 0.9) = 30. 6 sigma: 1000 +- 180.
   * - maglev: it owns 6553 or 6554 of the 65537 slots (Maglev fills its table evenly), so the same
   *   binomial, 1000 +- 180.
   * - ring hash and bounded load: it owns 103 of 1030 ring points; the arc they cover is a
   *   Beta(103, 927) share, sigma = sqrt(0.1 * 0.9 / 1031) = 0.0093, 93 keys; with the binomial,
   *   sigma = sqrt(93^2 + 30^2) = 98. 6 sigma: 1000 +- 590.
   */
  private static final int EXACT_SHARE_TOLERANCE = 180;
  private static final int RING_SHARE_TOLERANCE = 590;

  @Test
  void rendezvousMovesExactlyTheKeysOfTheRemovedBackend() {
    Removal r = Removal.of(Algorithms.rendezvous());

    assertThat(r.owned()).isBetween(1000 - EXACT_SHARE_TOLERANCE, 1000 + EXACT_SHARE_TOLERANCE);
    assertThat(r.survivorsMoved()).isZero();
    assertThat(r.moved()).isEqualTo(r.owned());
  }

  /**
   * Maglev reassigns the removed backend's slots and, as the permutations of the survivors re-race
   * for the freed slots, a few slots of survivors too. Eisenbud et al. (NSDI 2016, section 3.4 and
   * figure 12) measure this extra disruption as small once the table is much larger than the
   * backend count. Measured here (10 backends, 65537 slots, 10000 keys): 15 keys of survivors move
   * (0.15%). The bound is 1% of all keys (100), so the total moved stays within 1000 + 180 + 100.
   */
  @Test
  void maglevMovesAboutATenthOfTheKeysAndVeryFewOfSurvivingBackends() {
    Removal r = Removal.of(Algorithms.maglev());

    assertThat(r.owned()).isBetween(1000 - EXACT_SHARE_TOLERANCE, 1000 + EXACT_SHARE_TOLERANCE);
    assertThat(r.survivorsMoved())
        .as("keys of surviving backends that moved")
        .isLessThan(KEYS / 100);
    assertThat(r.moved()).isEqualTo(r.owned() + r.survivorsMoved());
  }

  static Stream<Arguments> ringAlgorithms() {
    return Stream.of(
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash),
        Arguments.of("bounded_load", (Supplier<Algorithm>) Algorithms::boundedLoad));
  }

  /**
   * What ring hash (and bounded load, idle) really do when one of ten backends leaves. Envoy's
   * construction gives every backend {@code ceil(1024 / n)} points, so the rebuilt 9-backend ring
   * gives each survivor 114 points instead of 103: the old points of survivors all stay, and 99 new
   * points ({@code id_103 .. id_113}) each take the arc before them, whoever owned it. Envoy does
   * the same (envoyproxy/envoy issue 22558, "Consistent hashing not consistent for unaffected hosts
   * after other host removal"). This test pins that mechanism exactly: a key of a survivor moves
   * only onto one of the added points. See {@link #stableRingKeepsEveryKeyOfASurvivingBackend} for
   * the stronger property the issue asks for.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("ringAlgorithms")
  void ringHashMovesKeysOfSurvivorsOnlyOntoThePointsTheRebuildAdds(
      String name, Supplier<Algorithm> algorithm) {
    Removal r = Removal.of(algorithm.get());
    Backend[] ten = new Backend[BACKENDS];
    for (int i = 0; i < BACKENDS; i++) {
      ten[i] = HashingFixtures.backend("10.0.0." + (i + 1) + ":8080");
    }
    Ring oldRing =
        Ring.envoy(ten, Algorithms.DEFAULT_MIN_RING_SIZE, Algorithms.DEFAULT_MAX_RING_SIZE);
    Backend[] nine = Arrays.copyOf(ten, BACKENDS - 1);
    Ring newRing =
        Ring.envoy(nine, Algorithms.DEFAULT_MIN_RING_SIZE, Algorithms.DEFAULT_MAX_RING_SIZE);
    Set<Long> oldPoints = new HashSet<>();
    for (long point : oldRing.points) {
      oldPoints.add(point);
    }
    // Envoy's ring size for n equal weights: each backend gets ceil(minRingSize / n) points (the
    // smallest normalized weight 1/n scaled up to at least the minimum ring size), so the ring
    // holds n * ceil(1024 / n): 10 * ceil(102.4) = 10 * 103 = 1030, and 9 * ceil(113.8) = 1026.
    assertThat(oldRing.size()).isEqualTo(BACKENDS * ceilDiv(1024, BACKENDS)).isEqualTo(1030);
    assertThat(newRing.size()).isEqualTo((BACKENDS - 1) * ceilDiv(1024, BACKENDS - 1))
        .isEqualTo(1026);

    for (int i = 0; i < KEYS; i++) {
      long hash = XxHash64.hash("user-" + i);
      int at = newRing.indexOf(hash);
      assertThat(nine[newRing.owners[at]].id())
          .as("key %d: the ring agrees with the pool", i)
          .isEqualTo(r.after[i]);
      if (!r.before[i].equals(REMOVED) && !r.before[i].equals(r.after[i])) {
        assertThat(oldPoints)
            .as("key %d moved between survivors onto an old point", i)
            .doesNotContain(newRing.points[at]);
      }
    }
    assertThat(r.owned()).isBetween(1000 - RING_SHARE_TOLERANCE, 1000 + RING_SHARE_TOLERANCE);
  }

  static Stream<Arguments> stableRingAlgorithms() {
    return Stream.of(
        Arguments.of("stable ring_hash", (Supplier<Algorithm>) () -> Algorithms.stableRingHash(100)),
        Arguments.of(
            "stable bounded_load", (Supplier<Algorithm>) () -> Algorithms.boundedLoad(1.25, 100)));
  }

  /**
   * The acceptance criterion for ring hash: removing one of ten backends moves close to a
   * tenth of the keys, and no key whose backend survived. Envoy's ring cannot meet it (see {@link
   * #ringHashMovesKeysOfSurvivorsOnlyOntoThePointsTheRebuildAdds}); the stable ring, where every
   * backend owns exactly {@code 100 * weight} points whatever the pool, does. The removed backend
   * owns 100 of 1000 points: a Beta(100, 900) share, sigma = sqrt(0.1 * 0.9 / 1001) = 0.0095, 95
   * keys; with the key binomial (30), sigma = 100, so 6 sigma is 600 keys.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("stableRingAlgorithms")
  void stableRingKeepsEveryKeyOfASurvivingBackend(String name, Supplier<Algorithm> algorithm) {
    Removal r = Removal.of(algorithm.get());

    assertThat(r.survivorsMoved()).as("keys of surviving backends that moved").isZero();
    assertThat(r.moved()).isEqualTo(r.owned()).isBetween(1000 - 600, 1000 + 600);
  }

  static Stream<Arguments> weightedAlgorithms() {
    return Stream.of(
        // 1026 ring points (171 : 342 : 513), see weightsOneTwoThreeSplitKeysOneTwoThree.
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash, 1026),
        Arguments.of(
            "ring_hash(65536)",
            (Supplier<Algorithm>)
                () -> Algorithms.ringHash(65536, Algorithms.DEFAULT_MAX_RING_SIZE),
            65538),
        Arguments.of("maglev", (Supplier<Algorithm>) Algorithms::maglev, 0),
        Arguments.of("rendezvous", (Supplier<Algorithm>) Algorithms::rendezvous, 0));
  }

  /**
   * Weights 1, 2, 3 and {@code K = 60000} keys: backend {@code i} should get {@code p_i = w_i / 6}.
   *
   * <p>Key sampling alone gives a binomial, {@code sigma_i = sqrt(K p_i (1 - p_i))}: 91, 115 and
   * 122 keys. Rendezvous has no other error (each key picks {@code i} with probability exactly
   * {@code p_i}). Maglev's table holds each backend within one slot of {@code p_i * 65537}, a share
   * error under 1/65537, at most 1 key. A ring of {@code N} points gives backend {@code i} a {@code
   * Beta(N p_i, N (1 - p_i))} share of the hash space, {@code sigma = sqrt(p_i (1 - p_i) / (N +
   * 1))}: with Envoy's default minimum the ring has {@code N = 1026} points and the share error is
   * 0.0116 for {@code p = 1/6} (698 keys: coarse, as Envoy's docs warn), with {@code N = 65538} it
   * is 0.0015 (87 keys). The tolerance is 6 times the combined sigma, plus 1 key.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("weightedAlgorithms")
  void weightsOneTwoThreeSplitKeysOneTwoThree(
      String name, Supplier<Algorithm> algorithm, int ringPoints) {
    int keys = 60_000;
    String[] placed;
    try (LoadBalancer lb =
        hashingLb(
            algorithm.get(),
            p ->
                p.backend("http://10.0.0.1:8080", 1)
                    .backend("http://10.0.0.2:8080", 2)
                    .backend("http://10.0.0.3:8080", 3))) {
      placed = placeAll(lb, keys);
    }
    Map<String, Long> counts = histogram(placed);

    for (int w = 1; w <= 3; w++) {
      double p = w / 6.0;
      double sampling = keys * p * (1 - p);
      double granularity = ringPoints == 0 ? 0 : Math.pow(keys, 2) * p * (1 - p) / (ringPoints + 1);
      double tolerance = 6 * Math.sqrt(sampling + granularity) + 1;
      long count = counts.getOrDefault("10.0.0." + w + ":8080", 0L);
      assertThat((double) count)
          .as("keys on the backend of weight %d (tolerance %.0f)", w, tolerance)
          .isBetween(keys * p - tolerance, keys * p + tolerance);
    }
  }

  private static int ceilDiv(int a, int b) {
    return (a + b - 1) / b;
  }
}
