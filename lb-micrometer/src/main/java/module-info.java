/**
 * Micrometer meters for lb4j: {@link dev.lb4j.micrometer.LoadBalancerMetrics} is both the observer a
 * {@link dev.lb4j.core.LoadBalancer} reports to and the {@link
 * io.micrometer.core.instrument.binder.MeterBinder} that puts what it hears into a registry.
 *
 * @since 0.1.0
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.lb4j.micrometer {
  requires transitive dev.lb4j.core;
  requires transitive micrometer.core;

  exports dev.lb4j.micrometer;
}
