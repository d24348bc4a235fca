package dev.lb4j.benchmarks;

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
 * The peers side by side with lb4j, on the same backends and the same {@value Workload#KEY_COUNT}
 * keys as {@link PickBenchmark}: one selection through each library's public API per operation (see
 * {@link PeerSelector} and the {@code *Peers} classes for exactly which call). {@code peer1} runs on
 * one thread, {@code peer2} on two sharing the selector.
 *
 * <p>Peers are measured selecting only, with no per-request accounting (their clients do that
 * elsewhere, often allocating); lb4j's {@link PickBenchmark} also opens and completes a lease. So
 * every load-aware peer sees an idle pool, as lb4j does once each lease completes, and any ratio in
 * lb4j's favour is conservative.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class PeerBenchmark {

  /** The peer and its algorithm, {@code <library>_<algorithm>}; see {@link Peers#NAMES}. */
  @Param({
    "vertx_round_robin",
    "vertx_random",
    "vertx_p2c",
    "vertx_least_requests",
    "vertx_consistent_hashing",
    "grpc_round_robin",
    "grpc_least_request",
    "grpc_ring_hash",
    "ribbon_round_robin",
    "ribbon_random",
    "ribbon_best_available",
    "ribbon_availability_filtering",
    "ribbon_zone_avoidance",
    "dubbo_round_robin",
    "dubbo_random",
    "dubbo_least_active",
    "dubbo_shortest_response",
    "dubbo_consistent_hash",
    "spring_round_robin",
    "spring_random",
    "stork_round_robin",
    "stork_random",
    "stork_least_requests",
    "stork_p2c",
    "stork_least_response_time"
  })
  public String peer = "vertx_round_robin";

  /** Backends in the pool. */
  @Param({"10", "100", "1000"})
  public int size = 10;

  private PeerSelector selector;

  /** Builds the peer's load balancer once per trial. */
  @Setup(Level.Trial)
  public void setUp() {
    selector = Peers.create(peer, size);
  }

  /** Frees the peer's resources. */
  @TearDown(Level.Trial)
  public void tearDown() {
    selector.close();
  }

  /** Each thread's position in the key set. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;

    /** Starts threads at different keys. */
    @Setup(Level.Trial)
    public void setUp() {
      index = (int) (Thread.currentThread().getId() * 0x9E37) & (Workload.KEY_COUNT - 1);
    }
  }

  /**
   * One selection on one thread.
   *
   * @param cursor the thread's key position
   * @return what the peer chose
   */
  @Benchmark
  @Threads(1)
  public Object peer1(Cursor cursor) {
    return select(cursor);
  }

  /**
   * One selection on each of two threads sharing the selector.
   *
   * @param cursor the thread's key position
   * @return what the peer chose
   */
  @Benchmark
  @Threads(2)
  public Object peer2(Cursor cursor) {
    return select(cursor);
  }

  private Object select(Cursor cursor) {
    int i = cursor.index;
    cursor.index = Workload.next(i);
    return selector.select(i);
  }
}
