package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import org.jspecify.annotations.Nullable;

/**
 * Ring hash. By default the ring is built exactly as Envoy builds it (see {@link Ring#envoy}), so
 * keys land where Envoy puts them. Envoy sizes the ring from the pool: every backend gets {@code
 * ceil(minRingSize / n)} points (equal weights), so when a backend joins or leaves, the others gain
 * or lose points and some keys move between backends that stayed (Envoy issue 22558 reports this).
 * With {@code pointsPerWeight} set instead, every backend owns exactly {@code pointsPerWeight *
 * weight} points whatever else is in the pool ({@link Ring#perWeight}): removing a backend moves only
 * its own keys. Its points are a prefix of the points Envoy gives the same backend, so placement
 * still agrees with Envoy whenever Envoy's per-backend count happens to be the same.
 *
 * <p>When the owner of a key is excluded (already tried), the walk continues clockwise to the next
 * point of another backend, as Envoy's retry attempts do, so the retry target is itself stable.
 */
final class RingHash implements Algorithm {

  private final long minRingSize;
  private final long maxRingSize;
  private final int pointsPerWeight;

  RingHash(long minRingSize, long maxRingSize) {
    checkRingSizes("ring_hash", minRingSize, maxRingSize);
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
    this.pointsPerWeight = 0;
  }

  RingHash(int pointsPerWeight) {
    this.pointsPerWeight = checkPointsPerWeight("ring_hash", pointsPerWeight);
    this.minRingSize = 0;
    this.maxRingSize = 0;
  }

  static int checkPointsPerWeight(String algorithm, int pointsPerWeight) {
    if (pointsPerWeight < 1 || pointsPerWeight > 65536) {
      throw new IllegalArgumentException(
          algorithm + " pointsPerWeight: " + pointsPerWeight + " (expected: 1..65536)");
    }
    return pointsPerWeight;
  }

  /** Builds the ring this configuration describes. */
  static Ring ring(Backend[] backends, int pointsPerWeight, long minRingSize, long maxRingSize) {
    return pointsPerWeight > 0
        ? Ring.perWeight(backends, pointsPerWeight)
        : Ring.envoy(backends, minRingSize, maxRingSize);
  }

  static String describeRing(int pointsPerWeight, long minRingSize, long maxRingSize) {
    return pointsPerWeight > 0
        ? "pointsPerWeight=" + pointsPerWeight
        : "minRingSize=" + minRingSize + ", maxRingSize=" + maxRingSize;
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
    Ring ring = ring(backends, pointsPerWeight, minRingSize, maxRingSize);
    return context -> pick(ring, backends, context);
  }

  private static @Nullable Backend pick(Ring ring, Backend[] backends, PickContext context) {
    int at = ring.indexOf(context.hash());
    Backend owner = backends[ring.owners[at]];
    if (!context.hasExclusions() || !context.isExcluded(owner)) {
      return owner;
    }
    if (Pickers.firstAllowed(backends, 0, context) == null) {
      return null; // everything excluded: do not walk the whole table to find out
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

  /** Equal to a ring-hash algorithm with the same ring settings: a reconfiguration keeps the pool. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof RingHash r
        && r.minRingSize == minRingSize
        && r.maxRingSize == maxRingSize
        && r.pointsPerWeight == pointsPerWeight;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(minRingSize, maxRingSize, pointsPerWeight);
  }

  @Override
  public String toString() {
    return name() + "(" + describeRing(pointsPerWeight, minRingSize, maxRingSize) + ")";
  }
}
