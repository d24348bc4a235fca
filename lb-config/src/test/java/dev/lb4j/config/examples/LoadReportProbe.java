package dev.lb4j.config.examples;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

// region extend-probe
/**
 * Asks each backend how loaded it is ({@code GET /load} answers a number such as {@code 0.42}) and
 * takes it out of rotation while the answer is at or above {@code max}.
 */
public final class LoadReportProbe implements HealthProbe {

  private final HttpClient client;
  private final String path;
  private final double max;

  public LoadReportProbe(HttpClient client, String path, double max) {
    this.client = client;
    this.path = path;
    this.max = max;
  }

  @Override
  public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
    HttpRequest request =
        HttpRequest.newBuilder(backend.uri().resolve(path)).timeout(timeout).build();
    // Asynchronous: returns at once, no thread waits. A failed stage (connection refused, a body
    // that is not a number) is a failed check with that exception as the reason.
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .thenApply(
            response -> {
              if (response.statusCode() != 200) {
                return HealthResult.unhealthy("status " + response.statusCode());
              }
              double load = Double.parseDouble(response.body().strip());
              return load < max
                  ? HealthResult.healthy()
                  : HealthResult.unhealthy("load " + load + " (max " + max + ")");
            });
  }
}
// endregion
