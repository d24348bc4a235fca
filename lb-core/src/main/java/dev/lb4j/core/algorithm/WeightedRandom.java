package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Weighted random in O(1) per pick with an {@link AliasTable}: backend {@code j} receives {@code w_j /
 * sum(w)} of the picks in expectation. When the draw is excluded it redraws a few times, then takes
 * the first allowed backend from a random start.
 */
final class WeightedRandom implements Algorithm {

  static final WeightedRandom INSTANCE = new WeightedRandom();

  private static final int REDRAWS = 4;

  private WeightedRandom() {}

  /** Every pick is an independent draw in proportion to weight: slow start may simply re-pick. */
  @Override
  public boolean picksInProportionToWeight() {
    return true;
  }

  @Override
  public String name() {
    return "weighted_random";
  }

  @Override
  public boolean usesWeights() {
    return true;
  }

  @Override
  public boolean usesLatency() {
    return false;
  }

  @Override
  public boolean usesPoolInFlight() {
    return false;
  }

  @Override
  public Picker newPicker(BackendSet set) {
    Backend[] backends = Pickers.toArray(set);
    AliasTable table = new AliasTable(Pickers.weights(backends));
    return context -> pick(backends, table, context);
  }

  private static @Nullable Backend pick(Backend[] backends, AliasTable table, PickContext context) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < REDRAWS; attempt++) {
      Backend b = backends[table.draw(random)];
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
