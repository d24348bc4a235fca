package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Smooth weighted round robin.
 *
 * <p>The schedule is nginx's smooth weighted round robin (introduced in nginx 1.3.1,
 * {@code ngx_http_upstream_round_robin.c}): at every step each backend's current weight grows by its
 * weight, the largest current weight wins (the first on ties) and is reduced by the total. Over one
 * cycle of {@code sum(w)} picks each backend is chosen exactly {@code w} times and picks of a heavy
 * backend are spread out: weights 5, 1, 1 give {@code a a b a c a a}.
 *
 * <p>The whole cycle (weights divided by their GCD) is computed when the picker is built, so a pick
 * is one atomic increment and one array read. Computing it costs {@code O(sum(w) * n)}; when that
 * would exceed {@value #MAX_SCHEDULE_WORK} steps (thousands of backends with large, coprime weights)
 * the picker instead walks the prefix sums of the weights with the golden-ratio (Weyl) sequence
 * {@code frac(k * phi)}: still deterministic, interleaved and exactly proportional in the long run
 * (the sequence is equidistributed; the discrepancy after {@code k} picks is {@code O(log k / k)}),
 * but not nginx's exact order, at {@code O(log n)} per pick.
 */
final class WeightedRoundRobin implements Algorithm {

  static final WeightedRoundRobin INSTANCE = new WeightedRoundRobin();

  static final long MAX_SCHEDULE_WORK = 1L << 24;

  private WeightedRoundRobin() {}

  /** Every pick is an independent draw in proportion to weight: slow start may simply re-pick. */
  @Override
  public boolean picksInProportionToWeight() {
    return true;
  }

  @Override
  public String name() {
    return "weighted_round_robin";
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
    if (Pickers.allEqual(weights)) {
      return new RoundRobin.RoundRobinPicker(backends);
    }
    int gcd = 0;
    long total = 0;
    for (int w : weights) {
      gcd = gcd(gcd, w);
    }
    for (int i = 0; i < weights.length; i++) {
      weights[i] /= gcd;
      total += weights[i];
    }
    if (total * backends.length <= MAX_SCHEDULE_WORK) {
      return new SchedulePicker(backends, smoothSchedule(weights, (int) total));
    }
    return new GoldenRatioPicker(backends, weights);
  }

  /** nginx's smooth weighted round robin, one full cycle. */
  static int[] smoothSchedule(int[] weights, int total) {
    int n = weights.length;
    long[] current = new long[n];
    int[] schedule = new int[total];
    for (int step = 0; step < total; step++) {
      int best = 0;
      for (int i = 0; i < n; i++) {
        current[i] += weights[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= total;
      schedule[step] = best;
    }
    return schedule;
  }

  private static int gcd(int a, int b) {
    while (b != 0) {
      int t = a % b;
      a = b;
      b = t;
    }
    return a;
  }

  @Override
  public String toString() {
    return name();
  }

  /** Plays a precomputed schedule; a new picker starts at a random point of the cycle. */
  private static final class SchedulePicker implements Picker {
    private final Backend[] backends;
    private final int[] schedule;
    private final Sequence next;

    SchedulePicker(Backend[] backends, int[] schedule) {
      this.backends = backends;
      this.schedule = schedule;
      this.next =
          new Sequence(schedule.length, ThreadLocalRandom.current().nextInt(schedule.length));
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      int at = next.next();
      int index = schedule[at];
      Backend b = backends[index];
      if (!context.hasExclusions() || !context.isExcluded(b)) {
        return b;
      }
      // A retry: walking the schedule could take sum(w) steps; the next allowed backend takes n.
      return Pickers.firstAllowed(backends, index + 1 == backends.length ? 0 : index + 1, context);
    }
  }

  /** Weyl-sequence walk over prefix sums, for weight sets too large to schedule in full. */
  private static final class GoldenRatioPicker implements Picker {
    /** 2^64 / phi, odd: {@code k * GOLDEN} (mod 2^64) visits [0, 2^64) evenly. */
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private final Backend[] backends;
    private final long[] ends;
    private final long total;
    private final AtomicLong next = new AtomicLong(ThreadLocalRandom.current().nextLong());

    GoldenRatioPicker(Backend[] backends, int[] weights) {
      this.backends = backends;
      this.ends = new long[weights.length];
      long sum = 0;
      for (int i = 0; i < weights.length; i++) {
        sum += weights[i];
        ends[i] = sum;
      }
      this.total = sum;
    }

    @Override
    public @Nullable Backend pick(PickContext context) {
      double u = ((next.getAndIncrement() * GOLDEN) >>> 11) * 0x1.0p-53;
      long point = Math.min(total - 1, (long) (u * total));
      int i = Arrays.binarySearch(ends, point + 1);
      if (i < 0) {
        i = -i - 1;
      }
      Backend b = backends[i];
      if (!context.hasExclusions() || !context.isExcluded(b)) {
        return b;
      }
      return Pickers.firstAllowed(backends, i, context);
    }
  }
}
