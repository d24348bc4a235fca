/**
 * The lb4j engine: {@link dev.lb4j.core.LoadBalancer#builder()}, pools, leases, the admin API, and
 * the built-in algorithms in {@link dev.lb4j.core.algorithm.Algorithms}. Depends on nothing but the
 * JDK and {@code dev.lb4j.api}.
 *
 * @uses dev.lb4j.api.AlgorithmProvider
 * @provides dev.lb4j.api.HealthProbeProvider the {@code tcp} probe
 * @provides dev.lb4j.api.AlgorithmProvider the built-in algorithms
 * @since 0.1.0
 */
module dev.lb4j.core {
  requires transitive dev.lb4j.api;
  requires static com.google.errorprone.annotations; // @GuardedBy, checked at compile time

  exports dev.lb4j.core;
  exports dev.lb4j.core.algorithm;
  exports dev.lb4j.core.health;
  exports dev.lb4j.core.routing;
  exports dev.lb4j.core.policy;
  exports dev.lb4j.core.retry;

  uses dev.lb4j.api.AlgorithmProvider;

  provides dev.lb4j.api.AlgorithmProvider with
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.RoundRobin,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.WeightedRoundRobin,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.Random,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.WeightedRandom,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.LeastRequest,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.PeakEwma,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.RingHash,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.Maglev,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.Rendezvous,
      dev.lb4j.core.internal.BuiltinAlgorithmProviders.BoundedLoad;
  provides dev.lb4j.api.HealthProbeProvider with
      dev.lb4j.core.internal.TcpProbeProvider;
}
