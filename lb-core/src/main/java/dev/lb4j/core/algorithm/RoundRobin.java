package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Round robin over the available backends. Each new picker starts at a random position, so that
 * many load balancers rebuilt at the same moment do not all hit the first backend together (Envoy
 * does the same).
 */
final class RoundRobin implements Algorithm {

  static final RoundRobin INSTANCE = new RoundRobin();

  private RoundRobin() {}

  @Override
  public String name() {
    return "round_robin";
  }

  @Override
  public Picker newPicker(BackendSet backends) {
    return new RoundRobinPicker(Pickers.toArray(backends));
  }

  @Override
  public String toString() {
    return name();
  }

  /** Cycles through an array; a 64-bit counter never wraps in practice. */
  static final class RoundRobinPicker implements Picker {
    private final Backend[] backends;
    private final AtomicLong next;

    RoundRobinPicker(Backend[] backends) {
      this.backends = backends;
      this.next = new AtomicLong(ThreadLocalRandom.current().nextInt(backends.length));
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int i = (int) ((next.getAndIncrement() & Long.MAX_VALUE) % backends.length);
      if (!context.hasExclusions()) {
        return backends[i];
      }
      return Pickers.firstAllowed(backends, i, context);
    }
  }
}
