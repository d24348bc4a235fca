package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP probe against a real JDK HTTP server on loopback. */
class HttpProbeTest {

  private HttpServer server;
  private final AtomicInteger status = new AtomicInteger(200);
  private final AtomicReference<String> body = new AtomicReference<>("{\"status\":\"UP\"}");
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private String uri;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI()
              + " " + exchange.getRequestHeaders().getFirst("User-Agent"));
          byte[] bytes = String.valueOf(body.get()).getBytes(StandardCharsets.UTF_8);
          boolean head = exchange.getRequestMethod().equals("HEAD");
          exchange.sendResponseHeaders(status.get(), head ? -1 : bytes.length);
          if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(bytes);
            }
          }
          exchange.close();
        });
    server.start();
    uri = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private HealthResult check(HttpProbe probe) throws Exception {
    try (LoadBalancer lb = LoadBalancer.builder().pool("api", p -> p.backend(uri)).build()) {
      Backend backend = lb.defaultPool().backends().get(0);
      return probe.check(backend, Duration.ofSeconds(5)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void passesOnAnExpectedStatusAndFailsOtherwiseNamingIt() throws Exception {
    HttpProbe probe = HttpProbe.of("/healthz?deep=1");
    assertThat(check(probe).isHealthy()).isTrue();
    assertThat(seen).containsExactly("GET /healthz?deep=1 lb4j-health");

    status.set(503);
    HealthResult down = check(probe);
    assertThat(down.isHealthy()).isFalse();
    assertThat(down.reason())
        .isEqualTo("GET " + uri + "/healthz?deep=1 answered 503 (expected 200..399)");

    status.set(204);
    assertThat(check(HttpProbe.builder("/h").expectStatus(200, 200).build()).reason())
        .isEqualTo("GET " + uri + "/h answered 204 (expected 200..200)");
  }

  @Test
  void checksTheBodyAndUsesHeadWhenAsked() throws Exception {
    HttpProbe up = HttpProbe.builder("/status").bodyContains("\"UP\"").build();
    assertThat(check(up).isHealthy()).isTrue();
    body.set("{\"status\":\"DOWN\"}");
    assertThat(check(up).reason())
        .isEqualTo("GET " + uri + "/status answered 200 without '\"UP\"' in the body");

    assertThat(check(HttpProbe.builder("/ping").method("head").build()).isHealthy()).isTrue();
    assertThat(seen).last().isEqualTo("HEAD /ping lb4j-health");
  }

  @Test
  void aClosedPortIsUnhealthyWithTheError() throws Exception {
    server.stop(0);
    HealthResult refused = check(HttpProbe.of("/healthz"));
    assertThat(refused.isHealthy()).isFalse();
    assertThat(refused.reason()).startsWith("request to " + uri + "/healthz failed: ");
  }

  @Test
  void marksABackendUnhealthyWhenItsHealthPathFailsAndHealthyWhenItRecovers() throws Exception {
    BlockingQueue<HealthEvent.StatusChanged> changes = new LinkedBlockingQueue<>();
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .healthListener(
                e -> {
                  if (e instanceof HealthEvent.StatusChanged c) {
                    changes.add(c);
                  }
                })
            .pool(
                "api",
                p -> p.backend(uri)
                    .backend("http://127.0.0.1:1") // never healthy: keeps the pool out of panic
                    .panicThreshold(0)
                    .healthCheck(
                        HealthCheck.builder(HttpProbe.of("/healthz"))
                            // Real time: a 500 turns into a timeout (and the reason asserted
                            // below into another) only if a loopback probe takes over a second.
                            .interval(Duration.ofSeconds(1))
                            .timeout(Duration.ofSeconds(1))
                            .unhealthyThreshold(2)
                            .healthyThreshold(2)
                            .build()))
            .build()) {
      String id = lb.defaultPool().backends().get(0).id();
      status.set(500);
      HealthEvent.StatusChanged down = next(changes, id);
      assertThat(down.to()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(down.reason())
          .isEqualTo("2 consecutive probes failed; last: GET " + uri
              + "/healthz answered 500 (expected 200..399)");

      status.set(200);
      HealthEvent.StatusChanged up = next(changes, id);
      assertThat(up.to()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(up.reason()).isEqualTo("2 consecutive probes passed");
    }
  }

  /** The next state change of backend {@code id}, waiting (bounded) for the probe's verdict. */
  private static HealthEvent.StatusChanged next(BlockingQueue<HealthEvent.StatusChanged> q, String id)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      HealthEvent.StatusChanged c = q.poll(1, TimeUnit.SECONDS);
      if (c != null && c.backendId().equals(id)) {
        return c;
      }
    }
    throw new AssertionError("no state change of " + id + " within 30 s");
  }

  @Test
  void badSettingsNameTheField() {
    assertThatThrownBy(() -> HttpProbe.of("healthz"))
        .hasMessage(
            "healthCheck.http.path: 'healthz' (expected: an absolute path such as /healthz,"
                + " optionally with a query; no spaces, fragment or authority)");
    assertThatThrownBy(() -> HttpProbe.of("//evil.example/x")).hasMessageStartingWith("healthCheck.http.path");
    assertThatThrownBy(() -> HttpProbe.builder("/h").method("POST"))
        .hasMessage("healthCheck.http.method: 'POST' (expected: GET or HEAD)");
    assertThatThrownBy(() -> HttpProbe.builder("/h").expectStatus(300, 200))
        .hasMessage("healthCheck.http.expectStatus: 300..200 (expected: a range within 100..599, low to high)");
    assertThatThrownBy(() -> HttpProbe.builder("/h").method("HEAD").bodyContains("UP").build())
        .hasMessage(
            "healthCheck.http.bodyContains: 'UP' with method HEAD (expected: GET, since HEAD"
                + " responses have no body)");
  }
}
