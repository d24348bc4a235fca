package dev.lb4j.examples.proxy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.micrometer.LoadBalancerMetrics;
import dev.lb4j.servlet.AdminEndpoint;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.jetty12.server.TimedHandler;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.util.thread.ThreadPool;

/**
 * The proxy's meters in one Prometheus registry: lb4j's ({@link LoadBalancerMetrics}, installed as
 * the load balancer's observer, which a configuration reload keeps: the reload reconfigures the same
 * load balancer), the JVM's, and Jetty's (micrometer-jetty12's {@link TimedHandler}, timer {@code
 * jetty.server.requests}, and micrometer-core's thread pool binder), scraped through the admin
 * endpoint {@code metrics}.
 */
final class ProxyMetrics implements AutoCloseable {

  /** The Prometheus text format, version 0.0.4. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final LoadBalancerMetrics lb4j = LoadBalancerMetrics.create();
  private final JvmGcMetrics gc = new JvmGcMetrics();

  ProxyMetrics() {
    // Two of Micrometer's JVM meters break Prometheus's naming rules as promtool checks them
    // ("process_cpu_time_ns_total": a unit other than seconds; "system_cpu_count": a "_count"
    // suffix on a gauge). process.cpu.usage says what the first does; the second is renamed.
    registry.config()
        .meterFilter(MeterFilter.deny(id -> id.getName().equals("process.cpu.time")))
        .meterFilter(
            new MeterFilter() {
              @Override
              public Meter.Id map(Meter.Id id) {
                return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
              }
            });
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    lb4j.bindTo(registry);
  }

  /** Builds the load balancer with lb4j's meters as its observer, and monitors it. */
  LoadBalancer build(LoadBalancerBuilder builder) {
    LoadBalancer lb = builder.observer(lb4j).build();
    lb4j.monitor(lb);
    return lb;
  }

  /** Times every request Jetty serves ({@code jetty.server.requests}). */
  TimedHandler timedHandler() {
    return new TimedHandler(registry, Tags.empty());
  }

  /** Binds the Jetty thread pool's meters. */
  void bindThreadPool(ThreadPool pool) {
    new JettyServerThreadPoolMetrics(pool, Tags.empty()).bindTo(registry);
  }

  /** The scrape: {@code GET /metrics} under the admin path, in the Prometheus text format. */
  AdminEndpoint endpoint() {
    return (request, response, path) -> {
      if (!path.isEmpty() || !"GET".equals(request.getMethod())) {
        response.sendError(!path.isEmpty() ? 404 : 405);
        return;
      }
      byte[] body = registry.scrape(CONTENT_TYPE).getBytes(StandardCharsets.UTF_8);
      response.setStatus(200);
      response.setContentType(CONTENT_TYPE);
      response.setHeader("Cache-Control", "no-store");
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    };
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
