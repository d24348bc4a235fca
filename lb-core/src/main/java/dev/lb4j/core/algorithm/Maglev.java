package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.core.internal.XxHash64;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.PriorityQueue;
import org.jspecify.annotations.Nullable;

/**
 * Maglev consistent hashing (D. E. Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI 2016, pseudocode listing 1), built exactly as Envoy builds its table
 * ({@code source/extensions/load_balancing_policies/maglev/maglev_lb.cc}, {@code
 * MaglevTable::constructMaglevTableInternal}), so that for the same backend ids, weights and table
 * size every slot holds the backend Envoy puts there:
 *
 * <ol>
 *   <li>Backends are sorted by id, comparing UTF-8 bytes (Envoy sorts by host key since 1.27).
 *   <li>For each: {@code offset = XXH64(id, 0) mod M}, {@code skip = XXH64(id, 1) mod (M - 1) + 1},
 *       unsigned 64-bit arithmetic; its permutation is {@code (offset + skip * next) mod M}.
 *   <li>Weights are normalized to {@code w / sum(w)}; {@code max} is the largest.
 *   <li>In rounds {@code iteration = 1, 2, ...} each backend in order, unless {@code iteration *
 *       weight < target} (target starts at 0 and grows by {@code max} per slot taken), takes the next
 *       free slot of its permutation, until all {@code M} slots are full.
 * </ol>
 *
 * <p>A key hash {@code h} maps to slot {@code h mod M} (unsigned). Removing one of {@code n}
 * backends reassigns its own slots and, by the paper's measurements, moves only a small further
 * fraction of other slots (under 2% of the table for {@code M} well above {@code 100 n}).
 *
 * <p>When the owner is excluded (already tried), the key is re-hashed as Envoy re-hashes it for its
 * retry attempts ({@code MaglevTable::chooseHost}): attempt {@code a = 1, 2, ...} looks at slot
 * {@code (h XOR (2^64 - a)) mod M}, the first backend not excluded wins. An Envoy with the {@code
 * previous_hosts} retry predicate therefore picks the same retry targets. After {@value
 * #REHASH_ATTEMPTS} attempts the table is scanned slot by slot from the key's slot.
 */
final class Maglev implements Algorithm {

  /** Re-hash attempts before falling back to a linear scan of the table. */
  static final int REHASH_ATTEMPTS = 64;

  private final int tableSize;

  Maglev(int tableSize) {
    if (tableSize < 2
        || tableSize > Algorithms.MAX_MAGLEV_TABLE_SIZE
        || !BigInteger.valueOf(tableSize).isProbablePrime(40)) {
      throw new IllegalArgumentException(
          "maglev tableSize: " + tableSize + " (expected: a prime number up to "
              + Algorithms.MAX_MAGLEV_TABLE_SIZE + ", such as 65537)");
    }
    this.tableSize = tableSize;
  }

  @Override
  public String name() {
    return "maglev";
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
    if (backends.length > tableSize) {
      throw new IllegalArgumentException(
          "maglev tableSize: " + tableSize + " is smaller than the " + backends.length
              + " backends (expected: a prime of at least 100 times the number of backends)");
    }
    Backend[] table = build(backends, tableSize);
    return context -> pick(table, backends, context);
  }

  static Backend[] build(Backend[] available, int m) {
    int n = available.length;
    byte[][] keys = new byte[n][];
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      keys[i] = available[i].id().getBytes(StandardCharsets.UTF_8);
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparing(i -> keys[i], Arrays::compareUnsigned));

    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] weight = new double[n];
    double[] target = new double[n];
    long sum = 0;
    for (Backend b : available) {
      sum += b.weight();
    }
    double max = 0.0;
    for (int k = 0; k < n; k++) {
      int i = order[k];
      offset[k] = Long.remainderUnsigned(XxHash64.hash(keys[i], 0, keys[i].length, 0), m);
      skip[k] = Long.remainderUnsigned(XxHash64.hash(keys[i], 0, keys[i].length, 1), m - 1) + 1;
      weight[k] = (double) available[i].weight() / sum;
      max = Math.max(max, weight[k]);
    }

    int[] slots = new int[m];
    Arrays.fill(slots, -1);
    Fill fill = new Fill(offset, skip, next, slots, m);
    long sumOfMax = (long) Math.ceil(max * sum);
    // Envoy's round-based fill scans all n backends once per round; there are about M * max / sum(w)
    // rounds, so with one heavy backend among many light ones (max * n >> sum) that is ~M * n work.
    // The same fill, driven by a queue of "next round each backend is due", costs M log n.
    if (sumOfMax * n > SKEW_FOR_QUEUE * sum) {
      fillByQueue(fill, weight, target, max);
    } else {
      fillByRounds(fill, weight, target, max);
    }
    Backend[] table = new Backend[m];
    for (int s = 0; s < m; s++) {
      table[s] = available[order[slots[s]]];
    }
    return table;
  }

  /** Above this {@code max * n / sum(w)} the table is filled through a queue. */
  static final long SKEW_FOR_QUEUE = 8;

  /** The per-build state both fills share: permutations, their positions, and the table. */
  static final class Fill {
    final long[] offset;
    final long[] skip;
    final long[] next;
    final int[] slots;
    final int m;
    int filled;

    Fill(long[] offset, long[] skip, long[] next, int[] slots, int m) {
      this.offset = offset;
      this.skip = skip;
      this.next = next;
      this.slots = slots;
      this.m = m;
    }

    /** Backend {@code k} takes the next free slot of its permutation. */
    void take(int k) {
      int c = (int) Long.remainderUnsigned(offset[k] + skip[k] * next[k], m);
      while (slots[c] >= 0) {
        next[k]++;
        c = (int) Long.remainderUnsigned(offset[k] + skip[k] * next[k], m);
      }
      slots[c] = k;
      next[k]++;
      filled++;
    }
  }

  /** Envoy's loop, as written: round after round, every backend in order. */
  static void fillByRounds(Fill fill, double[] weight, double[] target, double max) {
    int n = weight.length;
    for (long iteration = 1; fill.filled < fill.m; iteration++) {
      for (int k = 0; k < n && fill.filled < fill.m; k++) {
        if (iteration * weight[k] < target[k]) {
          continue;
        }
        target[k] += max;
        fill.take(k);
      }
    }
  }

  /**
   * The same sequence of takes as {@link #fillByRounds}, ordered by (round, backend) through a
   * priority queue: backend {@code k} is due in the first round {@code i} with {@code i * weight >=
   * target} (the same double comparison), and takes at most one slot per round.
   */
  static void fillByQueue(Fill fill, double[] weight, double[] target, double max) {
    int n = weight.length;
    PriorityQueue<long[]> due =
        new PriorityQueue<>(
            n, (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
    for (int k = 0; k < n; k++) {
      due.add(new long[] {firstRound(1, weight[k], target[k]), k});
    }
    while (fill.filled < fill.m) {
      long[] entry = due.poll();
      int k = (int) entry[1];
      target[k] += max;
      fill.take(k);
      entry[0] = firstRound(entry[0] + 1, weight[k], target[k]);
      due.add(entry);
    }
  }

  /** The first round {@code i >= from} in which {@code i * weight >= target}, as doubles compare. */
  private static long firstRound(long from, double weight, double target) {
    long i = Math.max(from, (long) Math.ceil(target / weight));
    while (i > from && (i - 1) * weight >= target) {
      i--;
    }
    while (i * weight < target) {
      i++;
    }
    return i;
  }

  private static @Nullable Backend pick(Backend[] table, Backend[] backends, PickContext context) {
    int m = table.length;
    int slot = (int) Long.remainderUnsigned(context.hash(), m);
    Backend owner = table[slot];
    if (!context.hasExclusions() || !context.isExcluded(owner)) {
      return owner;
    }
    if (Pickers.firstAllowed(backends, 0, context) == null) {
      return null; // everything excluded: do not walk the whole table to find out
    }
    long hash = context.hash();
    for (long attempt = 1; attempt <= REHASH_ATTEMPTS; attempt++) {
      Backend b = table[(int) Long.remainderUnsigned(hash ^ -attempt, m)];
      if (!context.isExcluded(b)) {
        return b;
      }
    }
    for (int k = 1; k < m; k++) {
      int s = slot + k;
      Backend b = table[s >= m ? s - m : s];
      if (!context.isExcluded(b)) {
        return b;
      }
    }
    return null;
  }

  /** Equal to a Maglev algorithm with the same table size: a reconfiguration keeps the pool. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Maglev m && m.tableSize == tableSize;
  }

  @Override
  public int hashCode() {
    return tableSize;
  }

  @Override
  public String toString() {
    return name() + "(tableSize=" + tableSize + ")";
  }
}
