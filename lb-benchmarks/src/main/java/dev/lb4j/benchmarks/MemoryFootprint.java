package dev.lb4j.benchmarks;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The heap a load balancer keeps, measured as heap deltas: build enough copies of one pool to hold
 * about {@value #TARGET_BACKENDS} backends in total, force garbage collection before and after, and
 * divide the growth by the copies. Each backend has its own URI string, as in a real deployment.
 *
 * <p>Run it on its own JVM with a fixed heap, so the collector's sizing does not move the numbers:
 *
 * <pre>{@code
 * java -Xms2g -Xmx2g -XX:+UseParallelGC -cp lb-benchmarks/target/benchmarks.jar \
 *     dev.lb4j.benchmarks.MemoryFootprint
 * }</pre>
 *
 * <p>Prints one row per algorithm and size: bytes per load balancer, and bytes per backend. "Outside
 * the tables" subtracts the same pool balanced by least request (no table): what remains of a Maglev
 * or ring-hash pool is its lookup table.
 */
public final class MemoryFootprint {

  /** Backends held per measurement, across copies. */
  static final int TARGET_BACKENDS = 200_000;

  private MemoryFootprint() {}

  /**
   * Prints the table.
   *
   * @param args {@code quick} for a fast smoke run with small sizes
   */
  public static void main(String[] args) {
    boolean quick = args.length > 0 && args[0].equals("quick");
    int[] sizes = quick ? new int[] {10, 100} : new int[] {10, 1_000, 100_000};
    System.out.printf(
        Locale.ROOT,
        "%-28s %9s %16s %14s %20s%n",
        "algorithm",
        "backends",
        "bytes/pool",
        "bytes/backend",
        "table bytes/backend");
    for (int size : sizes) {
      long plain = perLoadBalancer(size, n -> Algorithms.leastRequest(), quick);
      row("least_request", size, plain, plain);
      long weighted = perLoadBalancer(size, n -> Algorithms.weightedRoundRobin(), quick);
      row("weighted_round_robin (default)", size, weighted, plain);
      long maglev = perLoadBalancer(size, MemoryFootprint::maglevFor, quick);
      row("maglev (table " + maglevTable(size) + ")", size, maglev, plain);
      long ring = perLoadBalancer(size, n -> Algorithms.ringHash(), quick);
      row("ring_hash (1024..8M)", size, ring, plain);
    }
  }

  /** Envoy's default table (65,537) while it has 100 entries per backend or more, else ~10. */
  static int maglevTable(int backends) {
    return backends <= 655 ? 65_537 : backends <= 6_553 ? 655_373 : 1_000_003;
  }

  private static Algorithm maglevFor(int backends) {
    return Algorithms.maglev(maglevTable(backends));
  }

  private static void row(String name, int size, long bytes, long plain) {
    System.out.printf(
        Locale.ROOT,
        "%-28s %9d %16d %14.0f %20s%n",
        name,
        size,
        bytes,
        bytes / (double) size,
        bytes == plain ? "-" : String.format(Locale.ROOT, "%.0f", (bytes - plain) / (double) size));
  }

  /**
   * Heap bytes per load balancer with one pool of {@code size} backends.
   *
   * @param size backends in the pool
   * @param algorithm the pool's algorithm for that size
   * @param quick fewer copies, for the smoke test
   * @return bytes per load balancer
   */
  static long perLoadBalancer(int size, IntFunction<Algorithm> algorithm, boolean quick) {
    int copies = Math.max(1, (quick ? 2_000 : TARGET_BACKENDS) / size);
    copies = Math.min(copies, quick ? 20 : 2_000);
    List<LoadBalancer> kept = new ArrayList<>(copies);
    long before = usedAfterGc();
    for (int c = 0; c < copies; c++) {
      kept.add(build(size, algorithm.apply(size), c));
    }
    long after = usedAfterGc();
    long per = (after - before) / copies;
    kept.forEach(LoadBalancer::close);
    return per;
  }

  private static LoadBalancer build(int size, Algorithm algorithm, int copy) {
    return LoadBalancer.builder()
        .pool(
            "api",
            p -> {
              p.algorithm(algorithm);
              if (algorithm.usesHashKey()) {
                p.hashKey(HashKey.header("x-user"));
              }
              for (int i = 0; i < size; i++) {
                // A distinct address per backend and per copy: nothing is shared by interning.
                int a = copy * size + i;
                p.backend(
                    "http://10." + ((a >> 16) & 255) + "." + ((a >> 8) & 255) + "." + (a & 255)
                        + ":" + (8000 + copy % 1000));
              }
            })
        .build();
  }

  private static long usedAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
