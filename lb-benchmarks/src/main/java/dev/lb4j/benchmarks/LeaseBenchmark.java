package dev.lb4j.benchmarks;

import dev.lb4j.api.Backend;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The lease's own cost for the algorithms that live on its accounting (least request reads the
 * in-flight counts, peak EWMA the latency estimate and the in-flight counts): select, then finish a
 * lease the canonical way, {@code try (lease) { lease.complete(200); }}, which completes and then
 * closes (a no-op once completed); or {@code close()} alone, the cancelled path a timeout takes.
 *
 * <p>{@code held} is how many leases each thread keeps open: 0 finishes each lease right away (an
 * idle pool, as in {@link PickBenchmark}); a positive value finishes the lease opened {@code held}
 * operations earlier, so in-flight counts are non-zero and uneven, latencies are real intervals,
 * and picks must actually compare loads.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class LeaseBenchmark {

  /** The algorithm whose accounting is measured. */
  @Param({"least_request", "peak_ewma"})
  public String algorithm = "least_request";

  /** Backends in the pool. */
  /**
   * {@code on}: backends keep the latency EWMA (the default, two clock reads per lease); {@code
   * off}: {@code latencyStats(false)}, so only algorithms that read latency measure it.
   */
  @Param({"on", "off"})
  public String latencyStats = "on";

  @Param({"10", "100", "1000"})
  public int size = 10;

  /** Leases each thread keeps open. */
  @Param({"0", "32"})
  public int held;

  private LoadBalancer lb;
  Pool pool;

  /** Builds the load balancer once per trial, with equal weights (the common deployment). */
  @Setup(Level.Trial)
  public void setUp() {
    lb = Lb4jSetups.build(algorithm, size, Lb4jSetups.Weights.EQUAL, "on".equals(latencyStats));
    pool = lb.defaultPool();
  }

  /** Closes the load balancer. */
  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
  }

  /** Each thread's key position and the leases it holds open. */
  @State(Scope.Thread)
  public static class Held {
    int index;
    int slot;
    @Nullable Lease[] open = new Lease[0];

    /**
     * Sizes the ring of open leases.
     *
     * @param benchmark the shared state, for {@code held}
     */
    @Setup(Level.Trial)
    public void setUp(LeaseBenchmark benchmark) {
      index = (int) (Thread.currentThread().getId() * 0x9E37) & (Workload.KEY_COUNT - 1);
      open = new Lease[benchmark.held];
    }

    /** Finishes the leases still open, so every counter returns to zero. */
    @TearDown(Level.Trial)
    public void tearDown() {
      for (int i = 0; i < open.length; i++) {
        Lease lease = open[i];
        if (lease != null) {
          lease.close();
          open[i] = null;
        }
      }
    }
  }

  /**
   * Select, then complete and close (try-with-resources), one thread.
   *
   * @param held the thread's state
   * @return the new lease's backend
   */
  @Benchmark
  @Threads(1)
  public Backend complete1(Held held) {
    return step(held, true);
  }

  /**
   * Select, then complete and close (try-with-resources), two threads.
   *
   * @param held the thread's state
   * @return the new lease's backend
   */
  @Benchmark
  @Threads(2)
  public Backend complete2(Held held) {
    return step(held, true);
  }

  /**
   * Select, then close without an outcome (cancelled), one thread.
   *
   * @param held the thread's state
   * @return the new lease's backend
   */
  @Benchmark
  @Threads(1)
  public Backend cancel1(Held held) {
    return step(held, false);
  }

  /**
   * Select, then close without an outcome (cancelled), two threads.
   *
   * @param held the thread's state
   * @return the new lease's backend
   */
  @Benchmark
  @Threads(2)
  public Backend cancel2(Held held) {
    return step(held, false);
  }

  private Backend step(Held held, boolean complete) {
    int i = held.index;
    held.index = Workload.next(i);
    Lease lease = pool.select(Workload.request(i)).leaseOrThrow();
    Backend backend = lease.backend();
    @Nullable Lease[] open = held.open;
    Lease finish = lease;
    if (open.length > 0) {
      int s = held.slot;
      held.slot = s + 1 == open.length ? 0 : s + 1;
      Lease oldest = open[s];
      open[s] = lease;
      if (oldest == null) {
        return backend;
      }
      finish = oldest;
    }
    if (complete) {
      completeAndClose(finish);
    } else {
      finish.close();
    }
    return backend;
  }

  private static void completeAndClose(Lease lease) {
    try (lease) {
      lease.complete(200);
    }
  }
}
