package dev.lb4j.core;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.PanicMode;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.Checks;
import dev.lb4j.core.internal.HealthConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Configures one pool inside {@link LoadBalancerBuilder#pool(String, java.util.function.Consumer)}.
 * Backends accumulate; the algorithm, the hash key and each health setting may be set once. Arguments are checked at
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
  private @Nullable HealthCheck healthCheck;
  private @Nullable OutlierDetection outlierDetection;
  private @Nullable SlowStart slowStart;
  private @Nullable Integer panicThreshold;
  private @Nullable PanicMode panicMode;
  private long maxRequests;
  private int maxRequestsPerBackend;

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

  /**
   * Turns on active health checking: the probe runs against every backend at the check's interval.
   *
   * @param healthCheck the check, for example {@code HealthCheck.of(TcpProbe.create())}
   * @return this builder
   */
  public PoolBuilder healthCheck(HealthCheck healthCheck) {
    Objects.requireNonNull(healthCheck, "healthCheck");
    if (this.healthCheck != null) {
      throw new IllegalStateException(
          field("healthCheck") + " was already set to " + this.healthCheck
              + " (expected: at most one health check per pool)");
    }
    this.healthCheck = healthCheck;
    return this;
  }

  /**
   * Turns on passive outlier detection: backends whose real traffic keeps failing are ejected for a
   * while.
   *
   * @param outlierDetection the settings, for example {@link OutlierDetection#defaults()}
   * @return this builder
   */
  public PoolBuilder outlierDetection(OutlierDetection outlierDetection) {
    Objects.requireNonNull(outlierDetection, "outlierDetection");
    if (this.outlierDetection != null) {
      throw new IllegalStateException(
          field("outlierDetection") + " was already set to " + this.outlierDetection
              + " (expected: set once per pool)");
    }
    this.outlierDetection = outlierDetection;
    return this;
  }

  /**
   * Turns on slow start: backends added at runtime, or back in service after being unhealthy,
   * ejected, drained or disabled, ramp up their share of traffic over a window. Works with every
   * algorithm; see {@link SlowStart} for how it applies to consistent hashing.
   *
   * @param slowStart the ramp, for example {@code SlowStart.linear(Duration.ofSeconds(30))}
   * @return this builder
   */
  public PoolBuilder slowStart(SlowStart slowStart) {
    Objects.requireNonNull(slowStart, "slowStart");
    if (this.slowStart != null) {
      throw new IllegalStateException(
          field("slowStart") + " was already set to " + this.slowStart
              + " (expected: set once per pool)");
    }
    this.slowStart = slowStart;
    return this;
  }

  /**
   * Sets the panic threshold: when fewer than this share of the backends that are neither disabled
   * nor draining are healthy (serving), the pool enters panic mode (see {@link #panicMode}). Default:
   * {@value #DEFAULT_PANIC_THRESHOLD}% (Envoy's). Backends still waiting for their first probe count
   * neither way.
   *
   * @param percent 0 (never panic: select only healthy backends, none if none is) to 100
   * @return this builder
   */
  public PoolBuilder panicThreshold(int percent) {
    if (this.panicThreshold != null) {
      throw new IllegalStateException(
          field("panicThreshold") + " was already set to " + this.panicThreshold);
    }
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException(
          field("panicThreshold") + ": " + percent + " (expected: 0..100 percent)");
    }
    this.panicThreshold = percent;
    return this;
  }

  /**
   * Sets what panic mode does. Default: {@link PanicMode#BALANCE_ALL}.
   *
   * @param mode spread over all backends, or fail fast
   * @return this builder
   */
  public PoolBuilder panicMode(PanicMode mode) {
    Objects.requireNonNull(mode, "mode");
    if (this.panicMode != null) {
      throw new IllegalStateException(field("panicMode") + " was already set to " + panicMode);
    }
    this.panicMode = mode;
    return this;
  }

  /**
   * Limits the requests in flight across the pool (a bulkhead, like Envoy's circuit-breaker {@code
   * max_requests}): a selection beyond it fails with {@link NoBackend.Reason#CONCURRENCY_LIMIT}
   * (answer 503) instead of piling more load on the backends. Exact under contention.
   *
   * @param max 1 to 1,000,000,000 requests in flight
   * @return this builder
   */
  public PoolBuilder maxRequests(long max) {
    if (max < 1 || max > 1_000_000_000L) {
      throw new IllegalArgumentException(
          field("maxRequests") + ": " + max + " (expected: 1..1000000000)");
    }
    if (this.maxRequests != 0) {
      throw new IllegalStateException(
          field("maxRequests") + " was already set to " + this.maxRequests);
    }
    this.maxRequests = max;
    return this;
  }

  /**
   * Limits the requests in flight to each backend: a backend at its limit is skipped and the
   * algorithm picks another; when the backends tried are all at their limit the selection fails
   * with {@link NoBackend.Reason#CONCURRENCY_LIMIT}. Exact under contention.
   *
   * @param max 1 to 1,000,000 requests in flight per backend
   * @return this builder
   */
  public PoolBuilder maxRequestsPerBackend(int max) {
    if (max < 1 || max > 1_000_000) {
      throw new IllegalArgumentException(
          field("maxRequestsPerBackend") + ": " + max + " (expected: 1..1000000)");
    }
    if (this.maxRequestsPerBackend != 0) {
      throw new IllegalStateException(
          field("maxRequestsPerBackend") + " was already set to " + this.maxRequestsPerBackend);
    }
    this.maxRequestsPerBackend = max;
    return this;
  }

  /** The default panic threshold in percent. */
  public static final int DEFAULT_PANIC_THRESHOLD = HealthConfig.DEFAULT_PANIC_THRESHOLD;

  HealthConfig healthConfig() {
    return new HealthConfig(
        healthCheck,
        outlierDetection,
        slowStart,
        panicThreshold == null ? DEFAULT_PANIC_THRESHOLD : panicThreshold,
        panicMode == null ? PanicMode.BALANCE_ALL : panicMode,
        maxRequests,
        maxRequestsPerBackend);
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
