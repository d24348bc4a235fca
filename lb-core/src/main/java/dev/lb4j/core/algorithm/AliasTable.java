package dev.lb4j.core.algorithm;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Vose's alias method (M. D. Vose, "A linear algorithm for generating random numbers with a given
 * distribution", IEEE TSE 17(9), 1991): O(n) to build, O(1) to draw index {@code i} with probability
 * {@code w_i / sum(w)}. Column {@code i} is chosen uniformly; it keeps {@code i} with probability
 * {@code prob[i]} and gives {@code alias[i]} otherwise; every column holds exactly {@code 1/n} of the
 * mass. Immutable.
 */
final class AliasTable {

  private final double[] prob;
  private final int[] alias;

  AliasTable(int[] weights) {
    int n = weights.length;
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
    prob = new double[n];
    alias = new int[n];
    while (!small.isEmpty() && !large.isEmpty()) {
      int s = small.poll();
      int l = large.poll();
      prob[s] = scaled[s];
      alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1.0;
      (scaled[l] < 1.0 ? small : large).add(l);
    }
    // Whatever is left holds mass 1 up to rounding error.
    for (int i : large) {
      prob[i] = 1.0;
      alias[i] = i;
    }
    for (int i : small) {
      prob[i] = 1.0;
      alias[i] = i;
    }
  }

  int draw(ThreadLocalRandom random) {
    int column = random.nextInt(prob.length);
    return random.nextDouble() < prob[column] ? column : alias[column];
  }
}
