package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Weighted random in O(1) per pick with Vose's alias method (M. D. Vose, "A linear algorithm for
 * generating random numbers with a given distribution", IEEE TSE 17(9), 1991). Column {@code i} of
 * the table is chosen uniformly; it keeps backend {@code i} with probability {@code prob[i]} and
 * gives {@code alias[i]} otherwise. Each column holds {@code 1/n} of the mass, so backend {@code j}
 * receives exactly {@code w_j / sum(w)} in expectation.
 */
final class WeightedRandom implements Algorithm {

  static final WeightedRandom INSTANCE = new WeightedRandom();

  private static final int REDRAWS = 4;

  private WeightedRandom() {}

  @Override
  public String name() {
    return "weighted_random";
  }

  @Override
  public boolean usesWeights() {
    return true;
  }

  @Override
  public Picker newPicker(BackendSet set) {
    Backend[] backends = Pickers.toArray(set);
    int n = backends.length;
    int[] weights = Pickers.weights(backends);
    long total = 0;
    for (int w : weights) {
      total += w;
    }
    double[] scaled = new double[n];
    ArrayDeque<Integer> small = new ArrayDeque<>();
    ArrayDeque<Integer> large = new ArrayDeque<>();
    for (int i = 0; i < n; i++) {
      scaled[i] = (double) weights[i] * n / total;
      (scaled[i] < 1.0 ? small : large).add(i);
    }
    double[] prob = new double[n];
    int[] alias = new int[n];
    while (!small.isEmpty() && !large.isEmpty()) {
      int s = small.poll();
      int l = large.poll();
      prob[s] = scaled[s];
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      (scaled[l] < 1.0 ? small : large).add(l);
    }
    // Whatever is left has mass 1 up to rounding error.
    for (int i : large) {
      prob[i] = 1.0;
      alias[i] = i;
    }
    for (int i : small) {
      prob[i] = 1.0;
      alias[i] = i;
    }
    return context -> pick(backends, prob, alias, context);
  }

  private static @Nullable Backend pick(
      Backend[] backends, double[] prob, int[] alias, PickContext context) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < REDRAWS; attempt++) {
      int column = random.nextInt(backends.length);
      Backend b = backends[random.nextDouble() < prob[column] ? column : alias[column]];
      if (!context.hasExclusions() || !context.isExcluded(b)) {
        return b;
      }
    }
    return Pickers.anyAllowed(backends, context);
  }

  @Override
  public String toString() {
    return name();
  }
}
