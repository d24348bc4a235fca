package dev.lb4j.core.algorithm;

import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/** Helpers shared by the built-in pickers. */
final class Pickers {

  private Pickers() {}

  static Backend[] toArray(BackendSet set) {
    return set.backends().toArray(new Backend[0]);
  }

  /** The first backend at or after {@code start} (cyclically) that is not excluded. */
  static @Nullable Backend firstAllowed(Backend[] backends, int start, PickContext context) {
    int n = backends.length;
    for (int k = 0; k < n; k++) {
      int i = start + k;
      Backend b = backends[i >= n ? i - n : i];
      if (!context.isExcluded(b)) {
        return b;
      }
    }
    return null;
  }

  /** {@link #firstAllowed} from a random start. */
  static @Nullable Backend anyAllowed(Backend[] backends, PickContext context) {
    return firstAllowed(backends, ThreadLocalRandom.current().nextInt(backends.length), context);
  }

  static boolean allEqual(int[] weights) {
    for (int w : weights) {
      if (w != weights[0]) {
        return false;
      }
    }
    return true;
  }

  static int[] weights(Backend[] backends) {
    int[] w = new int[backends.length];
    for (int i = 0; i < w.length; i++) {
      w[i] = backends[i].weight();
    }
    return w;
  }
}
