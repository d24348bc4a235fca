package dev.lb4j.config.examples;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

// region extend-algorithm
/** Round robin over the backends of one zone; the other zones only when none of it is left. */
public final class ZoneFirst implements Algorithm {

  private final String zone;

  public ZoneFirst(String zone) {
    this.zone = zone;
  }

  @Override
  public String name() {
    return "zone_first";
  }

  @Override
  public Picker newPicker(BackendSet set) {
    // Control plane: called again whenever membership, health or weights change.
    List<Backend> all = set.backends();
    Backend[][] groups = {
      all.stream().filter(b -> b.zone().equals(zone)).toArray(Backend[]::new),
      all.stream().filter(b -> !b.zone().equals(zone)).toArray(Backend[]::new)
    };
    AtomicInteger turns = new AtomicInteger();
    return context -> {
      // Request path, on any thread: arithmetic and array reads, no lock, no allocation.
      int turn = turns.getAndIncrement() & Integer.MAX_VALUE;
      for (Backend[] group : groups) {
        for (int i = 0; i < group.length; i++) {
          Backend b = group[(turn + i) % group.length];
          if (!context.isExcluded(b)) { // tried by an earlier attempt of this request
            return b;
          }
        }
      }
      return null; // every backend excluded
    };
  }
}
// endregion
