package dev.lb4j.api;

/**
 * A load-balancing algorithm: turns the set of backends available in a pool into an immutable
 * {@link Picker} for exactly that set.
 *
 * <p>An algorithm object is configuration: immutable, thread-safe and shareable between pools. All
 * the expensive work (rings, tables, weight schedules) belongs in {@link #newPicker}, which the
 * engine calls on the control plane whenever membership, health or weights change; picks then cost
 * arithmetic and array reads.
 *
 * <p>To make an algorithm available by name (for example from a configuration file), also implement
 * an {@link AlgorithmProvider} and register it with {@link java.util.ServiceLoader}.
 *
 * @since 0.1.0
 */
public interface Algorithm {

  /**
   * The algorithm's name, as its provider registers it (for example {@code maglev}).
   *
   * @return the name
   */
  String name();

  /**
   * Builds a picker for exactly the given backends. Called on the control plane, never concurrently
   * for the same pool, and never with an empty set.
   *
   * @param backends the available backends
   * @return a new immutable picker over {@code backends}
   */
  Picker newPicker(BackendSet backends);

  /**
   * Whether picks depend on a per-request hash key. A pool whose algorithm hashes must be given a
   * hash-key source; a pool whose algorithm does not must not be.
   *
   * @return {@code true} if the algorithm reads {@link PickContext#hash()}
   */
  default boolean usesHashKey() {
    return false;
  }

  /**
   * Whether the algorithm honours {@link Backend#weight()}. A pool whose algorithm ignores weights
   * refuses backends with unequal weights, so a weight is never an option that does nothing.
   *
   * @return {@code true} if weights affect picks
   */
  default boolean usesWeights() {
    return false;
  }

  /**
   * Whether each pick is an independent draw in proportion to weight (round robin, random and their
   * weighted forms), so that picking again yields the same distribution. Slow start uses it: while a
   * backend warms up, a pick of it is kept with the probability of its ramp factor; otherwise an
   * algorithm that picks in proportion simply picks again (which gives the warming backend exactly
   * its ramped share), while any other algorithm (least request, latency-aware, hashing) is asked
   * again with the warming backend excluded for that request, so it cannot return the same idle
   * newcomer over and over. Return {@code true} only if re-picking is unbiased for your picker.
   *
   * @return {@code true} if picks are independent draws in proportion to weight
   * @since 0.1.0
   */
  default boolean picksInProportionToWeight() {
    return false;
  }
  /**
   * Whether picks read live latency ({@link Backend#latencyEwmaNanos()}, {@link
   * Backend#latencyStampNanos()}, {@link BackendSet#nanoTime()}). The engine reads the clock twice
   * per request only when something consumes latency: an algorithm that says so, or the load
   * balancer's latency statistics. An algorithm that reads latency but answers {@code false} sees
   * estimates that stay at zero whenever latency statistics are off.
   *
   * <p>The default is {@code true}, which is always correct; built-in algorithms that ignore
   * latency answer {@code false}.
   *
   * @return {@code true} if picks depend on measured latency
   * @since 0.1.0
   */
  default boolean usesLatency() {
    return true;
  }

  /**
   * Whether picks read {@link BackendSet#poolInFlight()}. The engine keeps a pool-wide in-flight
   * counter on the request path only for algorithms that read it; for the others {@code
   * poolInFlight()} is still exact but is computed on demand, which costs a lock and a pass over the
   * backends.
   *
   * <p>The default is {@code true}, which is always fast; built-in algorithms other than bounded
   * load answer {@code false}.
   *
   * @return {@code true} if picks read the pool's in-flight count
   * @since 0.1.0
   */
  default boolean usesPoolInFlight() {
    return true;
  }
}
