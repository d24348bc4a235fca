package dev.lb4j.core.algorithm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The queue-driven fill, used for skewed weights, must produce exactly the table of Envoy's
 * round-based fill (which the Envoy compatibility tests pin), for any weights.
 */
class MaglevFillTest {

  @ParameterizedTest(name = "M={0}, n={1}, max weight={2}, seed={3}")
  @CsvSource({
    "7, 3, 1, 1",
    "17, 4, 3, 2",
    "65537, 10, 1, 3",
    "65537, 50, 10000, 4",
    "65537, 200, 100, 5",
    "65537, 1000, 10000, 6",
    "5003, 300, 7, 7",
  })
  void queueFillGivesExactlyTheRoundFillsTable(int m, int n, int maxWeight, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    int[] weights = new int[n];
    long sum = 0;
    for (int k = 0; k < n; k++) {
      // One heavy backend and the rest spread, so the skew that selects the queue is exercised.
      weights[k] = k == 0 ? maxWeight : 1 + random.nextInt(maxWeight);
      sum += weights[k];
    }
    long[] offset = new long[n];
    long[] skip = new long[n];
    double[] weight = new double[n];
    double max = 0;
    for (int k = 0; k < n; k++) {
      offset[k] = random.nextInt(m);
      skip[k] = 1L + random.nextInt(m - 1);
      weight[k] = (double) weights[k] / sum;
      max = Math.max(max, weight[k]);
    }

    int[] byRounds = fill(offset, skip, m, weight, max, false);
    int[] byQueue = fill(offset, skip, m, weight, max, true);

    assertThat(byQueue).isEqualTo(byRounds);
    assertThat(Arrays.stream(byRounds).allMatch(k -> k >= 0)).isTrue();
  }

  private static int[] fill(
      long[] offset, long[] skip, int m, double[] weight, double max, boolean queue) {
    int[] slots = new int[m];
    Arrays.fill(slots, -1);
    Maglev.Fill fill = new Maglev.Fill(offset, skip, new long[offset.length], slots, m);
    double[] target = new double[weight.length];
    if (queue) {
      Maglev.fillByQueue(fill, weight, target, max);
    } else {
      Maglev.fillByRounds(fill, weight, target, max);
    }
    return slots;
  }
}
