package dev.lb4j.examples.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, run as a separate process with a configuration file naming three backends
 * that the test starts: balancing, the admin interface, reloading the watched file, and the
 * graceful stop on SIGTERM.
 */
class ProxyServerIT {

  private static final String TOKEN = "it-admin-token-4f9c";
  private static final int ROUNDS = 10;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final TestBackend.Gate gate = new TestBackend.Gate();
  private final List<TestBackend> backends = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @TempDir Path dir;

  @BeforeEach
  void startBackends() throws IOException {
    for (int i = 1; i <= 3; i++) {
      backends.add(TestBackend.start("backend-" + i, gate));
    }
  }

  @AfterEach
  void stopBackends() {
    for (TestBackend b : backends) {
      b.close();
    }
  }

  /** The configuration: the given backends, every port 0 on loopback, the admin token. */
  private String config(List<TestBackend> members) {
    StringBuilder yaml = new StringBuilder("""
        pools:
          api:
            algorithm: round_robin
            backends:
        """);
    for (TestBackend b : members) {
      yaml.append("      - uri: ").append(b.uri()).append('\n')
          .append("        id: ").append(b.name()).append('\n');
    }
    return yaml.append("""
        server:
          port: 0
          bind: 127.0.0.1
          timeout: 40s
          shutdownTimeout: 40s
        admin:
          enabled: true
          token: %s
          port: 0
          bind: 127.0.0.1
        """.formatted(TOKEN)).toString();
  }

  private Path writeConfig() throws IOException {
    Path file = dir.resolve("lb4j.yaml");
    Files.writeString(file, config(backends), StandardCharsets.UTF_8);
    return file;
  }

  private HttpResponse<String> get(URI uri, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(WAIT);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Map<String, Integer> sendRequests(URI traffic, int n) throws Exception {
    Map<String, Integer> served = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> response = get(traffic.resolve("/hello?i=" + i));
      assertThat(response.statusCode()).as("request %d: %s", i, response.body()).isEqualTo(200);
      served.merge(response.body(), 1, Integer::sum);
    }
    return served;
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void balancesRoundRobinAndServesTheAdminInterfaceOnItsOwnPortBehindTheToken() throws Exception {
    try (ProxyProcess proxy = ProxyProcess.start("--config", writeConfig().toString())) {
      URI traffic = proxy.awaitListening("traffic");
      URI admin = proxy.awaitListening("admin");

      assertThat(sendRequests(traffic, 3 * ROUNDS)).as(proxy.transcript())
          .containsExactly(
              entry("backend-1", ROUNDS), entry("backend-2", ROUNDS), entry("backend-3", ROUNDS));

      HttpResponse<String> status =
          get(admin.resolve("/lb-admin/status"), "Authorization", "Bearer " + TOKEN);
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.body())
          .contains("\"backend-1\"", "\"backend-2\"", "\"backend-3\"", "\"round_robin\"");
      assertThat(get(admin.resolve("/lb-admin/status")).statusCode()).isEqualTo(401);
      assertThat(get(admin.resolve("/lb-admin/status"), "Authorization", "Bearer wrong")
          .statusCode()).isEqualTo(401);

      // With a port of its own, the admin interface is not on the traffic port: that path is
      // proxied like any other.
      HttpResponse<String> proxied = get(traffic.resolve("/lb-admin/status"));
      assertThat(proxied.statusCode()).isEqualTo(200);
      assertThat(proxied.body()).startsWith("backend-");
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aChangedConfigurationFileIsAppliedWithoutARestart() throws Exception {
    Path file = writeConfig();
    try (ProxyProcess proxy = ProxyProcess.start("--config", file.toString())) {
      URI traffic = proxy.awaitListening("traffic");
      assertThat(sendRequests(traffic, 3)).containsOnlyKeys("backend-1", "backend-2", "backend-3");

      // Replaced by a rename, as editors and config maps do.
      Path next = dir.resolve("lb4j.yaml.next");
      Files.writeString(next, config(backends.subList(0, 2)), StandardCharsets.UTF_8);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      proxy.awaitOutput(Pattern.compile("configuration applied from " + Pattern.quote(
          file.toAbsolutePath().toString())), WAIT);

      assertThat(sendRequests(traffic, 2 * ROUNDS)).as(proxy.transcript())
          .containsExactly(entry("backend-1", ROUNDS), entry("backend-2", ROUNDS));

      // A file with a problem is refused, and the running configuration stays.
      Files.writeString(next, config(backends).replace("round_robin", "no_such_algorithm"),
          StandardCharsets.UTF_8);
      Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      proxy.awaitOutput(Pattern.compile("rejected, the running one stays"), WAIT);
      assertThat(sendRequests(traffic, 4)).containsOnlyKeys("backend-1", "backend-2");
    }
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void onSigtermItRefusesNewConnectionsFinishesTheRequestInFlightAndExitsWithZero()
      throws Exception {
    try (ProxyProcess proxy = ProxyProcess.start("--config", writeConfig().toString())) {
      URI traffic = proxy.awaitListening("traffic");
      URI admin = proxy.awaitListening("admin");

      CompletableFuture<HttpResponse<String>> slow =
          http.sendAsync(
              HttpRequest.newBuilder(traffic.resolve(TestBackend.SLOW_PATH))
                  .timeout(Duration.ofSeconds(90))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(gate.awaitArrival(WAIT.toSeconds()))
          .as("the slow request reached a backend\n%s", proxy.transcript()).isTrue();

      proxy.terminate();
      proxy.awaitOutput(
          Pattern.compile("shutting down: no new connections; .* for 1 request in flight"), WAIT);
      assertRefused(traffic);
      assertRefused(admin);
      assertThat(slow).as("the request in flight, while its backend holds the answer")
          .isNotDone();

      gate.open();
      HttpResponse<String> response = slow.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(backends.stream().map(b -> TestBackend.slowBody(b.name())))
          .as("the whole body of one backend's answer").contains(response.body());

      assertThat(proxy.awaitExit()).as(proxy.transcript()).isZero();
      assertThat(proxy.stdout()).contains("lb4j proxy stopped").doesNotContain("cut off");
    }
  }

  private static void assertRefused(URI listener) {
    assertThatThrownBy(() -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(listener.getHost(), listener.getPort()), 5_000);
      }
    }).as("a new connection to %s", listener).isInstanceOf(ConnectException.class);
  }
}
