package dev.lb4j.core.policy;

/**
 * Token buckets by key in a fixed amount of memory: an open-addressing table of (64-bit key
 * fingerprint, theoretical arrival time) pairs, split into stripes that each have a lock. A key's
 * state is one {@code long} (the GCRA's theoretical arrival time); a key whose bucket is full again
 * is indistinguishable from a new key, so its slot may be reused by anyone. When a key finds no slot
 * (every slot it may probe holds a key still in debt), it shares one overflow bucket with every other
 * such key: a flood of distinct keys is limited together instead of growing memory. Allocation-free.
 */
final class KeyedBuckets {

  private static final int PROBES = 8;
  private static final int STRIPES = 64;

  private final long[] fingerprints;
  private final long[] tats;
  private final int mask;
  private final Object[] locks = new Object[STRIPES];
  private final Gcra overflow;

  KeyedBuckets(int maxKeys, long emissionNanos, long toleranceNanos) {
    int capacity = Integer.highestOneBit(Math.max(512, maxKeys - 1)) << 1; // power of two >= maxKeys, >= 1024
    this.fingerprints = new long[capacity];
    this.tats = new long[capacity];
    this.mask = capacity - 1;
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new Object();
    }
    this.overflow = new Gcra(emissionNanos, toleranceNanos);
  }

  int capacity() {
    return fingerprints.length;
  }

  /** Slots in use by keys that are still in debt at {@code now}. */
  int tracked(long now) {
    int n = 0;
    for (int s = 0; s < STRIPES; s++) {
      synchronized (locks[s]) {
        for (int i = s; i < fingerprints.length; i += STRIPES) {
          if (fingerprints[i] != 0 && tats[i] > now) {
            n++;
          }
        }
      }
    }
    return n;
  }

  /**
   * Takes one permit for the key.
   *
   * @return the wait in nanoseconds until a permit would be available: 0 or negative when taken
   *     (its magnitude then is how far the bucket is from empty), positive when rejected
   */
  long acquire(long fingerprint, long now, long emission, long tolerance) {
    long fp = fingerprint == 0 ? 1 : fingerprint; // 0 marks an empty slot
    int home = (int) (fp ^ (fp >>> 32)) & mask;
    // Probe within one stripe so a single lock covers the whole probe sequence.
    int stripe = home & (STRIPES - 1);
    synchronized (locks[stripe]) {
      int reusable = -1;
      for (int p = 0; p < PROBES; p++) {
        int i = (home + p * STRIPES) & mask;
        long f = fingerprints[i];
        if (f == fp) {
          return take(i, now, emission, tolerance);
        }
        if (reusable < 0 && (f == 0 || tats[i] <= now)) {
          reusable = i; // empty, or a bucket that is full again: same as no state at all
        }
      }
      if (reusable >= 0) {
        fingerprints[reusable] = fp;
        tats[reusable] = now;
        return take(reusable, now, emission, tolerance);
      }
    }
    return overflow.acquire(now);
  }

  /** What {@link #acquire} would return now, without taking a permit or claiming a slot. */
  long peek(long fingerprint, long now, long tolerance) {
    long fp = fingerprint == 0 ? 1 : fingerprint;
    int home = (int) (fp ^ (fp >>> 32)) & mask;
    int stripe = home & (STRIPES - 1);
    synchronized (locks[stripe]) {
      boolean reusable = false;
      for (int p = 0; p < PROBES; p++) {
        int i = (home + p * STRIPES) & mask;
        if (fingerprints[i] == fp) {
          return Math.max(tats[i], now) - tolerance - now;
        }
        reusable |= fingerprints[i] == 0 || tats[i] <= now;
      }
      if (reusable) {
        return -tolerance;
      }
    }
    return overflow.peek(now);
  }

  private long take(int i, long now, long emission, long tolerance) {
    long tat = Math.max(tats[i], now);
    long wait = tat - tolerance - now;
    if (wait > 0) {
      return wait;
    }
    tats[i] = tat + emission;
    return tats[i] - tolerance - now - emission;
  }
}
