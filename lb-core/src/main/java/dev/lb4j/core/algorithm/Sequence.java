package dev.lb4j.core.algorithm;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.jspecify.annotations.Nullable;

/**
 * The position counter of round-robin pickers: exact while one thread at a time uses it, striped
 * once threads collide.
 *
 * <p>A single shared counter is exact (over {@code k * period} picks every position comes up exactly
 * {@code k} times, in order) but under contention every increment moves its cache line between
 * cores, which costs several times the uncontended increment. So the counter starts exact and, the
 * first time a compare-and-set loses a race, inflates (as {@link java.util.concurrent.atomic.LongAdder}
 * does) into {@value #STRIPES} counters on separate cache lines, each starting at a different
 * offset. A pick then uses a random stripe, so two threads share a line only one time in {@value
 * #STRIPES}. Each stripe walks every position in order, so the spread stays even: after any number
 * of picks no position is more than {@value #STRIPES} picks ahead of another.
 *
 * <p>Thread-safety: lock-free.
 */
final class Sequence {

  static final int STRIPES = 8;

  /** 16 longs = 128 bytes between stripes: no two on one cache line, nor adjacent-line prefetch. */
  private static final int SPACING = 16;

  private final int period;
  private final AtomicLong exact;
  private volatile @Nullable AtomicLongArray striped;

  /**
   * @param period the number of positions (backends, or schedule length)
   * @param start the first position, for a random start
   */
  Sequence(int period, long start) {
    this.period = period;
    this.exact = new AtomicLong(start);
  }

  /** The next position, in {@code [0, period)}. */
  int next() {
    AtomicLongArray stripes = striped;
    if (stripes == null) {
      long current = exact.get();
      if (exact.compareAndSet(current, current + 1)) {
        return index(current);
      }
      stripes = inflate();
    }
    int stripe = ThreadLocalRandom.current().nextInt(STRIPES);
    return index(stripes.getAndIncrement(stripe * SPACING));
  }

  /**
   * A 32-bit remainder: a 64-bit division costs several times more on common x86 cores. The counter
   * is read modulo 2^31, so the order skips once every 2^31 picks, which nobody can observe.
   */
  private int index(long count) {
    return ((int) count & Integer.MAX_VALUE) % period;
  }

  /** Whether a collision has switched this sequence to striped counting. */
  boolean isStriped() {
    return striped != null;
  }

  private synchronized AtomicLongArray inflate() {
    AtomicLongArray stripes = striped;
    if (stripes == null) {
      stripes = new AtomicLongArray(STRIPES * SPACING);
      long base = exact.get();
      for (int s = 0; s < STRIPES; s++) {
        // Spread the stripes' starting points over the period.
        stripes.set(s * SPACING, base + (long) s * period / STRIPES);
      }
      striped = stripes;
    }
    return stripes;
  }
}
