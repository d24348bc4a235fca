package dev.lb4j.config.examples;

import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthCheck;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The README's "Extending lb4j" set-ups: the four example plugins wired in with the builder, and by
 * name from a configuration file. {@link ExtendingExampleTest} runs both.
 */
final class ExtendingExample {

  private ExtendingExample() {}

  static LoadBalancer programmatic(
      List<String> shard0, List<String> shard1, HttpClient client, Duration interval) {
    // region extend-builder
    HealthCheck loadReports =
        HealthCheck.builder(new LoadReportProbe(client, "/load", 0.9))
            .interval(interval)
            .timeout(interval.dividedBy(2))
            .build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "shard-0",
                pool ->
                    pool.backend(BackendSpec.builder(shard0.get(0)).zone("eu-west-1a").build())
                        .backend(BackendSpec.builder(shard0.get(1)).zone("eu-west-1b").build())
                        .algorithm(new ZoneFirst("eu-west-1a"))
                        .healthCheck(loadReports))
            .pool(
                "shard-1",
                pool ->
                    pool.backend(BackendSpec.builder(shard1.get(0)).zone("eu-west-1a").build())
                        .backend(BackendSpec.builder(shard1.get(1)).zone("eu-west-1b").build())
                        .algorithm(new ZoneFirst("eu-west-1a"))
                        .healthCheck(loadReports))
            .rule(new TenantShardRule(2)) // no X-Tenant: NoBackend (NO_ROUTE), no default pool
            .policy(new ApiKeyPolicy("api-key", Map.of("k-123", "acme")))
            .build();
    // endregion
    return lb;
  }

  static LoadBalancer byName(Path file, String... args) {
    // region extend-config
    LoadBalancer lb =
        Lb4jConfig.loader()
            .file(file) // pools with zone_first and load_report, the api_key policy
            .args(args)
            .load()
            .newBuilder()
            .rule(new TenantShardRule(2)) // rules have no provider: add them in code
            .build();
    // endregion
    return lb;
  }
}
