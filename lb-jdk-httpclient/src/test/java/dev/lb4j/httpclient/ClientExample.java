package dev.lb4j.httpclient;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** The README's client-side example; {@link ClientExampleTest} runs it against real backends. */
final class ClientExample {

  private ClientExample() {}

  /** Fetches user 7 and one page of orders; returns both bodies. */
  static List<String> run(List<String> userBackends, List<String> orderBackends)
      throws IOException, InterruptedException {
    // region client
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("users", pool -> {
                  userBackends.forEach(pool::backend);
                  pool.healthCheck(HealthCheck.of(HttpProbe.of("/healthz")))
                      .outlierDetection(OutlierDetection.defaults());
                })
                .pool("orders", pool -> {
                  orderBackends.forEach(pool::backend);
                  pool.algorithm(Algorithms.peakEwma()); // fewer requests to slow backends
                })
                .build();
        // An HttpClient: pass it wherever one is expected. It sends through the client you give it.
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb)
                .client(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build())
                .retryPolicy(
                    RetryPolicy.builder()
                        .maxAttempts(3) // each on another backend; idempotent methods only
                        .perTryTimeout(Duration.ofSeconds(2))
                        .totalTimeout(Duration.ofSeconds(5))
                        .build())
                .build()) {
      // The host names the pool; path, query, headers and body go to the chosen backend.
      HttpResponse<String> user =
          client.send(
              HttpRequest.newBuilder(URI.create("http://users/users/7")).build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> orders =
          client.send(
              HttpRequest.newBuilder(URI.create("http://orders/orders?user=7&page=1"))
                  .header("Accept", "application/json")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return List.of(user.body(), orders.body());
    }
    // endregion
  }
}
