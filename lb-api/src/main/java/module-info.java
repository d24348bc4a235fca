/**
 * The lb4j extension points and the immutable value types they speak in.
 *
 * <p>Implement {@link dev.lb4j.api.Algorithm} (and register an {@link dev.lb4j.api.AlgorithmProvider}),
 * {@link dev.lb4j.api.HealthProbe}, {@link dev.lb4j.api.RoutingRule} or {@link dev.lb4j.api.Policy} to
 * extend the engine in {@code dev.lb4j.core}.
 *
 * @since 0.1.0
 */
module dev.lb4j.api {
  requires static transitive org.jspecify;

  exports dev.lb4j.api;
}
