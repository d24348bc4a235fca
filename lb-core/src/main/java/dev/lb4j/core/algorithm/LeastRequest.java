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
 * <p>Score: Envoy's {@code weight / (in_flight + 1)^bias} (Envoy's least-request documentation,
 * "active_request_bias"); the highest score wins. With equal weights that is simply the fewest
 * requests in flight; with bias 1 the comparison {@code w_a / (r_a + 1) > w_b / (r_b + 1)} is done
 * exactly in integers as {@code w_a * (r_b + 1) > w_b * (r_a + 1)}.
 *
 * <p>Candidates: pools of at most {@code fullScanMax} backends are scanned in full from a random
 * start (ties go to the first seen, so they are broken randomly); larger pools use the power of two
 * choices (M. Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", IEEE TPDS
 * 12(10), 2001): two distinct backends drawn uniformly, the better one wins, which keeps the maximum
 * load within {@code O(log log n)} of the mean instead of random's {@code O(log n / log log n)}.
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
  public Picker newPicker(BackendSet set) {
    Backend[] backends = Pickers.toArray(set);
    int[] weights = Pickers.weights(backends);
    Scorer scorer =
        Pickers.allEqual(weights)
            ? new FewestInFlight()
            : bias == 1.0 ? new WeightOverLoad(weights) : new BiasedWeightOverLoad(weights, bias);
    return backends.length <= fullScanMax || backends.length < 3
        ? new FullScan(backends, scorer)
        : new TwoChoices(backends, scorer);
  }

  @Override
  public String toString() {
    return name() + "(fullScanMax=" + fullScanMax + ", activeRequestBias=" + bias + ")";
  }

  /** Compares two candidates by index. */
  interface Scorer {
    /** Whether candidate {@code a} is strictly better than {@code b}. */
    boolean better(Backend[] backends, int a, int b);
  }

  private static final class FewestInFlight implements Scorer {
    @Override
    public boolean better(Backend[] backends, int a, int b) {
      return backends[a].inFlight() < backends[b].inFlight();
    }
  }

  private static final class WeightOverLoad implements Scorer {
    private final int[] weights;

    WeightOverLoad(int[] weights) {
      this.weights = weights;
    }

    @Override
    public boolean better(Backend[] backends, int a, int b) {
      long left = (long) weights[a] * (backends[b].inFlight() + 1L);
      long right = (long) weights[b] * (backends[a].inFlight() + 1L);
      return left > right;
    }
  }

  private static final class BiasedWeightOverLoad implements Scorer {
    private final int[] weights;
    private final double bias;

    BiasedWeightOverLoad(int[] weights, double bias) {
      this.weights = weights;
      this.bias = bias;
    }

    @Override
    public boolean better(Backend[] backends, int a, int b) {
      return score(backends, a) > score(backends, b);
    }

    private double score(Backend[] backends, int i) {
      return weights[i] / Math.pow(backends[i].inFlight() + 1.0, bias);
    }
  }

  static final class FullScan implements Picker {
    private final Backend[] backends;
    private final Scorer scorer;

    FullScan(Backend[] backends, Scorer scorer) {
      this.backends = backends;
      this.scorer = scorer;
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int n = backends.length;
      int start = n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n);
      boolean exclusions = context.hasExclusions();
      int best = -1;
      for (int k = 0; k < n; k++) {
        int i = start + k;
        if (i >= n) {
          i -= n;
        }
        if (exclusions && context.isExcluded(backends[i])) {
          continue;
        }
        if (best < 0 || scorer.better(backends, i, best)) {
          best = i;
        }
      }
      return best < 0 ? null : backends[best];
    }
  }

  /** Two distinct uniform candidates; the better one wins, ties to the first drawn. */
  static final class TwoChoices implements Picker {
    private final Backend[] backends;
    private final Scorer scorer;
    private final FullScan fallback;

    TwoChoices(Backend[] backends, Scorer scorer) {
      this.backends = backends;
      this.scorer = scorer;
      this.fallback = new FullScan(backends, scorer);
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int n = backends.length;
      for (int attempt = 0; attempt < REDRAWS; attempt++) {
        int a = random.nextInt(n);
        int b = random.nextInt(n - 1);
        if (b >= a) {
          b++;
        }
        int winner = scorer.better(backends, b, a) ? b : a;
        if (!context.hasExclusions()) {
          return backends[winner];
        }
        boolean aOut = context.isExcluded(backends[a]);
        boolean bOut = context.isExcluded(backends[b]);
        if (!aOut && !bOut) {
          return backends[winner];
        }
        if (!aOut || !bOut) {
          return backends[aOut ? b : a];
        }
      }
      return fallback.pick(context);
    }
  }
}
