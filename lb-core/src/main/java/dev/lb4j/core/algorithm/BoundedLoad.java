package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import org.jspecify.annotations.Nullable;

/**
 * Consistent hashing with bounded loads (V. Mirrokni, M. Thorup, M. Zadimoghaddam, "Consistent
 * Hashing with Bounded Loads", SODA 2018): a key goes to the first backend clockwise from its point
 * on a {@link Ring} (Envoy-compatible, or with fixed points per weight; see {@link RingHash}) whose
 * load is under the capacity {@code ceil(c * (m + 1) /
 * n)}, where {@code m} is the number of requests in flight in the pool and {@code n} the number of
 * available backends. Counting the new request in {@code m + 1} makes the bound hold after the pick:
 * no backend ever exceeds {@code ceil(c * average)}. Such a backend always exists: if all {@code n}
 * held {@code >= ceil(c (m + 1) / n)} the pool would hold {@code >= c (m + 1) > m} requests.
 *
 * <p>With no load the result equals plain ring hash, so keys keep their placement while the pool is
 * lightly loaded; hot keys spill to the next backends on the ring, in a stable order.
 */
final class BoundedLoad implements Algorithm {

  private final double balanceFactor;
  private final long minRingSize;
  private final long maxRingSize;
  private final int pointsPerWeight;

  BoundedLoad(double balanceFactor, long minRingSize, long maxRingSize, int pointsPerWeight) {
    if (!(balanceFactor >= 1.0 && balanceFactor <= 100.0)) {
      throw new IllegalArgumentException(
          "bounded_load balanceFactor: " + balanceFactor + " (expected: 1.0..100.0)");
    }
    if (pointsPerWeight > 0) {
      RingHash.checkPointsPerWeight("bounded_load", pointsPerWeight);
    } else {
      RingHash.checkRingSizes("bounded_load", minRingSize, maxRingSize);
    }
    this.balanceFactor = balanceFactor;
    this.minRingSize = minRingSize;
    this.maxRingSize = maxRingSize;
    this.pointsPerWeight = pointsPerWeight;
  }

  @Override
  public String name() {
    return "bounded_load";
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
  public Picker newPicker(BackendSet set) {
    Backend[] backends = Pickers.toArray(set);
    Ring ring = RingHash.ring(backends, pointsPerWeight, minRingSize, maxRingSize);
    return context -> pick(ring, backends, set, context);
  }

  private @Nullable Backend pick(
      Ring ring, Backend[] backends, BackendSet set, PickContext context) {
    long capacity = (long) Math.ceil(balanceFactor * (set.poolInFlight() + 1) / backends.length);
    if (context.hasExclusions() && Pickers.firstAllowed(backends, 0, context) == null) {
      return null; // everything excluded: do not walk the whole ring to find out
    }
    int at = ring.indexOf(context.hash());
    int size = ring.size();
    Backend fallback = null;
    for (int k = 0; k < size; k++) {
      int i = at + k;
      Backend b = backends[ring.owners[i >= size ? i - size : i]];
      if (context.hasExclusions() && context.isExcluded(b)) {
        continue;
      }
      if (b.inFlight() < capacity) {
        return b;
      }
      if (fallback == null || b.inFlight() < fallback.inFlight()) {
        fallback = b;
      }
    }
    // Only reachable when exclusions or concurrent picks hide every backend under capacity.
    return fallback;
  }

  /** Equal to a bounded-load algorithm with the same settings: a reconfiguration keeps the pool. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof BoundedLoad b
        && Double.compare(b.balanceFactor, balanceFactor) == 0
        && b.minRingSize == minRingSize
        && b.maxRingSize == maxRingSize
        && b.pointsPerWeight == pointsPerWeight;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(balanceFactor, minRingSize, maxRingSize, pointsPerWeight);
  }

  @Override
  public String toString() {
    return name() + "(balanceFactor=" + balanceFactor + ", "
        + RingHash.describeRing(pointsPerWeight, minRingSize, maxRingSize) + ")";
  }
}
