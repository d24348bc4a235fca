package dev.lb4j.benchmarks;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.Admin;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
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
 * The control plane: what a membership or health change costs, through the public admin API. Every
 * operation is a <em>pair</em> of changes, so <b>each score is two snapshot rebuilds</b> (the pool
 * ends where it started, and the next operation starts from the same state):
 *
 * <ul>
 *   <li>{@code maglev}: remove one of 1,000 backends, add it back; each change rebuilds a Maglev
 *       table of 65,537 entries.
 *   <li>{@code ringHash}: the same on a ring hash with {@code minRingSize} entries at least (1,024 to
 *       8M, {@code Algorithms.ringHash(min, 8M)}).
 *   <li>{@code healthFlip}: drain one of 100 least-request backends, undrain it; what an ejection
 *       and its recovery cost.
 * </ul>
 *
 * <p>The backend changed moves round the pool, so every position is exercised. Single-threaded:
 * the admin API serializes changes to a pool anyway.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@Threads(1)
public class RebuildBenchmark {

  /** Backends in the consistent-hashing pools. */
  public static final int HASH_POOL_SIZE = 1000;

  /** Backends in the health-flip pool. */
  public static final int FLIP_POOL_SIZE = 100;

  /** A pool and the backend the next operation changes. */
  public abstract static class Churn {
    /** Backends in the pool; fixed for the benchmark, smaller in the smoke test. */
    int size;

    LoadBalancer lb;
    Admin admin;
    BackendSpec[] specs;
    int next;

    Churn(int size) {
      this.size = size;
    }

    abstract Algorithm algorithm();

    /** Builds the pool once per trial. */
    @Setup(Level.Trial)
    public void setUp() {
      Algorithm algorithm = algorithm();
      lb = Lb4jSetups.build(algorithm, size, Lb4jSetups.Weights.EQUAL);
      admin = lb.admin();
      specs = new BackendSpec[size];
      for (int i = 0; i < specs.length; i++) {
        specs[i] = Lb4jSetups.spec(algorithm, i, Lb4jSetups.Weights.EQUAL);
      }
    }

    /** Closes the load balancer. */
    @TearDown(Level.Trial)
    public void tearDown() {
      lb.close();
    }

    BackendSpec nextSpec() {
      BackendSpec spec = specs[next];
      next = next + 1 == specs.length ? 0 : next + 1;
      return spec;
    }
  }

  /** Maglev, Envoy's default table of 65,537 entries, over 1,000 backends. */
  @State(Scope.Benchmark)
  public static class MaglevPool extends Churn {
    /** A pool of {@value RebuildBenchmark#HASH_POOL_SIZE} backends. */
    public MaglevPool() {
      super(HASH_POOL_SIZE);
    }

    @Override
    Algorithm algorithm() {
      return Algorithms.maglev(Algorithms.DEFAULT_MAGLEV_TABLE_SIZE);
    }
  }

  /** Ring hash of at least {@code minRingSize} entries over 1,000 backends. */
  @State(Scope.Benchmark)
  public static class RingPool extends Churn {
    /** A pool of {@value RebuildBenchmark#HASH_POOL_SIZE} backends. */
    public RingPool() {
      super(HASH_POOL_SIZE);
    }

    /** Envoy's {@code minimum_ring_size}; the maximum is Envoy's default, 8M. */
    @Param({"1024", "65536", "1048576", "8388608"})
    public long minRingSize = Algorithms.DEFAULT_MIN_RING_SIZE;

    @Override
    Algorithm algorithm() {
      return Algorithms.ringHash(minRingSize, Algorithms.DEFAULT_MAX_RING_SIZE);
    }
  }

  /** Least request over 100 backends, for drain and undrain. */
  @State(Scope.Benchmark)
  public static class FlipPool extends Churn {
    /** A pool of {@value RebuildBenchmark#FLIP_POOL_SIZE} backends. */
    public FlipPool() {
      super(FLIP_POOL_SIZE);
    }

    @Override
    Algorithm algorithm() {
      return Algorithms.leastRequest();
    }
  }

  /**
   * Remove a backend and add it back: two Maglev table builds.
   *
   * @param pool the pool
   */
  @Benchmark
  public void maglev(MaglevPool pool) {
    removeAndAdd(pool);
  }

  /**
   * Remove a backend and add it back: two ring builds.
   *
   * @param pool the pool
   */
  @Benchmark
  public void ringHash(RingPool pool) {
    removeAndAdd(pool);
  }

  /**
   * Drain a backend and undrain it: two least-request snapshots.
   *
   * @param pool the pool
   */
  @Benchmark
  public void healthFlip(FlipPool pool) {
    BackendSpec spec = pool.nextSpec();
    pool.admin.drain(Lb4jSetups.POOL, spec.id());
    pool.admin.undrain(Lb4jSetups.POOL, spec.id());
  }

  private static void removeAndAdd(Churn pool) {
    BackendSpec spec = pool.nextSpec();
    pool.admin.removeBackend(Lb4jSetups.POOL, spec.id());
    pool.admin.addBackend(Lb4jSetups.POOL, spec);
  }
}
