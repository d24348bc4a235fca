package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.core.internal.Decay;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Peak EWMA latency with power of two choices, after Finagle's {@code P2CPeakEwma} and Linkerd's
 * balancer.
 *
 * <p>Cost of a backend: its latency estimate, aged to now by {@code exp(-age / tau)} (an idle
 * backend's estimate decays, so a once-slow backend is retried eventually), times {@code in_flight +
 * 1}, divided by its weight. A backend with requests in flight but no completed one yet costs a
 * large penalty, so a new or stuck backend is not flooded; an idle backend with no data costs 0, so
 * it is tried. Of two distinct random backends the cheaper wins. The estimate itself is maintained by
 * the engine on every completed lease (see {@link Backend#latencyEwmaNanos()}).
 */
final class PeakEwma implements Algorithm {

  static final PeakEwma INSTANCE = new PeakEwma();

  /** Finagle's penalty for "outstanding requests but no latency data": a huge but finite cost. */
  private static final double PENALTY = (double) (Long.MAX_VALUE >> 16);

  private static final int REDRAWS = 4;

  private PeakEwma() {}

  @Override
  public String name() {
    return "peak_ewma";
  }

  @Override
  public boolean usesWeights() {
    return true;
  }

  @Override
  public boolean usesPoolInFlight() {
    return false;
  }

  @Override
  public Picker newPicker(BackendSet set) {
    return new PeakEwmaPicker(Pickers.toArray(set), set);
  }

  @Override
  public String toString() {
    return name();
  }

  private static final class PeakEwmaPicker implements Picker {
    private final Backend[] backends;
    private final double[] inverseWeights;
    private final BackendSet set;
    private final double decayNanos;

    PeakEwmaPicker(Backend[] backends, BackendSet set) {
      this.backends = backends;
      this.set = set;
      this.decayNanos = set.latencyDecayNanos();
      this.inverseWeights = new double[backends.length];
      for (int i = 0; i < backends.length; i++) {
        inverseWeights[i] = 1.0 / backends[i].weight();
      }
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int n = backends.length;
      if (n == 1) {
        return context.hasExclusions() && context.isExcluded(backends[0]) ? null : backends[0];
      }
      long now = set.nanoTime();
      ThreadLocalRandom random = ThreadLocalRandom.current();
      for (int attempt = 0; attempt < REDRAWS; attempt++) {
        int a = random.nextInt(n);
        int b = random.nextInt(n - 1);
        if (b >= a) {
          b++;
        }
        if (context.hasExclusions()) {
          boolean aOut = context.isExcluded(backends[a]);
          boolean bOut = context.isExcluded(backends[b]);
          if (aOut && bOut) {
            continue;
          }
          if (aOut || bOut) {
            return backends[aOut ? b : a];
          }
        }
        return cost(b, now) < cost(a, now) ? backends[b] : backends[a];
      }
      int best = -1;
      double bestCost = Double.MAX_VALUE;
      for (int i = 0; i < n; i++) {
        if (!context.isExcluded(backends[i])) {
          double c = cost(i, now);
          if (best < 0 || c < bestCost) {
            best = i;
            bestCost = c;
          }
        }
      }
      return best < 0 ? null : backends[best];
    }

    private double cost(int i, long now) {
      Backend b = backends[i];
      int pending = b.inFlight();
      long estimate = b.latencyEwmaNanos();
      if (estimate == 0) {
        return pending == 0 ? 0.0 : PENALTY + pending;
      }
      long age = now - b.latencyStampNanos();
      double aged = age > 0 ? estimate * Decay.weight(age / decayNanos) : estimate;
      return aged * (pending + 1) * inverseWeights[i];
    }
  }
}
