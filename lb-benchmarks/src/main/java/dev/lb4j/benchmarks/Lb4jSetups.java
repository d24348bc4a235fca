package dev.lb4j.benchmarks;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.List;
import java.util.Map;

/**
 * Builds lb4j load balancers over the {@link Workload} backends exactly as a user would, through
 * {@link LoadBalancer#builder()}: weights as {@link Weights} says, and the {@value
 * Workload#KEY_HEADER} header as the hash key when the algorithm hashes.
 */
public final class Lb4jSetups {

  /** The name of the one pool each setup has. */
  public static final String POOL = "bench";

  /** Every built-in algorithm, by the name {@link Algorithms#byName} knows it under. */
  public static final List<String> ALGORITHMS =
      List.of(
          "round_robin",
          "weighted_round_robin",
          "random",
          "weighted_random",
          "least_request",
          "peak_ewma",
          "ring_hash",
          "maglev",
          "rendezvous",
          "bounded_load");

  private Lb4jSetups() {}

  /** How backends are weighted. */
  public enum Weights {
    /**
     * {@code 1..5} cyclic for the algorithms whose point is weights ({@code weighted_round_robin},
     * {@code weighted_random}), equal for every other: the common deployment, and the equal-weight
     * fast paths of least request, peak EWMA and the hashes.
     */
    AUTO,
    /** All weights equal. */
    EQUAL,
    /**
     * {@code 1..5} cyclic for every algorithm that honours weights: the weighted code paths of least
     * request, peak EWMA and the hashes. Algorithms that ignore weights keep equal ones.
     */
    CYCLIC;

    /**
     * Parses a benchmark parameter.
     *
     * @param name {@code auto}, {@code equal} or {@code cyclic}, in any case
     * @return the mode
     */
    public static Weights parse(String name) {
      return valueOf(name.toUpperCase(java.util.Locale.ROOT));
    }

    int weight(Algorithm algorithm, int i) {
      boolean varied =
          switch (this) {
            case AUTO -> algorithm.name().startsWith("weighted_");
            case EQUAL -> false;
            case CYCLIC -> algorithm.usesWeights();
          };
      return varied ? Workload.weight(i) : BackendSpec.DEFAULT_WEIGHT;
    }
  }

  /**
   * A load balancer with one pool of {@code size} backends balanced by the named algorithm with its
   * default options.
   *
   * @param algorithm a built-in name such as {@code maglev}
   * @param size the number of backends
   * @return the load balancer; close it when done
   */
  public static LoadBalancer build(String algorithm, int size) {
    return build(Algorithms.byName(algorithm, Map.of()), size, Weights.AUTO);
  }

  /**
   * A load balancer with one pool of {@code size} backends balanced by the named algorithm with its
   * default options.
   *
   * @param algorithm a built-in name such as {@code maglev}
   * @param size the number of backends
   * @param weights how the backends are weighted
   * @return the load balancer; close it when done
   */
  public static LoadBalancer build(String algorithm, int size, Weights weights) {
    return build(Algorithms.byName(algorithm, Map.of()), size, weights);
  }

  /**
   * A load balancer with one pool of {@code size} backends balanced by {@code algorithm}.
   *
   * @param algorithm the algorithm
   * @param size the number of backends
   * @param weights how the backends are weighted
   * @return the load balancer; close it when done
   */
  public static LoadBalancer build(Algorithm algorithm, int size, Weights weights) {
    return build(algorithm, size, weights, true);
  }

  /**
   * A load balancer with one pool of {@code size} backends balanced by {@code algorithm}, with
   * latency statistics on or off ({@link dev.lb4j.core.LoadBalancerBuilder#latencyStats}).
   *
   * @param algorithm a built-in name such as {@code maglev}
   * @param size the number of backends
   * @param weights how the backends are weighted
   * @param latencyStats whether backends keep a latency EWMA their algorithm does not read
   * @return the load balancer; close it when done
   */
  public static LoadBalancer build(String algorithm, int size, Weights weights, boolean latencyStats) {
    return build(Algorithms.byName(algorithm, Map.of()), size, weights, latencyStats);
  }

  private static LoadBalancer build(
      Algorithm algorithm, int size, Weights weights, boolean latencyStats) {
    return LoadBalancer.builder()
        .latencyStats(latencyStats)
        .pool(
            POOL,
            pool -> {
              pool.algorithm(algorithm);
              if (algorithm.usesHashKey()) {
                pool.hashKey(HashKey.header(Workload.KEY_HEADER));
              }
              for (int i = 0; i < size; i++) {
                pool.backend(spec(algorithm, i, weights));
              }
            })
        .build();
  }

  /**
   * The spec of backend {@code i} in a pool balanced by {@code algorithm}.
   *
   * @param algorithm the pool's algorithm
   * @param i the backend's position
   * @param weights how the backends are weighted
   * @return the spec
   */
  public static BackendSpec spec(Algorithm algorithm, int i, Weights weights) {
    return BackendSpec.builder(Workload.uri(i)).weight(weights.weight(algorithm, i)).build();
  }
}
