package dev.lb4j.core.policy;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One token bucket as the generic cell rate algorithm (GCRA, ATM Forum TM 4.0; the "virtual
 * scheduling" form): the state is a single theoretical arrival time, so it is updated with one
 * compare-and-set and allocates nothing. With emission interval {@code T = period / permits} and
 * tolerance {@code tau = (burst - 1) * T}, a request at time {@code t} conforms when {@code tat - tau
 * <= t}, and then moves {@code tat} to {@code max(tat, t) + T}: a bucket of {@code burst} tokens
 * refilled at one token per {@code T}.
 */
final class Gcra {

  private final long emission;
  private final long tolerance;
  /** {@link Long#MIN_VALUE} until the first request: any ticker reading is valid. */
  private final AtomicLong tat = new AtomicLong(Long.MIN_VALUE);

  Gcra(long emissionNanos, long toleranceNanos) {
    this.emission = emissionNanos;
    this.tolerance = toleranceNanos;
  }

  /** What {@link #acquire} would return now, without taking a permit. */
  long peek(long now) {
    long current = tat.get();
    long start = current == Long.MIN_VALUE ? now : Math.max(current, now);
    return start - tolerance - now;
  }

  /** Same contract as {@link KeyedBuckets#acquire}. */
  long acquire(long now) {
    while (true) {
      long current = tat.get();
      long start = current == Long.MIN_VALUE ? now : Math.max(current, now);
      long wait = start - tolerance - now;
      if (wait > 0) {
        return wait;
      }
      long next = start + emission;
      if (tat.compareAndSet(current, next)) {
        return next - tolerance - now - emission;
      }
    }
  }
}
