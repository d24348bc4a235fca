package dev.lb4j.core.testing;

import java.lang.management.ManagementFactory;

/**
 * Counts the bytes the current thread allocates, with the JVM's per-thread allocation counter
 * ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}), so that a claim such as "a
 * selection allocates only its lease" is a test rather than a benchmark figure.
 *
 * <p>The hot path only stops allocating once the JIT has compiled it with escape analysis, so
 * {@link #bytesPerCall} first warms the operation up, then measures several rounds and keeps the
 * smallest: a round that overlaps a compilation or a deoptimisation can only count too much.
 */
public final class Allocations {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private Allocations() {}

  /** An operation to measure; a checked exception fails the measurement. */
  @FunctionalInterface
  public interface Operation {
    /**
     * Runs once.
     *
     * @throws Exception if it fails
     */
    void run() throws Exception;
  }

  /**
   * The bytes the current thread allocates per call of {@code operation}: after {@code warmUp}
   * calls, the least of five rounds of {@code calls} calls each, less what reading the counter
   * itself allocates.
   *
   * @param warmUp calls before measuring
   * @param calls calls per measured round
   * @param operation the operation
   * @return bytes per call
   * @throws Exception if the operation throws
   */
  public static double bytesPerCall(int warmUp, int calls, Operation operation) throws Exception {
    if (!THREADS.isThreadAllocatedMemorySupported()) {
      throw new IllegalStateException("this JVM does not count allocated bytes per thread");
    }
    THREADS.setThreadAllocatedMemoryEnabled(true);
    for (int i = 0; i < warmUp; i++) {
      operation.run();
    }
    long overhead = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      long a = THREADS.getCurrentThreadAllocatedBytes();
      long b = THREADS.getCurrentThreadAllocatedBytes();
      overhead = Math.min(overhead, b - a);
    }
    long least = Long.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      long before = THREADS.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < calls; i++) {
        operation.run();
      }
      long after = THREADS.getCurrentThreadAllocatedBytes();
      least = Math.min(least, after - before - overhead);
    }
    return Math.max(0, least) / (double) calls;
  }
}
