package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.backend;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.core.internal.XxHash64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Envoy-compatible {@link Ring}: its size rules, its points, its lookup and its radix sort. */
class RingTest {

  private static final long MAX = Algorithms.DEFAULT_MAX_RING_SIZE;

  private static Backend[] weighted(int... weights) {
    Backend[] backends = new Backend[weights.length];
    for (int i = 0; i < weights.length; i++) {
      backends[i] = backend("10.0.0." + (i + 1) + ":8080", weights[i]);
    }
    return backends;
  }

  /** Envoy's {@code Ring::Ring}: {@code scale = min(ceil(min_w * minRingSize) / min_w, max)}. */
  private static double envoyScale(int[] weights, long minRingSize, long maxRingSize) {
    double sum = Arrays.stream(weights).sum();
    double min = Arrays.stream(weights).min().orElseThrow() / sum;
    return Math.min(Math.ceil(min * minRingSize) / min, (double) maxRingSize);
  }

  /**
   * How many points Envoy's loop ({@code while (current_hashes < target_hashes)} over running
   * double sums) generates: {@code ceil(scale)} in exact arithmetic, one more when the running sum
   * of {@code scale * w} rounds above {@code scale}.
   */
  private static long envoyLoopPoints(int[] weights, long minRingSize, long maxRingSize) {
    long sum = Arrays.stream(weights).asLongStream().sum();
    double scale = envoyScale(weights, minRingSize, maxRingSize);
    double current = 0;
    double target = 0;
    for (int w : weights) {
      target += scale * ((double) w / sum);
      while (current < target) {
        current++;
      }
    }
    return (long) current;
  }

  /** Weights as "1 2 3", min and max ring size, and the number of points Envoy's ring holds. */
  @ParameterizedTest(name = "weights {0}, min {1}, max {2} -> {3} points")
  @CsvSource({
    "1, 1024, 8388608, 1024",
    "1 1 1, 1024, 8388608, 1026", // ceil(1024/3) = 342 per backend
    "1 1 1 1 1 1 1 1 1 1, 1024, 8388608, 1030", // 103 per backend
    "1 2 3, 1024, 8388608, 1026", // min weight 1/6: ceil(1024/6) = 171, times 6
    "1 2 3, 6144, 8388608, 6144",
    "1 2, 1500, 8388608, 1500",
    "1 1 1 1 1 1 1, 1024, 1024, 1024", // 1029 capped by maxRingSize
    "1 1 1, 2048, 2048, 2048",
    "1 1000, 1024, 4000, 2002", // min weight 1/1001: ceil(1024/1001) = 2, times 1001
    // Capped at scale 2000, but 2000/1001 + 2000*1000/1001 rounds above 2000 in doubles, so the
    // loop adds a 2001st point. Envoy's identical loop does the same (its size stat reports
    // ceil(scale) = 2000 while ring_ holds 2001 entries); lb4j follows the loop, not the stat.
    "1 1000, 1024, 2000, 2001",
  })
  void ringSizeFollowsEnvoysScale(String weightList, long min, long max, long expected) {
    int[] weights = Arrays.stream(weightList.split(" ")).mapToInt(Integer::parseInt).toArray();
    long ceilScale = (long) Math.ceil(envoyScale(weights, min, max));

    Ring ring = Ring.envoy(weighted(weights), min, max);

    assertThat((long) ring.size()).isEqualTo(expected);
    assertThat((long) ring.size()).isEqualTo(envoyLoopPoints(weights, min, max));
    assertThat((long) ring.size()).isBetween(ceilScale, ceilScale + 1);
    assertThat((long) ring.size()).isGreaterThanOrEqualTo(Math.min(min, max));
  }

  @Test
  void ringSizeIsExactlyTheCeilingOfTheScaleWhenTheSumsAreExact() {
    // Equal weights: every running sum is an exact multiple, so no rounding can add a point.
    for (int n = 1; n <= 64; n++) {
      int[] weights = new int[n];
      Arrays.fill(weights, 1);
      long ceilScale = (long) Math.ceil(envoyScale(weights, 1024, MAX));
      assertThat((long) Ring.envoy(weighted(weights), 1024, MAX).size())
          .as("%d backends", n)
          .isEqualTo(ceilScale)
          .isEqualTo((long) n * ((1024 + n - 1) / n));
    }
  }

  @Test
  void equalWeightsGetEqualShares() {
    Backend[] backends = weighted(1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    int[] counts = new int[backends.length];
    for (int owner : Ring.envoy(backends, 1024, MAX).owners) {
      counts[owner]++;
    }
    assertThat(counts).containsOnly(103);
  }

  @Test
  void pointsAreTheHashesOfIdUnderscoreIndex() {
    Backend[] backends = weighted(1, 2);
    Ring ring = Ring.envoy(backends, 1500, MAX);
    for (int b = 0; b < backends.length; b++) {
      Set<Long> owned = new HashSet<>();
      for (int i = 0; i < ring.size(); i++) {
        if (ring.owners[i] == b) {
          owned.add(ring.points[i] ^ Long.MIN_VALUE);
        }
      }
      Set<Long> expected = new HashSet<>();
      for (int i = 0; i < owned.size(); i++) {
        expected.add(XxHash64.hash(backends[b].id() + "_" + i));
      }
      assertThat(owned).as("points of %s", backends[b]).isEqualTo(expected);
    }
  }

  @Test
  void pointsAreSortedAsUnsignedNumbersAndLookupTakesTheFirstPointAtOrAbove() {
    Ring ring = Ring.envoy(weighted(1, 1, 1), 1024, MAX);
    long[] unsigned = Arrays.stream(ring.points).map(p -> p ^ Long.MIN_VALUE).toArray();
    for (int i = 1; i < unsigned.length; i++) {
      assertThat(Long.compareUnsigned(unsigned[i - 1], unsigned[i]))
          .as("point %d", i)
          .isLessThan(0);
    }
    // A point owns itself; one above a point belongs to the next; above the last wraps to 0.
    for (int i = 0; i < unsigned.length; i++) {
      assertThat(ring.indexOf(unsigned[i])).as("point %d", i).isEqualTo(i);
      assertThat(ring.indexOf(unsigned[i] + 1))
          .as("after point %d", i)
          .isEqualTo((i + 1) % unsigned.length);
    }
    assertThat(ring.indexOf(0)).isZero();
    assertThat(ring.indexOf(-1L)).isZero();
  }

  @Test
  void ringSizesOutsideEnvoysRangeAreRefused() {
    assertThatThrownBy(() -> Algorithms.ringHash(1023, MAX))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("minRingSize: 1023");
    assertThatThrownBy(() -> Algorithms.ringHash(2048, 1024))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxRingSize: 1024");
    assertThatThrownBy(() -> Algorithms.ringHash(1024, MAX + 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxRingSize");
    assertThat(Algorithms.ringHash(1024, 1024))
        .hasToString("ring_hash(minRingSize=1024, maxRingSize=1024)");
    assertThat(Algorithms.ringHash())
        .hasToString("ring_hash(minRingSize=1024, maxRingSize=" + MAX + ")");
  }

  // ------------------------------------------------------------------ radix sort

  /** Reference: a stable comparison sort of the indices by signed key. */
  private static void assertSortsLikeAStableSort(long[] keys) {
    int[] values = IntStream.range(0, keys.length).toArray();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < keys.length; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingLong(i -> keys[i])); // List.sort is stable
    long[] expectedKeys = order.stream().mapToLong(i -> keys[i]).toArray();
    int[] expectedValues = order.stream().mapToInt(i -> i).toArray();
    long[] sorted = keys.clone();

    Ring.sort(sorted, values);

    assertThat(sorted).containsExactly(expectedKeys);
    assertThat(values).containsExactly(expectedValues);
  }

  @Test
  void radixSortOrdersNegativeKeysBeforePositiveOnes() {
    long[] keys = {-1, 1, Long.MIN_VALUE, 0, Long.MAX_VALUE, -65536, 65536, 0xFFFFL, 1L << 48};
    int[] values = IntStream.range(0, keys.length).toArray();

    Ring.sort(keys, values);

    assertThat(keys)
        .containsExactly(
            Long.MIN_VALUE, -65536, -1, 0, 1, 0xFFFFL, 65536, 1L << 48, Long.MAX_VALUE);
    assertThat(values).containsExactly(2, 5, 0, 3, 1, 7, 6, 8, 4);
  }

  @Test
  void radixSortKeepsEqualKeysInTheirOriginalOrder() {
    long[] pool = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, -65536, 65536, 1L << 48, -(1L << 48)};
    Random random = new Random(42);
    long[] keys = new long[2000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = pool[random.nextInt(pool.length)];
    }
    assertSortsLikeAStableSort(keys);
  }

  @Test
  void radixSortAgreesWithAComparisonSortOnRandomKeys() {
    Random random = new Random(4242);
    for (int round = 0; round < 8; round++) {
      long[] keys = new long[random.nextInt(2000)];
      for (int i = 0; i < keys.length; i++) {
        // Mix full-range keys with keys that differ only in one 16-bit digit.
        long digit = (long) random.nextInt(8) << (16 * random.nextInt(4));
        keys[i] = random.nextBoolean() ? random.nextLong() : random.nextBoolean() ? digit : -digit;
      }
      assertSortsLikeAStableSort(keys);
    }
  }

  @Test
  void radixSortHandlesEmptyAndSingleArrays() {
    assertSortsLikeAStableSort(new long[0]);
    assertSortsLikeAStableSort(new long[] {-42});
  }
}
