package dev.lb4j.config.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Extending lb4j" examples do what the README says: the zone-first algorithm, the
 * load-report probe against real loopback backends, the tenant-shard rule and the API-key policy,
 * wired in with the builder and by provider name from the README's own configuration file. Runs in
 * the class-path execution (see the pom), where {@code META-INF/services} registers the providers.
 */
class ExtendingExampleTest {

  private static final Duration INTERVAL = Duration.ofMillis(200);
  private static final Duration PATIENCE = Duration.ofSeconds(10);

  /** What each backend's {@code /load} answers, by its URI. */
  private final Map<String, String> loads = new ConcurrentHashMap<>();

  private final List<HttpServer> servers = new ArrayList<>();
  private final List<String> shard0 = new ArrayList<>();
  private final List<String> shard1 = new ArrayList<>();
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void startBackends() throws IOException {
    System.setProperty("sun.net.httpserver.nodelay", "true");
    for (int i = 0; i < 4; i++) {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      String uri = "http://127.0.0.1:" + server.getAddress().getPort();
      loads.put(uri, "0.10");
      server.createContext(
          "/load",
          exchange -> {
            byte[] body = loads.get(uri).getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          });
      server.start();
      servers.add(server);
      (i < 2 ? shard0 : shard1).add(uri);
    }
  }

  @AfterEach
  void stopBackends() {
    servers.forEach(s -> s.stop(0));
  }

  private static RequestView request(String tenant, String apiKey) {
    return RequestView.builder()
        .path("/api/orders")
        .header("X-Tenant", tenant)
        .header("X-Api-Key", apiKey)
        .build();
  }

  @Test
  void theExamplePluginsRouteAdmitPickAndProbeWhenWiredInWithTheBuilder() {
    try (LoadBalancer lb = ExtendingExample.programmatic(shard0, shard1, client, INTERVAL)) {
      assertBehaves(lb);
    }
  }

  @Test
  void theExamplePluginsWorkByNameFromTheReadmesConfigurationFile(@TempDir Path dir)
      throws IOException {
    String yaml = readmeBlock("extend-config-file", "yaml");
    // The README's backends are 10.0.0.1-4:8080; these tests' are on loopback.
    List<String> uris = List.of(shard0.get(0), shard0.get(1), shard1.get(0), shard1.get(1));
    for (int i = 0; i < 4; i++) {
      String readmeUri = "http://10.0.0." + (i + 1) + ":8080";
      assertThat(yaml).contains(readmeUri);
      yaml = yaml.replace(readmeUri, uris.get(i));
    }
    Path file = Files.writeString(dir.resolve("lb4j.yaml"), yaml);

    List<String> faster = new ArrayList<>();
    for (String pool : List.of("shard-0", "shard-1")) {
      faster.addAll(
          List.of(
              "--set", "pools." + pool + ".healthCheck.interval=" + INTERVAL.toMillis() + "ms",
              "--set", "pools." + pool + ".healthCheck.timeout=" + INTERVAL.toMillis() / 2 + "ms"));
    }
    try (LoadBalancer lb = ExtendingExample.byName(file, faster.toArray(new String[0]))) {
      assertThat(lb.stats().pool("shard-0").algorithm()).isEqualTo("zone_first");
      assertBehaves(lb);
    }
  }

  @Test
  void theExampleProvidersRefuseBadOptionsNamingThem() {
    assertThatThrownBy(() -> Algorithms.byName("zone_first", Map.of("zones", "a")))
        .hasMessage("algorithm 'zone_first' option: 'zones' (expected one of [zone])");
    assertThatThrownBy(() -> new LoadReportProbeProvider().create(Map.of("max", "high")))
        .hasMessage("probe 'load_report' option 'max': 'high' (expected: a number)");
    assertThatThrownBy(() -> new ApiKeyPolicyProvider().create("p", Map.of("keys", "k-1")))
        .hasMessage(
            "policy 'api_key' option 'keys': 'k-1' (expected: key=client, comma-separated)");
  }

  /** Both set-ups build the same load balancer; this is what it does. */
  private void assertBehaves(LoadBalancer lb) {
    String a0 = shard0.get(0); // eu-west-1a
    String b0 = shard0.get(1); // eu-west-1b
    String id0 = id(a0);

    // The policy: no key or an unknown one is answered 401 before routing or picking.
    assertThat(lb.select(request("acme", "wrong")))
        .isInstanceOfSatisfying(
            Rejected.class,
            r -> {
              assertThat(r.status()).isEqualTo(401);
              assertThat(r.responseHeaders().changes())
                  .containsExactly(
                      new HeaderChanges.Change(HeaderChanges.Op.SET, "www-authenticate", "ApiKey"));
            });

    // The rule: tenant acme is on shard-0, globex on shard-1, both with /api/ stripped; a request
    // without a tenant matches no rule, and there is no default pool.
    try (Lease lease = lb.select(request("acme", "k-123")).leaseOrThrow()) {
      assertThat(lease.route()).isNotNull();
      assertThat(lease.route().pool()).isEqualTo("shard-0");
      assertThat(lease.route().rewrite("/api/orders")).isEqualTo("/orders");
      // The policy's edit: the key goes, the client's name comes.
      assertThat(lease.requestHeaders().changes())
          .containsExactly(
              new HeaderChanges.Change(HeaderChanges.Op.REMOVE, "x-api-key", ""),
              new HeaderChanges.Change(HeaderChanges.Op.SET, "x-client", "acme"));
    }
    try (Lease lease = lb.select(request("globex", "k-123")).leaseOrThrow()) {
      assertThat(lease.route().pool()).isEqualTo("shard-1");
      assertThat(lease.backend().uri().toString()).isIn(shard1);
    }
    assertThat(
            lb.select(RequestView.builder().path("/api/x").header("X-Api-Key", "k-123").build()))
        .isInstanceOfSatisfying(
            NoBackend.class, n -> assertThat(n.reason()).isEqualTo(NoBackend.Reason.NO_ROUTE));

    // The algorithm: always the local zone while it is there; the other zone on a retry.
    for (int i = 0; i < 10; i++) {
      try (Lease lease = lb.select(request("acme", "k-123")).leaseOrThrow()) {
        assertThat(lease.backend().id()).as("pick %d", i).isEqualTo(id0);
        try (Lease retry =
            lb.select(request("acme", "k-123"), List.of(lease.backend())).leaseOrThrow()) {
          assertThat(retry.backend().id()).isEqualTo(id(b0));
        }
      }
    }

    // The probe: a backend that reports load at or above 0.9 is taken out, and comes back.
    BlockingQueue<HealthEvent.StatusChanged> changes = new LinkedBlockingQueue<>();
    lb.addHealthListener(
        event -> {
          if (event instanceof HealthEvent.StatusChanged change) {
            changes.add(change);
          }
        });
    loads.put(a0, "0.95");
    awaitStatus(changes, id0, BackendStatus.UNHEALTHY);
    assertThat(lb.stats().pool("shard-0").backend(id0).statusReason())
        .contains("load 0.95 (max 0.9)");
    try (Lease lease = lb.select(request("acme", "k-123")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo(id(b0));
    }
    loads.put(a0, "0.20");
    awaitStatus(changes, id0, BackendStatus.HEALTHY);
    try (Lease lease = lb.select(request("acme", "k-123")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo(id0);
    }
  }

  private static String id(String uri) {
    return uri.substring("http://".length());
  }

  /** Waits for the backend's next status change, which must be to {@code expected}. */
  private static void awaitStatus(
      BlockingQueue<HealthEvent.StatusChanged> changes, String id, BackendStatus expected) {
    HealthEvent.StatusChanged change;
    try {
      change = changes.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    assertThat(change).as("a status change of %s within %s", id, PATIENCE).isNotNull();
    assertThat(change.backendId()).isEqualTo(id);
    assertThat(change.to()).as(change.toString()).isEqualTo(expected);
  }

  /** The README block after {@code <!-- name -->}, in a fence of the given language. */
  static String readmeBlock(String name, String language) throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("README.md")) && root.getParent() != null) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    Matcher block =
        Pattern.compile(
                "<!-- " + Pattern.quote(name) + " -->\n```" + language + "\n(.*?)```",
                Pattern.DOTALL)
            .matcher(readme);
    assertThat(block.find()).as("README block '%s'", name).isTrue();
    return block.group(1);
  }
}
