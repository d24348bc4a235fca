package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Least request.
 *
 * <p><b>Equal weights.</b> The backend with the fewest requests in flight wins. Pools of at most
 * {@code fullScanMax} backends are scanned in full from a random start (ties go to the first seen, so
 * they are broken randomly); larger pools use the power of two choices (M. Mitzenmacher, "The Power
 * of Two Choices in Randomized Load Balancing", IEEE TPDS 12(10), 2001): of two distinct uniformly
 * drawn backends the less loaded wins, which keeps the maximum load within {@code O(log log n)} of
 * the mean instead of random's {@code O(log n / log log n)}.
 *
 * <p><b>Unequal weights.</b> Envoy's rule: each backend's effective weight is {@code weight /
 * (in_flight + 1)^bias}, and backends receive traffic <em>in proportion</em> to their effective
 * weights (Envoy feeds them to its EDF scheduler; see Envoy's least-request documentation,
 * "active_request_bias"). Taking the highest effective weight instead would send every request of
 * an idle pool to the heaviest backend. A full scan draws a backend with probability proportional to
 * its effective weight. Larger pools draw two candidates in proportion to their configured weights
 * (an {@link AliasTable}) and keep the one with fewer requests in flight (ties, and {@code bias =
 * 0}, keep the first drawn): an idle pool is then split exactly by weight, and load steers traffic
 * away from busy backends as in the unweighted case.
 */
final class LeastRequest implements Algorithm {

  private static final int REDRAWS = 4;

  private final int fullScanMax;
  private final double bias;

  LeastRequest(int fullScanMax, double bias) {
    if (fullScanMax < 0 || fullScanMax > 1024) {
      throw new IllegalArgumentException(
          "least_request fullScanMax: " + fullScanMax + " (expected: 0..1024)");
    }
    if (!(bias >= 0.0 && bias <= 10.0)) {
      throw new IllegalArgumentException(
          "least_request activeRequestBias: " + bias + " (expected: 0.0..10.0)");
    }
    this.fullScanMax = fullScanMax;
    this.bias = bias;
  }

  @Override
  public String name() {
    return "least_request";
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
    int[] weights = Pickers.weights(backends);
    boolean fullScan = backends.length <= fullScanMax || backends.length < 3;
    if (Pickers.allEqual(weights)) {
      return fullScan ? new FewestFullScan(backends) : new FewestOfTwo(backends);
    }
    return fullScan
        ? new ProportionalFullScan(backends, weights, bias)
        : new WeightedOfTwo(backends, new AliasTable(weights), bias == 0.0);
  }

  /** Equal to a least-request algorithm with the same settings: a reconfiguration keeps the pool. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof LeastRequest l
        && l.fullScanMax == fullScanMax
        && Double.compare(l.bias, bias) == 0;
  }

  @Override
  public int hashCode() {
    return 31 * fullScanMax + Double.hashCode(bias);
  }

  @Override
  public String toString() {
    return name() + "(fullScanMax=" + fullScanMax + ", activeRequestBias=" + bias + ")";
  }

  /** Equal weights, small pool: the fewest in flight, ties broken by a random start. */
  static final class FewestFullScan implements Picker {
    private final Backend[] backends;

    FewestFullScan(Backend[] backends) {
      this.backends = backends;
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int n = backends.length;
      int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
      boolean exclusions = context.hasExclusions();
      Backend best = null;
      int bestLoad = Integer.MAX_VALUE;
      for (int k = 0; k < n; k++) {
        int i = start + k;
        Backend b = backends[i >= n ? i - n : i];
        if (exclusions && context.isExcluded(b)) {
          continue;
        }
        int load = b.inFlight();
        if (best == null || load < bestLoad) {
          best = b;
          bestLoad = load;
        }
      }
      return best;
    }
  }

  /** Equal weights, large pool: two distinct uniform candidates, the less loaded wins. */
  static final class FewestOfTwo implements Picker {
    private final Backend[] backends;
    private final FewestFullScan fallback;

    FewestOfTwo(Backend[] backends) {
      this.backends = backends;
      this.fallback = new FewestFullScan(backends);
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int n = backends.length;
      for (int attempt = 0; attempt < REDRAWS; attempt++) {
        int i = random.nextInt(n);
        int j = random.nextInt(n - 1);
        if (j >= i) {
          j++;
        }
        Backend a = backends[i];
        Backend b = backends[j];
        if (context.hasExclusions()) {
          boolean aOut = context.isExcluded(a);
          boolean bOut = context.isExcluded(b);
          if (aOut && bOut) {
            continue;
          }
          if (aOut || bOut) {
            return aOut ? b : a;
          }
        }
        return b.inFlight() < a.inFlight() ? b : a;
      }
      return fallback.pick(context);
    }
  }

  /** Unequal weights, small pool: draw in proportion to {@code w / (in_flight + 1)^bias}. */
  static final class ProportionalFullScan implements Picker {
    private final Backend[] backends;
    private final int[] weights;
    private final double bias;

    ProportionalFullScan(Backend[] backends, int[] weights, double bias) {
      this.backends = backends;
      this.weights = weights;
      this.bias = bias;
    }

    private double effectiveWeight(int i) {
      int load = backends[i].inFlight();
      if (bias == 1.0) {
        return weights[i] / (load + 1.0);
      }
      return bias == 0.0 ? weights[i] : weights[i] / Math.pow(load + 1.0, bias);
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int n = backends.length;
      boolean exclusions = context.hasExclusions();
      double total = 0;
      for (int i = 0; i < n; i++) {
        if (!exclusions || !context.isExcluded(backends[i])) {
          total += effectiveWeight(i);
        }
      }
      if (total == 0) {
        return null;
      }
      double point = ThreadLocalRandom.current().nextDouble(total);
      Backend last = null;
      for (int i = 0; i < n; i++) {
        if (exclusions && context.isExcluded(backends[i])) {
          continue;
        }
        last = backends[i];
        point -= effectiveWeight(i);
        if (point < 0) {
          return last;
        }
      }
      // Loads changed between the two passes (or rounding): the last candidate absorbs the rest.
      return last;
    }
  }

  /** Unequal weights, large pool: two candidates drawn by weight, the less loaded wins. */
  static final class WeightedOfTwo implements Picker {
    private final Backend[] backends;
    private final AliasTable table;
    private final boolean ignoreLoad;

    WeightedOfTwo(Backend[] backends, AliasTable table, boolean ignoreLoad) {
      this.backends = backends;
      this.table = table;
      this.ignoreLoad = ignoreLoad;
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int attempt = 0; attempt < REDRAWS; attempt++) {
        Backend a = backends[table.draw(random)];
        Backend b = backends[table.draw(random)];
        if (context.hasExclusions()) {
          boolean aOut = context.isExcluded(a);
          boolean bOut = context.isExcluded(b);
          if (aOut && bOut) {
            continue;
          }
          if (aOut || bOut) {
            return aOut ? b : a;
          }
        }
        return !ignoreLoad && b.inFlight() < a.inFlight() ? b : a;
      }
      return Pickers.anyAllowed(backends, context);
    }
  }
}
