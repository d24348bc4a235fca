package dev.lb4j.core;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.internal.Checks;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configures one pool inside {@link LoadBalancerBuilder#pool(String, java.util.function.Consumer)}.
 * Backends accumulate; the algorithm and the hash key may each be set once. Arguments are checked at
 * once, with messages that name the field by its path ({@code pools.api.backends[2].weight}).
 *
 * <p>Not thread-safe.
 *
 * @since 0.1.0
 */
public final class PoolBuilder {

  private final String name;
  private final List<BackendSpec> backends = new ArrayList<>();
  private final java.util.Map<String, Integer> indexById = new java.util.HashMap<>();
  private @Nullable Algorithm algorithm;
  private @Nullable HashKey hashKey;

  PoolBuilder(String name) {
    this.name = name;
  }

  private String field(String rest) {
    return "pools." + name + "." + rest;
  }

  /**
   * Adds a backend with the default id ({@code host:port}) and weight ({@value
   * BackendSpec#DEFAULT_WEIGHT}).
   *
   * @param uri an http or https URI with a host
   * @return this builder
   */
  public PoolBuilder backend(String uri) {
    return backend(uri, BackendSpec.DEFAULT_WEIGHT);
  }

  /**
   * Adds a backend with the default id and the given weight.
   *
   * @param uri an http or https URI with a host
   * @param weight {@value BackendSpec#MIN_WEIGHT}..{@value BackendSpec#MAX_WEIGHT}
   * @return this builder
   */
  public PoolBuilder backend(String uri, int weight) {
    String at = "backends[" + backends.size() + "].";
    URI checked = BackendSpec.checkUri(field(at + "uri"), uri);
    BackendSpec.checkWeight(field(at + "weight"), weight);
    return backend(BackendSpec.builder(checked.toString()).weight(weight).build());
  }

  /**
   * Adds a fully specified backend.
   *
   * @param backend the backend; its id must be new in this pool
   * @return this builder
   */
  public PoolBuilder backend(BackendSpec backend) {
    Objects.requireNonNull(backend, "backend");
    Integer existing = indexById.get(backend.id());
    if (existing != null) {
      throw new IllegalArgumentException(
          field("backends[" + backends.size() + "].id")
              + ": '"
              + backend.id()
              + "' (expected: unique in the pool; backends["
              + existing
              + "] has it)");
    }
    indexById.put(backend.id(), backends.size());
    backends.add(backend);
    return this;
  }

  /**
   * Sets the algorithm. Default: {@link Algorithms#weightedRoundRobin()}, which is plain round robin
   * when all weights are equal.
   *
   * @param algorithm the algorithm, from {@link Algorithms} or your own
   * @return this builder
   */
  public PoolBuilder algorithm(Algorithm algorithm) {
    Objects.requireNonNull(algorithm, "algorithm");
    if (this.algorithm != null) {
      throw new IllegalStateException(
          field("algorithm") + " was already set to " + this.algorithm.name());
    }
    this.algorithm = algorithm;
    return this;
  }

  /**
   * Sets where requests' hash keys come from. Required when, and only allowed when, the algorithm
   * {@linkplain Algorithm#usesHashKey() hashes}.
   *
   * @param hashKey the key source
   * @return this builder
   */
  public PoolBuilder hashKey(HashKey hashKey) {
    Objects.requireNonNull(hashKey, "hashKey");
    if (this.hashKey != null) {
      throw new IllegalStateException(field("hashKey") + " was already set to " + this.hashKey);
    }
    this.hashKey = hashKey;
    return this;
  }

  String name() {
    return name;
  }

  List<BackendSpec> backends() {
    return List.copyOf(backends);
  }

  Algorithm algorithmOrDefault() {
    return algorithm == null ? Algorithms.weightedRoundRobin() : algorithm;
  }

  @Nullable HashKey hashKey() {
    return hashKey;
  }

  /** Cross-field rules, checked by {@link LoadBalancerBuilder#build()}. */
  void validate() {
    if (backends.isEmpty()) {
      throw new IllegalArgumentException(
          field("backends") + ": empty (expected: at least one backend)");
    }
    Algorithm algo = algorithmOrDefault();
    if (algo.usesHashKey() && hashKey == null) {
      throw new IllegalArgumentException(
          field("hashKey")
              + ": not set (expected: a key source such as HashKey.header(\"X-User\"), because"
              + " algorithm '"
              + algo.name()
              + "' hashes)");
    }
    if (!algo.usesHashKey() && hashKey != null) {
      throw new IllegalArgumentException(
          field("hashKey")
              + ": "
              + hashKey
              + " (expected: not set, because algorithm '"
              + algo.name()
              + "' does not hash)");
    }
    List<Integer> weights = new ArrayList<>(backends.size());
    for (BackendSpec b : backends) {
      weights.add(b.weight());
    }
    Checks.weightsHonoured(algo, weights, field("backends"));
  }

  @Override
  public String toString() {
    return name + ": " + algorithmOrDefault() + ", backends=" + backends;
  }
}
