package dev.lb4j.benchmarks;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import java.time.Duration;
import java.util.Map;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * What health costs on the request path: select and complete a lease in a pool of 100 backends with
 * no health feature ({@code off}), with passive outlier detection counting every outcome ({@code
 * passive}), and with one backend of 100 warming at 10% of its share ({@code warming}: every pick of
 * it runs the slow-start rejection). Time is frozen (a fixed ticker, a scheduler that never runs), so
 * the ramp stays where it is for the whole measurement.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class HealthBenchmark {

  /** The algorithm. */
  @Param({"round_robin", "least_request", "maglev"})
  public String algorithm = "round_robin";

  /** Which health feature is on. */
  @Param({"off", "passive", "warming"})
  public String health = "off";

  static final int SIZE = 100;

  private LoadBalancer lb;
  Pool pool;

  /** Builds the pool; for {@code warming}, adds the 100th backend at runtime so it warms. */
  @Setup(Level.Trial)
  public void setUp() {
    Algorithm algo = Algorithms.byName(algorithm, Map.of());
    Scheduler never = (task, delayNanos) -> () -> {};
    boolean warming = health.equals("warming");
    lb =
        LoadBalancer.builder()
            .ticker(() -> 1_000_000_000L)
            .scheduler(never)
            .pool(
                Lb4jSetups.POOL,
                p -> {
                  p.algorithm(algo);
                  if (algo.usesHashKey()) {
                    p.hashKey(HashKey.header(Workload.KEY_HEADER));
                  }
                  for (int i = 0; i < (warming ? SIZE - 1 : SIZE); i++) {
                    p.backend(Lb4jSetups.spec(algo, i, Lb4jSetups.Weights.EQUAL));
                  }
                  switch (health) {
                    case "off" -> {}
                    case "passive" -> p.outlierDetection(OutlierDetection.defaults());
                    case "warming" -> p.slowStart(SlowStart.linear(Duration.ofSeconds(100)));
                    default -> throw new IllegalArgumentException("health: " + health);
                  }
                })
            .build();
    if (warming) {
      lb.admin()
          .addBackend(Lb4jSetups.POOL, Lb4jSetups.spec(algo, SIZE - 1, Lb4jSetups.Weights.EQUAL));
    }
    pool = lb.defaultPool();
  }

  /** Closes the load balancer. */
  @TearDown(Level.Trial)
  public void tearDown() {
    lb.close();
  }

  /** Each thread's position in the key sequence. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;
  }

  /**
   * Select, then complete with 200.
   *
   * @param cursor the thread's key position
   * @return the picked backend's id, so the pick is not dead code
   */
  @Benchmark
  public String selectAndComplete(Cursor cursor) {
    int i = cursor.index;
    cursor.index = Workload.next(i);
    Lease lease = pool.select(Workload.request(i)).leaseOrThrow();
    lease.complete(200);
    return lease.backend().id();
  }
}
