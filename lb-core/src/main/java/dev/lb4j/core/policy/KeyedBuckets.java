package dev.lb4j.core.policy;

import java.util.function.ToLongFunction;
import org.jspecify.annotations.Nullable;

/**
 * Token buckets by key in a fixed amount of memory: an open-addressing table of (key, 64-bit hash of
 * the key, theoretical arrival time) slots, split into stripes that each have a lock. A key's state
 * is one {@code long} (the GCRA's theoretical arrival time); a key whose bucket is full again is
 * indistinguishable from a new key, so its slot may be reused by anyone. When a key finds no slot
 * (every slot it may probe holds a key still in debt), it shares one overflow bucket with every other
 * such key: a flood of distinct keys is limited together instead of growing memory.
 *
 * <p><b>Collisions.</b> A slot is found by the key's hash and then confirmed by comparing the chars
 * of the stored key with the request's ({@link String#contentEquals}), so two keys with one hash
 * (XXH64 collisions can be crafted) never share a bucket: one client cannot spend another's permits.
 * Only a key's first request (or its return after its slot was reused) stores a copy of the key
 * ({@code toString()}, the key itself when it is a {@code String}); a key seen before allocates
 * nothing. Keys longer than {@link #MAX_STORED_KEY_CHARS} chars are not stored, to keep the memory
 * bounded (a slot holds at most that many chars): they are told apart by their 64-bit hash alone,
 * as every key was before.
 */
final class KeyedBuckets {

  /** Keys up to this many chars are stored and compared; longer ones are identified by hash. */
  static final int MAX_STORED_KEY_CHARS = 128;

  private static final int PROBES = 8;
  private static final int STRIPES = 64;

  private final ToLongFunction<CharSequence> hash;
  private final long[] fingerprints;
  private final long[] tats;
  /** The key of each slot in use; null when the slot is empty or its key is too long to store. */
  private final @Nullable String[] keys;
  private final int mask;
  private final Object[] locks = new Object[STRIPES];
  private final Gcra overflow;

  /**
   * A table for {@code maxKeys} keys.
   *
   * @param hash the 64-bit hash of a key (XXH64 in production; tests force collisions)
   */
  KeyedBuckets(
      int maxKeys, long emissionNanos, long toleranceNanos, ToLongFunction<CharSequence> hash) {
    int capacity = Integer.highestOneBit(Math.max(512, maxKeys - 1)) << 1; // power of two >= maxKeys, >= 1024
    this.hash = hash;
    this.fingerprints = new long[capacity];
    this.tats = new long[capacity];
    this.keys = new String[capacity];
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
  long acquire(CharSequence key, long now, long emission, long tolerance) {
    long fp = fingerprint(key);
    int home = (int) (fp ^ (fp >>> 32)) & mask;
    // Probe within one stripe so a single lock covers the whole probe sequence.
    int stripe = home & (STRIPES - 1);
    synchronized (locks[stripe]) {
      int reusable = -1;
      for (int p = 0; p < PROBES; p++) {
        int i = (home + p * STRIPES) & mask;
        long f = fingerprints[i];
        if (f == fp && holds(i, key)) {
          return take(i, now, emission, tolerance);
        }
        if (reusable < 0 && (f == 0 || tats[i] <= now)) {
          reusable = i; // empty, or a bucket that is full again: same as no state at all
        }
      }
      if (reusable >= 0) {
        fingerprints[reusable] = fp;
        keys[reusable] = key.length() <= MAX_STORED_KEY_CHARS ? key.toString() : null;
        tats[reusable] = now;
        return take(reusable, now, emission, tolerance);
      }
    }
    return overflow.acquire(now);
  }

  /** What {@link #acquire} would return now, without taking a permit or claiming a slot. */
  long peek(CharSequence key, long now, long tolerance) {
    long fp = fingerprint(key);
    int home = (int) (fp ^ (fp >>> 32)) & mask;
    int stripe = home & (STRIPES - 1);
    synchronized (locks[stripe]) {
      boolean reusable = false;
      for (int p = 0; p < PROBES; p++) {
        int i = (home + p * STRIPES) & mask;
        if (fingerprints[i] == fp && holds(i, key)) {
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

  private long fingerprint(CharSequence key) {
    long fp = hash.applyAsLong(key);
    return fp == 0 ? 1 : fp; // 0 marks an empty slot
  }

  /** Whether slot {@code i}, whose hash matches, belongs to {@code key}. Called under its lock. */
  private boolean holds(int i, CharSequence key) {
    String stored = keys[i];
    return stored == null ? key.length() > MAX_STORED_KEY_CHARS : stored.contentEquals(key);
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
