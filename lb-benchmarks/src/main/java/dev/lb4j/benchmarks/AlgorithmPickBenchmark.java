package dev.lb4j.benchmarks;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.internal.XxHash64;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.jspecify.annotations.Nullable;

/**
 * The algorithm alone: one {@link Picker#pick} through the public SPI, with no lease, no in-flight
 * accounting and no clock. This is the same work a peer's selection call does ({@code select()} of
 * Vert.x, {@code pickSubchannel} of gRPC), so it is the number to compare with {@link
 * PeerBenchmark} and {@link FloorBenchmark}; {@link PickBenchmark} adds the lease a real caller
 * opens and completes. Hashing algorithms get the XXH64 of the request's key computed per pick, as
 * the engine does (from the key's chars, allocating nothing for ASCII keys); the others get no hash.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class AlgorithmPickBenchmark {

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

  /** Backends in the set. */
  @Param({"10", "100", "1000"})
  public int size = 10;

  private Picker picker;
  private boolean hashes;

  /** Builds the picker once, as the engine does on a membership change. */
  @Setup(Level.Trial)
  public void setUp() {
    Algorithm algo = Algorithms.byName(algorithm, Map.of());
    hashes = algo.usesHashKey();
    boolean weighted = algorithm.startsWith("weighted_");
    List<Backend> backends = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      int weight = weighted ? 1 + i % Workload.MAX_CYCLIC_WEIGHT : 1;
      backends.add(new IdleBackend(Workload.HOST + ":" + (Workload.BASE_PORT + i), weight));
    }
    List<Backend> frozen = List.copyOf(backends);
    picker =
        algo.newPicker(
            new BackendSet() {
              @Override
              public List<Backend> backends() {
                return frozen;
              }

              @Override
              public long poolInFlight() {
                return 0;
              }

              @Override
              public long nanoTime() {
                return System.nanoTime();
              }

              @Override
              public long latencyDecayNanos() {
                return TimeUnit.SECONDS.toNanos(10);
              }
            });
  }

  /** Each thread's reusable pick context and position in the key set. */
  @State(Scope.Thread)
  public static class Context implements PickContext {
    int index;
    @Nullable RequestView request;
    long hash;

    /** Starts threads at different keys. */
    @Setup(Level.Trial)
    public void setUp() {
      index = (int) (Thread.currentThread().getId() * 0x9E37) & (Workload.KEY_COUNT - 1);
    }

    @Override
    public RequestView request() {
      return java.util.Objects.requireNonNull(request, "request");
    }

    @Override
    public boolean hasHash() {
      return true;
    }

    @Override
    public long hash() {
      return hash;
    }

    @Override
    public boolean isExcluded(Backend backend) {
      return false;
    }

    @Override
    public boolean hasExclusions() {
      return false;
    }
  }

  /**
   * One pick on one thread.
   *
   * @param context the thread's context
   * @return the backend
   */
  @Benchmark
  @Threads(1)
  public @Nullable Backend pick1(Context context) {
    return pick(context);
  }

  /**
   * One pick on each of two threads sharing the picker.
   *
   * @param context the thread's context
   * @return the backend
   */
  @Benchmark
  @Threads(2)
  public @Nullable Backend pick2(Context context) {
    return pick(context);
  }

  private @Nullable Backend pick(Context context) {
    int i = context.index;
    context.index = Workload.next(i);
    context.request = Workload.request(i);
    if (hashes) {
      // For hashing pools the engine hashes the key with its XXH64 on every pick; so does this.
      context.hash = XxHash64.hash(Workload.key(i));
    }
    return picker.pick(context);
  }

  /** A backend that is never loaded: the algorithm's own cost, not the pool's state. */
  private static final class IdleBackend implements Backend {
    private final String id;
    private final URI uri;
    private final int weight;

    IdleBackend(String id, int weight) {
      this.id = id;
      this.uri = URI.create("http://" + id);
      this.weight = weight;
    }

    @Override
    public String id() {
      return id;
    }

    @Override
    public URI uri() {
      return uri;
    }

    @Override
    public int weight() {
      return weight;
    }

    @Override
    public String zone() {
      return "";
    }

    @Override
    public Map<String, String> metadata() {
      return Map.of();
    }

    @Override
    public int inFlight() {
      return 0;
    }

    @Override
    public long latencyEwmaNanos() {
      return 0;
    }

    @Override
    public long latencyStampNanos() {
      return 0;
    }
  }
}
