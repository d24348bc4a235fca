package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.backend;
import static dev.lb4j.core.algorithm.HashingFixtures.owner;
import static dev.lb4j.core.algorithm.HashingFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.core.internal.XxHash64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Rendezvous follows its documented, fixed formula (so placements never change between versions or
 * processes): draw {@code x_i = avalanche(h XOR XXH64(id_i))}; with equal weights the largest
 * unsigned draw wins, otherwise the largest {@code -w_i / ln(u_i)} with {@code u_i = ((x_i >>> 11)
 * + 0.5) / 2^53}.
 */
class RendezvousTest {

  private static final String[] IDS = {
    "10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080", "10.0.0.4:8080", "10.0.0.5:8080"
  };

  private static String expectedEqual(long h) {
    String best = IDS[0];
    long bestDraw = XxHash64.avalanche(h ^ XxHash64.hash(IDS[0]));
    for (int i = 1; i < IDS.length; i++) {
      long draw = XxHash64.avalanche(h ^ XxHash64.hash(IDS[i]));
      if (Long.compareUnsigned(draw, bestDraw) > 0) {
        best = IDS[i];
        bestDraw = draw;
      }
    }
    return best;
  }

  private static String expectedWeighted(long h, int[] weights) {
    String best = "";
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < IDS.length; i++) {
      long draw = XxHash64.avalanche(h ^ XxHash64.hash(IDS[i]));
      double u = ((draw >>> 11) + 0.5) / Math.pow(2, 53);
      double score = -weights[i] / Math.log(u);
      if (score > bestScore) {
        best = IDS[i];
        bestScore = score;
      }
    }
    return best;
  }

  @Test
  void equalWeightsPickTheLargestDraw() {
    Backend[] backends = new Backend[IDS.length];
    for (int i = 0; i < IDS.length; i++) {
      backends[i] = backend(IDS[i]);
    }
    Picker picker = Algorithms.rendezvous().newPicker(set(backends));
    Random random = new Random(1998);
    for (int i = 0; i < 5000; i++) {
      long h = random.nextLong();
      assertThat(owner(picker, h)).as("hash %d", h).isEqualTo(expectedEqual(h));
    }
  }

  @Test
  void unequalWeightsPickTheLargestLogarithmicScore() {
    int[] weights = {1, 2, 3, 4, 5};
    Backend[] backends = new Backend[IDS.length];
    for (int i = 0; i < IDS.length; i++) {
      backends[i] = backend(IDS[i], weights[i]);
    }
    Picker picker = Algorithms.rendezvous().newPicker(set(backends));
    Random random = new Random(2005);
    for (int i = 0; i < 5000; i++) {
      long h = random.nextLong();
      assertThat(owner(picker, h)).as("hash %d", h).isEqualTo(expectedWeighted(h, weights));
    }
  }

  @Test
  void equalWeightShortcutPlacesKeysWhereTheGeneralFormulaDoes() {
    // With equal weights lb4j skips the logarithm; it must still place every key where the
    // weighted formula would, or a weight change that makes all weights equal would move keys.
    int[] equal = {4, 4, 4, 4, 4};
    Backend[] backends = new Backend[IDS.length];
    for (int i = 0; i < IDS.length; i++) {
      backends[i] = backend(IDS[i], equal[i]);
    }
    Picker picker = Algorithms.rendezvous().newPicker(set(backends));
    Random random = new Random(53);
    for (int i = 0; i < 5000; i++) {
      long h = random.nextLong();
      assertThat(owner(picker, h)).as("hash %d", h).isEqualTo(expectedWeighted(h, equal));
    }
  }
}
