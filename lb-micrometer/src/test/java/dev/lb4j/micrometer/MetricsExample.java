package dev.lb4j.micrometer;

import dev.lb4j.core.LoadBalancer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/** The README's metrics example; {@link MetricsExampleTest} runs it and reads the meters. */
final class MetricsExample {

  private MetricsExample() {}

  static LoadBalancer build(List<String> uris, MeterRegistry registry) {
    // region metrics
    LoadBalancerMetrics metrics = LoadBalancerMetrics.create();
    LoadBalancer lb =
        LoadBalancer.builder()
            .observer(metrics) // hears every request, retry, rejection and health change
            .pool("api", pool -> pool.backend(uris.get(0)).backend(uris.get(1)))
            .build();
    metrics.monitor(lb); // the gauges read the load balancer: in flight, state, weight, panic
    metrics.bindTo(registry); // or let Spring Boot, Quarkus or Micronaut bind it as a MeterBinder
    // endregion
    return lb;
  }
}
