package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/** Uniformly random over the available backends. */
final class RandomAlgorithm implements Algorithm {

  static final RandomAlgorithm INSTANCE = new RandomAlgorithm();

  private static final int REDRAWS = 4;

  private RandomAlgorithm() {}

  /** Every pick is an independent draw in proportion to weight: slow start may simply re-pick. */
  @Override
  public boolean picksInProportionToWeight() {
    return true;
  }

  @Override
  public String name() {
    return "random";
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
    return context -> pick(backends, context);
  }

  private static @Nullable Backend pick(Backend[] backends, PickContext context) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    Backend b = backends[random.nextInt(backends.length)];
    if (!context.hasExclusions()) {
      return b;
    }
    // Redraw rather than take the neighbour, so retries spread evenly over the rest.
    for (int attempt = 0; attempt < REDRAWS && context.isExcluded(b); attempt++) {
      b = backends[random.nextInt(backends.length)];
    }
    return context.isExcluded(b) ? Pickers.anyAllowed(backends, context) : b;
  }

  @Override
  public String toString() {
    return name();
  }
}
