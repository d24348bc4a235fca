package dev.lb4j.core.algorithm;

import dev.lb4j.api.Backend;
import dev.lb4j.core.internal.XxHash64;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A Ketama-style hash ring built exactly as Envoy's ring hash load balancer builds it
 * ({@code source/extensions/load_balancing_policies/ring_hash/ring_hash_lb.cc}, {@code Ring::Ring}):
 *
 * <ol>
 *   <li>Weights are normalized to {@code w / sum(w)}, with {@code min} the smallest.
 *   <li>{@code scale = min(ceil(min * minRingSize) / min, maxRingSize)}.
 *   <li>Walking the backends in pool order with running sums {@code current} and {@code target}
 *       (both start at 0): {@code target += scale * w}; while {@code current < target}, backend
 *       gets the point {@code XXH64(id + "_" + i, 0)} for {@code i = 0, 1, ...}, and {@code
 *       current++}.
 *   <li>Points are sorted as unsigned 64-bit numbers.
 *   <li>A key hash {@code h} belongs to the first point {@code >= h}, wrapping to the first point.
 * </ol>
 *
 * <p>Points are stored with the sign bit flipped, so signed comparison orders them as unsigned.
 */
final class Ring {

  final long[] points;
  final int[] owners;

  /** Envoy's ring: per-host point counts from the running sums described above. */
  static Ring envoy(Backend[] backends, long minRingSize, long maxRingSize) {
    int n = backends.length;
    long sum = 0;
    for (Backend b : backends) {
      sum += b.weight();
    }
    double min = 1.0;
    double[] normalized = new double[n];
    for (int i = 0; i < n; i++) {
      normalized[i] = (double) backends[i].weight() / sum;
      min = Math.min(min, normalized[i]);
    }
    double scale = Math.min(Math.ceil(min * minRingSize) / min, (double) maxRingSize);
    long[] counts = new long[n];
    double current = 0;
    double target = 0;
    for (int h = 0; h < n; h++) {
      target += scale * normalized[h];
      while (current < target) {
        counts[h]++;
        current++;
      }
    }
    return new Ring(backends, counts);
  }

  /**
   * A ring where every backend owns exactly {@code pointsPerWeight * weight} points, the same
   * points ({@code XXH64(id + "_" + i)}) whatever else is in the pool: when a backend leaves, only
   * its own keys move, and a backend that stays never gains or loses a point.
   */
  static Ring perWeight(Backend[] backends, int pointsPerWeight) {
    long[] counts = new long[backends.length];
    long total = 0;
    for (int h = 0; h < backends.length; h++) {
      counts[h] = (long) pointsPerWeight * backends[h].weight();
      total += counts[h];
    }
    if (total > Algorithms.DEFAULT_MAX_RING_SIZE) {
      throw new IllegalArgumentException(
          "ring_hash pointsPerWeight: " + pointsPerWeight + " gives " + total + " points for these "
              + backends.length + " backends (expected: at most " + Algorithms.DEFAULT_MAX_RING_SIZE
              + " points; lower pointsPerWeight or the weights)");
    }
    return new Ring(backends, counts);
  }

  private Ring(Backend[] backends, long[] counts) {
    int n = backends.length;
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    int size = (int) total;
    long[] hashes = new long[size];
    int[] who = new int[size];
    int at = 0;
    byte[] key = new byte[64];
    for (int h = 0; h < n; h++) {
      byte[] id = backends[h].id().getBytes(StandardCharsets.UTF_8);
      if (key.length < id.length + 21) {
        key = new byte[id.length + 21];
      }
      System.arraycopy(id, 0, key, 0, id.length);
      key[id.length] = '_';
      for (long i = 0; i < counts[h]; i++) {
        int length = id.length + 1 + writeDecimal(i, key, id.length + 1);
        hashes[at] = XxHash64.hash(key, 0, length, 0) ^ Long.MIN_VALUE;
        who[at] = h;
        at++;
      }
    }
    this.points = hashes;
    this.owners = who;
    sort(points, owners);
  }

  /**
   * Sorts {@code keys} ascending (signed) and applies the same permutation to {@code values}: an LSD
   * radix sort on 16-bit digits, stable, {@code O(n)} and without boxing, for rings of millions of
   * points.
   */
  static void sort(long[] keys, int[] values) {
    int n = keys.length;
    long[] keyBuffer = new long[n];
    int[] valueBuffer = new int[n];
    long[] fromKeys = keys;
    int[] fromValues = values;
    long[] toKeys = keyBuffer;
    int[] toValues = valueBuffer;
    int[] counts = new int[65537];
    for (int shift = 0; shift < 64; shift += 16) {
      Arrays.fill(counts, 0);
      // The top digit is compared signed: flip its sign bit so negative keys sort first.
      long flip = shift == 48 ? 0x8000L : 0;
      for (int i = 0; i < n; i++) {
        counts[(int) (((fromKeys[i] >>> shift) & 0xFFFF) ^ flip) + 1]++;
      }
      for (int d = 0; d < 65536; d++) {
        counts[d + 1] += counts[d];
      }
      for (int i = 0; i < n; i++) {
        int at = counts[(int) (((fromKeys[i] >>> shift) & 0xFFFF) ^ flip)]++;
        toKeys[at] = fromKeys[i];
        toValues[at] = fromValues[i];
      }
      long[] swapKeys = fromKeys;
      fromKeys = toKeys;
      toKeys = swapKeys;
      int[] swapValues = fromValues;
      fromValues = toValues;
      toValues = swapValues;
    }
    // Four passes: the sorted data is back in the caller's arrays.
  }

  /** The index of the point that owns {@code hash}: the first point {@code >= hash}, wrapping. */
  int indexOf(long hash) {
    long flipped = hash ^ Long.MIN_VALUE;
    int low = 0;
    int high = points.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (points[mid] < flipped) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low == points.length ? 0 : low;
  }

  int size() {
    return points.length;
  }

  private static int writeDecimal(long value, byte[] into, int at) {
    String digits = Long.toString(value);
    for (int i = 0; i < digits.length(); i++) {
      into[at + i] = (byte) digits.charAt(i);
    }
    return digits.length();
  }
}
