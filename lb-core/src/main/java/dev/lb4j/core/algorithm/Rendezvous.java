package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.core.internal.XxHash64;
import org.jspecify.annotations.Nullable;

/**
 * Weighted rendezvous (highest random weight) hashing: D. G. Thaler and C. V. Ravishankar, "Using
 * Name-Based Mappings to Increase Hit Rates", IEEE/ACM ToN 6(1), 1998; weights by the logarithmic
 * method of C. Schindelhauer and G. Schomaker, "Weighted Distributed Hash Tables", SPAA 2005.
 *
 * <p>For key hash {@code h} and backend {@code i} with id hash {@code XXH64(id, 0)}, the draw is
 * {@code x_i = XXH64avalanche(h XOR XXH64(id, 0))}, read as {@code u_i} uniform in (0, 1); the score
 * is {@code -w_i / ln(u_i)} and the highest score wins. Each backend wins with probability {@code w_i
 * / sum(w)}, and a key only moves when its winner leaves: removing a backend moves exactly the keys it
 * owned. With equal weights the score is monotonic in {@code x_i}, so the largest {@code x_i} (as an
 * unsigned number) wins without a logarithm. Picks cost {@code O(n)}.
 */
final class Rendezvous implements Algorithm {

  static final Rendezvous INSTANCE = new Rendezvous();

  private Rendezvous() {}

  @Override
  public String name() {
    return "rendezvous";
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
    long[] idHashes = new long[backends.length];
    for (int i = 0; i < backends.length; i++) {
      idHashes[i] = XxHash64.hash(backends[i].id());
    }
    int[] weights = Pickers.weights(backends);
    return Pickers.allEqual(weights)
        ? context -> pickEqual(backends, idHashes, context)
        : context -> pickWeighted(backends, idHashes, weights, context);
  }

  private static @Nullable Backend pickEqual(
      Backend[] backends, long[] idHashes, PickContext context) {
    long h = context.hash();
    boolean exclusions = context.hasExclusions();
    int best = -1;
    long bestDraw = 0;
    for (int i = 0; i < backends.length; i++) {
      if (exclusions && context.isExcluded(backends[i])) {
        continue;
      }
      long draw = XxHash64.avalanche(h ^ idHashes[i]);
      if (best < 0 || Long.compareUnsigned(draw, bestDraw) > 0) {
        best = i;
        bestDraw = draw;
      }
    }
    return best < 0 ? null : backends[best];
  }

  private static @Nullable Backend pickWeighted(
      Backend[] backends, long[] idHashes, int[] weights, PickContext context) {
    long h = context.hash();
    boolean exclusions = context.hasExclusions();
    int best = -1;
    double bestScore = 0;
    for (int i = 0; i < backends.length; i++) {
      if (exclusions && context.isExcluded(backends[i])) {
        continue;
      }
      long draw = XxHash64.avalanche(h ^ idHashes[i]);
      double u = ((draw >>> 11) + 0.5) * 0x1.0p-53;
      double score = -weights[i] / Math.log(u);
      if (best < 0 || score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return best < 0 ? null : backends[best];
  }

  @Override
  public String toString() {
    return name();
  }
}
