package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import org.jspecify.annotations.Nullable;

/**
 * Ring hash, placed exactly as Envoy places keys (see {@link Ring}). When the owner of a key is
 * excluded (already tried), the walk continues clockwise to the next point of another backend, the
 * usual Ketama fail-over, so the retry target is itself stable.
 */
final class RingHash implements Algorithm {

  private final long minRingSize;
  private final long maxRingSize;

  RingHash(long minRingSize, long maxRingSize) {
    checkRingSizes("ring_hash", minRingSize, maxRingSize);
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
  }

  static void checkRingSizes(String algorithm, long minRingSize, long maxRingSize) {
    if (minRingSize < Algorithms.DEFAULT_MIN_RING_SIZE
        || minRingSize > Algorithms.DEFAULT_MAX_RING_SIZE) {
      throw new IllegalArgumentException(
          algorithm + " minRingSize: " + minRingSize + " (expected: "
              + Algorithms.DEFAULT_MIN_RING_SIZE + ".." + Algorithms.DEFAULT_MAX_RING_SIZE + ")");
    }
    if (maxRingSize < minRingSize || maxRingSize > Algorithms.DEFAULT_MAX_RING_SIZE) {
      throw new IllegalArgumentException(
          algorithm + " maxRingSize: " + maxRingSize + " (expected: minRingSize " + minRingSize
              + ".." + Algorithms.DEFAULT_MAX_RING_SIZE + ")");
    }
  }

  @Override
  public String name() {
    return "ring_hash";
  }

  @Override
  public boolean usesHashKey() {
    return true;
  }

  @Override
  public boolean usesWeights() {
    return true;
  }

  @Override
  public Picker newPicker(BackendSet set) {
    Backend[] backends = Pickers.toArray(set);
    Ring ring = new Ring(backends, minRingSize, maxRingSize);
    return context -> pick(ring, backends, context);
  }

  private static @Nullable Backend pick(Ring ring, Backend[] backends, PickContext context) {
    int at = ring.indexOf(context.hash());
    Backend owner = backends[ring.owners[at]];
    if (!context.hasExclusions() || !context.isExcluded(owner)) {
      return owner;
    }
    int size = ring.size();
    for (int k = 1; k < size; k++) {
      int i = at + k;
      Backend b = backends[ring.owners[i >= size ? i - size : i]];
      if (!context.isExcluded(b)) {
        return b;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return name() + "(minRingSize=" + minRingSize + ", maxRingSize=" + maxRingSize + ")";
  }
}
