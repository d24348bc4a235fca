package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.LoadBalancer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@code http} probe found by name, as a configuration file names it, against a real server. */
class HttpProbeProviderTest {

  private HttpServer server;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/healthz", exchange -> {
      exchange.sendResponseHeaders(204, -1);
      exchange.close();
    });
    server.createContext("/ready", exchange -> {
      byte[] body = "status: UP".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /**
   * The provider as ServiceLoader creates it. This module does not use the service itself, so the
   * registration is checked in its descriptor and in META-INF/services (lb-config's tests load it
   * through ServiceLoader end to end).
   */
  private static HealthProbeProvider http() {
    Module module = HttpProbeProvider.class.getModule();
    if (module.isNamed()) {
      assertThat(module.getDescriptor().provides())
          .anySatisfy(p -> {
            assertThat(p.service()).isEqualTo(HealthProbeProvider.class.getName());
            assertThat(p.providers()).contains(HttpProbeProvider.class.getName());
          });
    }
    try (var in = HttpProbeProvider.class.getResourceAsStream(
        "/META-INF/services/" + HealthProbeProvider.class.getName())) {
      assertThat(in).as("META-INF/services registration for the class path").isNotNull();
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).trim())
          .isEqualTo(HttpProbeProvider.class.getName());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    HealthProbeProvider provider = new HttpProbeProvider();
    assertThat(provider.name()).isEqualTo("http");
    return provider;
  }

  private HealthResult check(HealthProbe probe) throws Exception {
    String uri = "http://127.0.0.1:" + server.getAddress().getPort();
    try (LoadBalancer lb = LoadBalancer.builder().pool("p", p -> p.backend(uri)).build()) {
      Backend backend = lb.pool("p").backends().get(0);
      return probe.check(backend, Duration.ofSeconds(5)).toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theProviderIsRegisteredAndItsOptionsShapeTheProbe() throws Exception {
    assertThat(check(http().create(Map.of("path", "/ready", "bodyContains", "UP"))).isHealthy())
        .isTrue();
    assertThat(check(http().create(Map.of("path", "/healthz", "expectStatus", "204"))).isHealthy())
        .isTrue();
    assertThat(check(http().create(Map.of("path", "/healthz", "expectStatus", "200-203")))
            .isHealthy())
        .as("204 is outside 200-203").isFalse();
    assertThat(check(http().create(Map.of("path", "/ready", "bodyContains", "DOWN"))).isHealthy())
        .isFalse();
  }

  @Test
  void probesByTheSameOptionsAreEqualSoAReloadKeepsTheirPool() {
    assertThat(http().create(Map.of("path", "/ready", "expectStatus", "200-299")))
        .isEqualTo(http().create(Map.of("path", "/ready", "expectStatus", "200-299")))
        .hasSameHashCodeAs(http().create(Map.of("path", "/ready", "expectStatus", "200-299")))
        .isNotEqualTo(http().create(Map.of("path", "/ready")))
        .isNotEqualTo(http().create(Map.of("path", "/healthz", "expectStatus", "200-299")));
    assertThat(HttpProbe.builder("/x").method("HEAD").build())
        .isNotEqualTo(HttpProbe.builder("/x").build());
  }

  @Test
  void badOptionsNameTheOptionAndWhatIsAllowed() {
    assertThatThrownBy(() -> http().create(Map.of()))
        .hasMessage("probe 'http' option 'path': missing (expected: an absolute path such as"
            + " /healthz)");
    assertThatThrownBy(() -> http().create(Map.of("path", "/x", "timeout", "1s")))
        .hasMessage("probe 'http' option: 'timeout' (expected one of [bodyContains, expectStatus,"
            + " method, path])");
    assertThatThrownBy(() -> http().create(Map.of("path", "/x", "expectStatus", "2xx")))
        .hasMessage("probe 'http' option 'expectStatus': '2xx' (expected: a status such as 200 or"
            + " a range such as 200-399)");
    assertThatThrownBy(() -> http().create(Map.of("path", "/x", "expectStatus", "300-200")))
        .hasMessageContaining("expectStatus: 300..200");
  }
}
