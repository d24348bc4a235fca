package dev.lb4j.benchmarks;

import dev.lb4j.api.Backend;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.util.concurrent.TimeUnit;
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
 * One request through every built-in algorithm, as a real caller makes it: {@code select(request)}
 * on the pool handle, then {@code complete(200)} on the lease (which records the latency and
 * releases the in-flight count that least request, peak EWMA and bounded load read). The request
 * views are prebuilt and carry one of {@value Workload#KEY_COUNT} realistic keys in the {@value
 * Workload#KEY_HEADER} header, so hashing algorithms hash a real key and the benchmark measures the
 * engine, not request construction.
 *
 * <p>{@code pick1} runs on one thread, {@code pick2} on two sharing one load balancer (contention on
 * round-robin counters and per-backend load).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class PickBenchmark {

  /** The built-in algorithm, by name. */
  @Param({
    "round_robin",
    "weighted_round_robin",
    "random",
    "weighted_random",
    "least_request",
    "peak_ewma",
    "ring_hash",
    "maglev",
    "rendezvous",
    "bounded_load"
  })
  public String algorithm = "round_robin";

  /** Backends in the pool. */
  /**
   * {@code on}: backends keep the latency EWMA (the default, two clock reads per lease); {@code
   * off}: {@code latencyStats(false)}, so only algorithms that read latency measure it.
   */
  @Param({"on", "off"})
  public String latencyStats = "on";

  @Param({"10", "100", "1000"})
  public int size = 10;

  /**
   * {@code auto} (weights {@code 1..5} for the weighted_* algorithms, equal otherwise), {@code
   * equal}, or {@code cyclic} (weights {@code 1..5} wherever the algorithm honours them).
   */
  @Param({"auto"})
  public String weights = "auto";

  private LoadBalancer lb;
  private Pool pool;

  /** Builds the load balancer once per trial, like an application at startup. */
  @Setup(Level.Trial)
  public void setUp() {
    lb = Lb4jSetups.build(algorithm, size, Lb4jSetups.Weights.parse(weights), "on".equals(latencyStats));
    pool = lb.defaultPool();
  }

  /** Closes the load balancer. */
  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
  }

  /** Each thread's position in the key set. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;

    /** Starts threads at different keys so two threads do not hash in lockstep. */
    @Setup(Level.Trial)
    public void setUp() {
      index = (int) (Thread.currentThread().getId() * 0x9E37) & (Workload.KEY_COUNT - 1);
    }
  }

  /**
   * Select, complete, return the backend.
   *
   * @param cursor the thread's key position
   * @return the chosen backend
   */
  @Benchmark
  @Threads(1)
  public Backend pick1(Cursor cursor) {
    return pick(cursor);
  }

  /**
   * The same on two threads sharing the load balancer.
   *
   * @param cursor the thread's key position
   * @return the chosen backend
   */
  @Benchmark
  @Threads(2)
  public Backend pick2(Cursor cursor) {
    return pick(cursor);
  }

  private Backend pick(Cursor cursor) {
    int i = cursor.index;
    cursor.index = Workload.next(i);
    Lease lease = pool.select(Workload.request(i)).leaseOrThrow();
    lease.complete(200);
    return lease.backend();
  }
}
