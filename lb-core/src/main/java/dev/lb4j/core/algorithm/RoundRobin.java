package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Round robin over the available backends. Each new picker starts at a random position, so that
 * many load balancers rebuilt at the same moment do not all hit the first backend together (Envoy
 * does the same).
 */
final class RoundRobin implements Algorithm {

  static final RoundRobin INSTANCE = new RoundRobin();

  private RoundRobin() {}

  /** Every pick is an independent draw in proportion to weight: slow start may simply re-pick. */
  @Override
  public boolean picksInProportionToWeight() {
    return true;
  }

  @Override
  public String name() {
    return "round_robin";
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
  public Picker newPicker(BackendSet backends) {
    return new RoundRobinPicker(Pickers.toArray(backends));
  }

  @Override
  public String toString() {
    return name();
  }

  /** Cycles through an array with a {@link Sequence}: exact on one thread, striped under contention. */
  static final class RoundRobinPicker implements Picker {
    private final Backend[] backends;
    private final Sequence next;

    RoundRobinPicker(Backend[] backends) {
      this.backends = backends;
      this.next =
          new Sequence(backends.length, ThreadLocalRandom.current().nextInt(backends.length));
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int i = next.next();
      if (!context.hasExclusions()) {
        return backends[i];
      }
      return Pickers.firstAllowed(backends, i, context);
    }
  }
}
