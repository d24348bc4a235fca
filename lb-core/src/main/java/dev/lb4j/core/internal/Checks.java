package dev.lb4j.core.internal;

import dev.lb4j.api.Algorithm;
import java.util.List;

/** Validation shared by the builders and the admin API. */
public final class Checks {

  private Checks() {}

  /**
   * Refuses weights that would do nothing: unequal weights under an algorithm that ignores them.
   *
   * @param field the path of the backend list, such as {@code pools.api.backends}
   */
  public static void weightsHonoured(Algorithm algorithm, List<Integer> weights, String field) {
    if (algorithm.usesWeights() || weights.isEmpty()) {
      return;
    }
    int first = weights.get(0);
    for (int i = 1; i < weights.size(); i++) {
      if (weights.get(i) != first) {
        throw new IllegalArgumentException(
            field
                + "["
                + i
                + "].weight: "
                + weights.get(i)
                + " (expected: "
                + first
                + " like the others, because algorithm '"
                + algorithm.name()
                + "' ignores weights; choose a weighted algorithm)");
      }
    }
  }
}
