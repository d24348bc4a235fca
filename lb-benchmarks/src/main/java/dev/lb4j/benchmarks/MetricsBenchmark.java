package dev.lb4j.benchmarks;

import dev.lb4j.api.Backend;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.micrometer.LoadBalancerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
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
 * What lb-micrometer adds to a request: select through the routing pipeline, then complete the lease
 * with 200, with no observer ({@code none}) or with {@link LoadBalancerMetrics} bound to a {@link
 * SimpleMeterRegistry} or a {@link PrometheusMeterRegistry}, request timers with percentile
 * histograms on. The difference to {@code none} is the binder's per-request overhead (goal: under
 * 100 ns). Ten backends (never contacted), round robin: ten timers.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class MetricsBenchmark {

  /** The registry behind the binder, or {@code none} for no observer at all. */
  @Param({"none", "simple", "prometheus"})
  public String registry = "none";

  private @Nullable LoadBalancer lb;
  private @Nullable MeterRegistry meters;

  /** Builds the load balancer (and registry) once per trial. */
  @Setup(Level.Trial)
  public void setUp() {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool(
                "api",
                pool -> {
                  pool.algorithm(Algorithms.roundRobin());
                  for (int i = 0; i < 10; i++) {
                    pool.backend(
                        BackendSpec.builder("http://127.0.0.1:" + (20001 + i))
                            .id("b" + i)
                            .build());
                  }
                });
    LoadBalancerMetrics metrics = LoadBalancerMetrics.create();
    switch (registry) {
      case "none" -> meters = null;
      case "simple" -> meters = new SimpleMeterRegistry();
      case "prometheus" -> meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      default -> throw new IllegalArgumentException("registry: " + registry);
    }
    if (meters != null) {
      builder.observer(metrics);
    }
    LoadBalancer built = builder.build();
    if (meters != null) {
      metrics.monitor(built);
      metrics.bindTo(meters);
    }
    lb = built;
  }

  /** Closes the load balancer and the registry. */
  @TearDown(Level.Trial)
  public void tearDown() {
    if (lb != null) {
      lb.close();
    }
    if (meters != null) {
      meters.close();
    }
  }

  /** Each thread's position in the request keys. */
  @State(Scope.Thread)
  public static class Cursor {
    int index;
  }

  /**
   * Select and complete with 200, one thread.
   *
   * @param cursor the thread's position
   * @return the lease's backend
   */
  @Benchmark
  @Threads(1)
  public Backend selectComplete1(Cursor cursor) {
    return step(cursor);
  }

  /**
   * Select and complete with 200, two threads.
   *
   * @param cursor the thread's position
   * @return the lease's backend
   */
  @Benchmark
  @Threads(2)
  public Backend selectComplete2(Cursor cursor) {
    return step(cursor);
  }

  Backend step(Cursor cursor) {
    cursor.index = Workload.next(cursor.index);
    LoadBalancer l = lb;
    if (l == null) {
      throw new IllegalStateException("not set up");
    }
    try (Lease lease = l.select(Workload.request(cursor.index)).leaseOrThrow()) {
      lease.complete(200);
      return lease.backend();
    }
  }

  /** The registry, for the smoke test; null for {@code none}. */
  @Nullable MeterRegistry meters() {
    return meters;
  }
}
