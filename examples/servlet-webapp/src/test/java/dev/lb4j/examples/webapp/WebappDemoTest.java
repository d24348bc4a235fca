package dev.lb4j.examples.webapp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Deploys the example web application in-process, as {@code WebappDemo.main} does but on a port
 * the system chooses, and checks what its {@code web.xml} promises: the filter proxies the routed
 * path round robin over the backends, the application's own servlet and unrouted paths stay the
 * application's, the admin servlet wants its token, the watched configuration file reconfigures
 * the running filter, and stopping the demo closes every port.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WebappDemoTest {

  /** Bounds every wait on something that happens in another thread (a reload, a thread's end). */
  private static final Duration WAIT = Duration.ofSeconds(10);

  /**
   * Threads a stopped demo may leave: the JDK HTTP clients' (the test's own, and the filter's,
   * which cannot be closed on Java 17): the selector thread ends once its client is collected,
   * the workers of its default executor when they have been idle for a minute.
   */
  private static final Pattern JDK_CLIENT_THREADS =
      Pattern.compile("HttpClient-\\d+-(SelectorManager|Worker-\\d+)");

  private WebappDemo demo;
  private HttpClient client;

  @BeforeAll
  void deploy() throws Exception {
    demo = WebappDemo.start(0);
    client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(WAIT)
        .proxy(HttpClient.Builder.NO_PROXY)
        .build();
  }

  @AfterAll
  void undeploy() {
    demo.close();
  }

  // ------------------------------------------------------------------ helpers

  private HttpResponse<String> get(WebappDemo d, String path, @Nullable String token)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(d.uri() + path)).timeout(WAIT);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static int[] served(WebappDemo d) {
    return d.backends().stream().mapToInt(DemoBackend::served).toArray();
  }

  private static String adminToken() {
    String token = System.getenv(WebappDemo.TOKEN_ENV);
    assertThat(token)
        .as("%s, which the admin servlet reads (set for the tests in pom.xml)",
            WebappDemo.TOKEN_ENV)
        .isNotBlank();
    return token;
  }

  private static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("timed out waiting for: %s", what).isNegative();
      try {
        Thread.sleep(10); // polling a condition, not waiting for time to pass
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  /** Replaces the file in one step (a rename, as editors save), so no reader sees it half written. */
  private static void replace(Path file, String text) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".next");
    Files.writeString(next, text);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  // ------------------------------------------------------------------ the proxied path

  @Test
  void requestsUnderTheApiPathReachTheBackendsRoundRobin() throws Exception {
    int[] before = served(demo);
    List<String> answeredBy = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = get(demo, "/api/orders/" + i, null);
      assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
      assertThat(r.body()).as("request %d", i)
          .matches("backend-[abc] answered GET /api/orders/" + i + " for 127\\.0\\.0\\.1\\n");
      answeredBy.add(r.body().substring(0, "backend-a".length()));
    }
    int[] after = served(demo);
    for (int b = 0; b < after.length; b++) {
      assertThat(after[b] - before[b]).as("requests %s served, in order %s",
          WebappDemo.BACKENDS.get(b), answeredBy).isEqualTo(2);
    }
    // round robin: the same order twice, each backend once in every three requests
    assertThat(answeredBy.subList(0, 3)).as(answeredBy.toString())
        .containsExactlyInAnyOrderElementsOf(WebappDemo.BACKENDS)
        .containsExactlyElementsOf(answeredBy.subList(3, 6));
  }

  // ------------------------------------------------------------------ the application's own paths

  @Test
  void theApplicationsOwnServletStillAnswersItsPath() throws Exception {
    int[] before = served(demo);
    HttpResponse<String> r = get(demo, "/hello", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(HelloServlet.GREETING + " (GET /hello)\n");
    assertThat(r.headers().firstValue("X-Lb4j-Error")).isEmpty();
    assertThat(served(demo)).as("requests the backends served").containsExactly(before);
  }

  @Test
  void theApplicationsStaticPageIsServedByTheContainer() throws Exception {
    int[] before = served(demo);
    HttpResponse<String> r = get(demo, "/", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("text/html"));
    assertThat(r.body()).contains("a static file of the application");
    assertThat(served(demo)).as("requests the backends served").containsExactly(before);
  }

  @Test
  void aPathNoRouteMatchesIsLeftToTheApplication() throws Exception {
    int[] before = served(demo);
    HttpResponse<String> r = get(demo, "/apix/orders", null); // the route is /api/
    assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
    assertThat(r.headers().firstValue("X-Lb4j-Error")).isEmpty();
    assertThat(served(demo)).as("requests the backends served").containsExactly(before);
  }

  // ------------------------------------------------------------------ the admin servlet

  @Test
  void theAdminServletAnswers401WithoutTheTokenAnd200WithIt() throws Exception {
    HttpResponse<String> without = get(demo, "/lb-admin/status", null);
    assertThat(without.statusCode()).as(without.body()).isEqualTo(401);
    assertThat(without.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
        v -> assertThat(v).startsWith("Bearer"));
    assertThat(without.body()).doesNotContain("backend-a");

    HttpResponse<String> wrong = get(demo, "/lb-admin/status", adminToken() + "x");
    assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(401);

    HttpResponse<String> with = get(demo, "/lb-admin/status", adminToken());
    assertThat(with.statusCode()).as(with.body()).isEqualTo(200);
    assertThat(with.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/json"));
    assertThat(with.body()).contains("\"api\"", "backend-a", "backend-b", "backend-c");
  }

  @Test
  void theFilterRunsFromTheFileTheOverrideDescriptorNames() throws Exception {
    HttpResponse<String> r = get(demo, "/lb-admin/config", adminToken());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains(
        demo.configFile().toString().replace("\\", "\\\\"), "round_robin", "/api/");
  }

  // ------------------------------------------------------------------ a demo of its own each

  @Test
  void savingTheConfigurationFileReconfiguresTheRunningFilter() throws Exception {
    try (WebappDemo d = WebappDemo.start(0)) {
      DemoBackend removed = d.backends().get(2);
      List<DemoBackend> kept = d.backends().subList(0, 2);
      replace(d.configFile(), WebappDemo.configuration(kept));
      awaitTrue(() -> {
        try {
          return get(d, "/lb-admin/pools/api/backends/" + removed.name(), adminToken())
              .statusCode() == 404;
        } catch (IOException | InterruptedException e) {
          throw new AssertionError(e);
        }
      }, removed.name() + " gone from the pool after the file was saved");
      int before = removed.served();
      Map<String, Integer> answeredBy = new TreeMap<>();
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = get(d, "/api/orders", null);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        answeredBy.merge(r.body().substring(0, "backend-a".length()), 1, Integer::sum);
      }
      assertThat(answeredBy).isEqualTo(Map.of("backend-a", 2, "backend-b", 2));
      assertThat(removed.served()).isEqualTo(before);
    }
  }

  @Test
  void closingStopsTheApplicationAndEveryBackendAndClosesTheirPorts() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    WebappDemo d = WebappDemo.start(0);
    assertThat(get(d, "/api/orders", null).statusCode()).isEqualTo(200);
    List<InetSocketAddress> addresses = new ArrayList<>();
    addresses.add(d.address());
    d.backends().forEach(b -> addresses.add(b.address()));
    Path directory = d.configFile().getParent();

    d.close();
    d.close(); // idempotent

    for (InetSocketAddress address : addresses) {
      assertThatThrownBy(() -> {
        try (Socket socket = new Socket()) {
          socket.connect(address, 1_000);
        }
      }).as("connecting to %s after close", address).isInstanceOf(ConnectException.class);
    }
    assertThat(directory).as("the run's temporary directory").doesNotExist();
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> alive = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (before.contains(t) || JDK_CLIENT_THREADS.matcher(t.getName()).matches()) {
        continue;
      }
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        alive.add(t.getName());
      }
    }
    assertThat(alive).as("threads the demo left running").isEmpty();
  }
}
