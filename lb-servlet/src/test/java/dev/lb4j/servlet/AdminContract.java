package dev.lb4j.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The admin interface in a real container, through real HTTP, next to the proxy filter: the token,
 * status, runtime changes taking effect on the next proxied request, explain, configuration apply
 * and rollback, problem details; and the {@code web.xml} set-up (the filter from a configuration
 * file, the admin servlet from init parameters). Each container runs it through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("StringConcatToTextBlock") // short YAML documents built from parts
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class AdminContract {

  private static final String TOKEN = "s3cret-Token_0123456789";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Starts the container with the filter, its init parameters and an admin servlet. */
  abstract ProxyContainer start(
      Filter filter, Map<String, String> filterParams, @Nullable HttpServlet admin,
      Map<String, String> adminParams) throws Exception;

  private ProxyTestBackend b1;
  private ProxyTestBackend b2;
  private ProxyTestBackend b3;
  private LoadBalancer lb;
  private ConfigReloader reloader;
  private ProxyContainer container;
  private HttpClient client;
  private String id1;
  private String id2;

  private String config(String... uris) {
    StringBuilder s = new StringBuilder("pools:\n  api:\n    algorithm: weighted_round_robin\n"
        + "    backends:\n");
    for (String u : uris) {
      s.append("      - ").append(u).append('\n');
    }
    return s + "routes:\n  - name: api\n    match:\n      pathPrefix: /api/\n    toPool: api\n"
        + "admin:\n  token: hidden-value-42\n";
  }

  @BeforeAll
  void startAll() throws Exception {
    b1 = new ProxyTestBackend();
    b2 = new ProxyTestBackend();
    b3 = new ProxyTestBackend();
    Lb4jConfig config = Lb4jConfig.loader().text(config(b1.uri(), b2.uri()), "the test").load();
    lb = config.build();
    reloader = ConfigReloader.of(lb, config);
    id1 = lb.pool("api").backends().get(0).id();
    id2 = lb.pool("api").backends().get(1).id();
    container = start(LoadBalancingFilter.builder(lb).reloader(reloader).build(), Map.of(),
        AdminServlet.builder(lb).token(TOKEN).reloader(reloader).build(), Map.of());
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  void stopAll() {
    try {
      container.close();
    } finally {
      reloader.close();
      lb.close();
      b1.close();
      b2.close();
      b3.close();
    }
  }

  @BeforeEach
  void backToTheFirstConfiguration() throws Exception {
    while (reloader.rollback().outcome() == dev.lb4j.config.ReloadEvent.Outcome.ROLLED_BACK) {
      // each test starts from the configuration the class started with
    }
    for (String id : List.of(id1, id2)) {
      lb.admin().undrain("api", id);
      lb.admin().enable("api", id);
      lb.admin().setWeight("api", id, 1);
    }
    lb.pool("api").backends().stream().map(b -> b.id())
        .filter(id -> !id.equals(id1) && !id.equals(id2))
        .forEach(id -> lb.admin().removeBackend("api", id));
  }

  @AfterEach
  void everyLeaseIsReleased() {
    awaitTrue(() -> lb.pool("api").stats().inFlight() == 0, "in-flight counters back to 0");
  }

  // ------------------------------------------------------------------ helpers

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + container.port() + path);
  }

  private HttpResponse<String> admin(String method, String path, @Nullable String body)
      throws Exception {
    return send(method, "/lb-admin" + path, body, "Bearer " + TOKEN);
  }

  private HttpResponse<String> send(
      String method, String path, @Nullable String body, @Nullable String authorization)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }

  /** Sends n proxied requests; the counts each backend received. */
  private int[] proxied(int n) throws Exception {
    int[] before = {b1.requests.get(), b2.requests.get(), b3.requests.get()};
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = send("GET", "/api/echo", null, null);
      assertThat(r.statusCode()).as("proxied request %d: %s", i, r.body()).isEqualTo(200);
    }
    return new int[] {b1.requests.get() - before[0], b2.requests.get() - before[1],
        b3.requests.get() - before[2]};
  }

  private static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("timed out waiting for: " + what).isNegative();
      try {
        Thread.sleep(5); // polling a condition, not waiting for time to pass
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  private static void assertProblem(HttpResponse<String> r, int status, String detailPart) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/problem+json");
    JsonNode p = json(r);
    assertThat(p.get("status").intValue()).isEqualTo(status);
    assertThat(p.get("type").stringValue()).isNotEmpty();
    assertThat(p.get("title").stringValue()).isNotEmpty();
    assertThat(p.get("detail").stringValue()).contains(detailPart);
  }

  // ------------------------------------------------------------------ the token

  @Test
  void withoutTheTokenEveryRequestGetsTheSame401AndChangesNothing() throws Exception {
    List<String> bodies = new ArrayList<>();
    String[][] calls = {
      {"GET", "/lb-admin/status"}, {"GET", "/lb-admin/pools/api"},
      {"GET", "/lb-admin/pools/nope"}, {"GET", "/lb-admin/no-such-thing"},
      {"POST", "/lb-admin/pools/api/backends/" + id1 + "/drain"},
      {"DELETE", "/lb-admin/pools/api/backends/" + id2}, {"POST", "/lb-admin/config/rollback"},
    };
    String[] authorizations = {
      null, "Bearer wrong", "Bearer " + TOKEN + "x", "Bearer " + TOKEN.substring(1), "Basic "
          + java.util.Base64.getEncoder().encodeToString(("admin:" + TOKEN).getBytes(
              StandardCharsets.UTF_8)), TOKEN, "Bearer",
    };
    for (String[] call : calls) {
      for (String authorization : authorizations) {
        HttpResponse<String> r = send(call[0], call[1], null, authorization);
        assertThat(r.statusCode()).as("%s %s with %s", call[0], call[1], authorization)
            .isEqualTo(401);
        assertThat(r.headers().firstValue("WWW-Authenticate")).contains(
            "Bearer realm=\"lb4j-admin\"");
        bodies.add(r.body());
      }
    }
    assertThat(bodies).as("nothing about the resource shows through").containsOnly(bodies.get(0));
    assertThat(bodies.get(0)).doesNotContain("api", id1, TOKEN);
    assertThat(lb.stats().pool("api").backend(id1).status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(lb.pool("api").backends()).hasSize(2);
  }

  // ------------------------------------------------------------------ the dashboard and events

  @Test
  void theDashboardShellIsServedWithoutTheTokenAndHoldsNoData() throws Exception {
    HttpResponse<String> page = send("GET", "/lb-admin/dashboard", null, null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    assertThat(page.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("script-src 'self'", "default-src 'none'", "frame-ancestors 'none'")
        .doesNotContain("unsafe-inline");
    assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
    assertThat(page.headers().firstValue("Cache-Control")).contains("no-cache");
    assertThat(page.body()).contains("dashboard/app.js", "dashboard/app.css")
        .doesNotContain(id1, id2, b1.uri(), "<script>");
    for (String[] asset : new String[][] {
        {"/lb-admin/dashboard/app.js", "text/javascript"},
        {"/lb-admin/dashboard/app.css", "text/css"}}) {
      HttpResponse<String> r = send("GET", asset[0], null, null);
      assertThat(r.statusCode()).as(asset[0]).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith(asset[1]);
      assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
      String etag = r.headers().firstValue("ETag").orElseThrow();
      HttpResponse<String> again = client.send(HttpRequest.newBuilder(uri(asset[0]))
          .header("If-None-Match", etag).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(again.statusCode()).as("revalidated " + asset[0]).isEqualTo(304);
    }
    assertProblem(send("GET", "/lb-admin/dashboard/secrets.json", null, null), 404,
        "no file");
    assertProblem(send("POST", "/lb-admin/dashboard", "{}", null), 405, "GET, HEAD");
    HttpResponse<String> slash = send("GET", "/lb-admin/dashboard/", null, null);
    assertThat(slash.statusCode()).isEqualTo(308);
    assertThat(slash.headers().firstValue("Location")).contains("/lb-admin/dashboard");
    // the data behind it stays behind the token
    assertThat(send("GET", "/lb-admin/events", null, null).statusCode()).isEqualTo(401);
    assertThat(send("GET", "/lb-admin/dashboardx", null, null).statusCode()).isEqualTo(401);
  }

  @Test
  void eventsListTheRecentHealthChangesWithTheirReasonsNewerThanAsked() throws Exception {
    JsonNode before = json(admin("GET", "/events", null));
    long last = before.get("last").longValue();
    assertThat(before.get("capacity").intValue()).isEqualTo(AdminEvents.CAPACITY);
    assertThat(admin("POST", "/pools/api/backends/" + id1 + "/drain", null).statusCode())
        .isEqualTo(200);
    HttpResponse<String> r = admin("GET", "/events?after=" + last, null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    JsonNode events = json(r).get("events");
    assertThat(events).hasSize(1);
    JsonNode e = events.get(0);
    assertThat(e.get("seq").longValue()).isEqualTo(last + 1);
    assertThat(e.get("type").stringValue()).isEqualTo("status");
    assertThat(e.get("pool").stringValue()).isEqualTo("api");
    assertThat(e.get("backend").stringValue()).isEqualTo(id1);
    assertThat(e.get("from").stringValue()).isEqualTo("HEALTHY");
    assertThat(e.get("to").stringValue()).isEqualTo("DRAINING");
    assertThat(e.get("reason").stringValue()).isNotBlank();
    assertThat(java.time.Instant.parse(e.get("time").stringValue())).isNotNull();
    assertThat(json(admin("GET", "/events?after=" + (last + 1), null)).get("events")).isEmpty();
    assertProblem(admin("GET", "/events?after=soon", null), 400, "after");
    assertProblem(admin("POST", "/events", "{}"), 405, "GET");
  }

  // ------------------------------------------------------------------ status

  @Test
  void statusShowsPoolsBackendsStatesWeightsAndCounters() throws Exception {
    proxied(4);
    // The client can read the last response a moment before the proxy releases its lease.
    awaitTrue(() -> lb.pool("api").stats().inFlight() == 0, "the last lease released");
    HttpResponse<String> r = admin("GET", "/status", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    JsonNode api = json(r).get("pools").get("api");
    assertThat(api.get("algorithm").stringValue()).isEqualTo("weighted_round_robin");
    assertThat(api.get("inFlight").longValue()).isZero();
    JsonNode backends = api.get("backends");
    assertThat(backends).hasSize(2);
    long picks = 0;
    for (JsonNode b : backends) {
      assertThat(b.get("status").stringValue()).isEqualTo("HEALTHY");
      assertThat(b.get("weight").intValue()).isEqualTo(1);
      assertThat(b.get("reason").isString()).isTrue();
      assertThat(b.get("inFlight").intValue()).isZero();
      picks += b.get("picks").longValue();
    }
    assertThat(picks).isGreaterThanOrEqualTo(4);
    JsonNode one = json(admin("GET", "/pools/api/backends/" + id1, null));
    assertThat(one.get("id").stringValue()).isEqualTo(id1);
    assertThat(one.get("uri").stringValue()).isEqualTo(b1.uri());
  }

  @Test
  void unknownPoolsBackendsAndPathsAreProblemDetails() throws Exception {
    assertProblem(admin("GET", "/pools/nope", null), 404, "nope");
    assertProblem(admin("POST", "/pools/api/backends/nope/drain", null), 404, "nope");
    assertProblem(admin("GET", "/no-such-thing", null), 404, "no admin resource");
    HttpResponse<String> r = admin("GET", "/pools/api/backends/" + id1 + "/drain", null);
    assertProblem(r, 405, "GET");
    assertThat(r.headers().firstValue("Allow")).contains("POST");
    assertThat(lb.stats().pool("api").backend(id1).status())
        .as("a GET never changes anything").isEqualTo(BackendStatus.HEALTHY);
    assertProblem(admin("POST", "/explain", "{not json"), 400, "not valid JSON");
  }

  // ------------------------------------------------------------------ runtime changes

  @Test
  void drainAndUndrainTakeEffectOnTheNextRequest() throws Exception {
    HttpResponse<String> r = admin("POST", "/pools/api/backends/" + id1 + "/drain", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("status").stringValue()).isEqualTo("DRAINING");
    assertThat(proxied(6)).containsExactly(0, 6, 0);
    r = admin("POST", "/pools/api/backends/" + id1 + "/undrain", null);
    assertThat(json(r).get("status").stringValue()).isEqualTo("HEALTHY");
    assertThat(proxied(6)).containsExactly(3, 3, 0);
  }

  @Test
  void disableAndEnableTakeEffectOnTheNextRequest() throws Exception {
    HttpResponse<String> r = admin("POST", "/pools/api/backends/" + id2 + "/disable", null);
    assertThat(json(r).get("status").stringValue()).isEqualTo("DISABLED");
    assertThat(json(r).get("reason").stringValue()).isNotEmpty();
    assertThat(proxied(4)).containsExactly(4, 0, 0);
    r = admin("POST", "/pools/api/backends/" + id2 + "/enable", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(proxied(4)).containsExactly(2, 2, 0);
  }

  @Test
  void weightChangesTheSplitAndBadWeightsAreRefusedByName() throws Exception {
    HttpResponse<String> r = admin("PUT", "/pools/api/backends/" + id1 + "/weight",
        "{\"weight\": 3}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("weight").intValue()).isEqualTo(3);
    assertThat(proxied(8)).containsExactly(6, 2, 0);
    assertProblem(admin("PUT", "/pools/api/backends/" + id1 + "/weight", "{\"weight\": 0}"),
        422, "weight");
    assertProblem(admin("PUT", "/pools/api/backends/" + id1 + "/weight", "{\"weight\": \"x\"}"),
        422, "weight");
    assertThat(lb.stats().pool("api").backend(id1).weight()).isEqualTo(3);
  }

  @Test
  void addedBackendsTakeTrafficAndRemovedOnesStop() throws Exception {
    HttpResponse<String> r = admin("POST", "/pools/api/backends",
        "{\"uri\": \"" + b3.uri() + "\", \"id\": \"third\", \"zone\": \"z1\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    assertThat(r.headers().firstValue("Location")).contains("/lb-admin/pools/api/backends/third");
    assertThat(json(r).get("id").stringValue()).isEqualTo("third");
    assertThat(proxied(6)).containsExactly(2, 2, 2);
    assertProblem(admin("POST", "/pools/api/backends", "{\"uri\": \"" + b3.uri()
        + "\", \"id\": \"third\"}"), 409, "third");
    assertProblem(admin("POST", "/pools/api/backends", "{\"uri\": \"ftp://x\"}"), 422, "ftp");
    assertProblem(admin("POST", "/pools/api/backends", "{\"url\": \"http://x\"}"), 422, "url");
    r = admin("DELETE", "/pools/api/backends/third", null);
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(proxied(6)).containsExactly(3, 3, 0);
  }

  // ------------------------------------------------------------------ explain

  @Test
  void explainsADescribedRequestWithoutSendingIt() throws Exception {
    int before = b1.requests.get() + b2.requests.get();
    HttpResponse<String> r = admin("POST", "/explain",
        "{\"method\": \"GET\", \"path\": \"/api/x\", \"headers\": {\"X-A\": [\"1\", \"2\"]},"
            + " \"clientAddress\": \"10.1.2.3\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode e = json(r);
    assertThat(e.get("admitted").booleanValue()).isTrue();
    assertThat(e.get("route").get("pool").stringValue()).isEqualTo("api");
    assertThat(e.get("backend").get("id").stringValue()).isIn(id1, id2);
    assertThat(e.get("trace").size()).isGreaterThan(2);
    assertThat(b1.requests.get() + b2.requests.get()).isEqualTo(before);
    assertThat(lb.pool("api").stats().inFlight()).isZero();
    assertProblem(admin("POST", "/explain", "{\"method\": \"GET\"}"), 422, "path");
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void appliesAConfigurationAndRollsItBack() throws Exception {
    HttpResponse<String> r = admin("POST", "/config", config(b3.uri()));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode applied = json(r);
    assertThat(applied.get("outcome").stringValue()).isEqualTo("APPLIED");
    assertThat(applied.get("diff").toString()).contains("pools.api");
    assertThat(proxied(4)).containsExactly(0, 0, 4);
    assertThat(json(admin("GET", "/config", null)).get("config").toString()).contains(b3.uri());

    r = admin("POST", "/config", config(b3.uri()));
    assertThat(json(r).get("outcome").stringValue()).isEqualTo("UNCHANGED");

    r = admin("POST", "/config/rollback", null);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(json(r).get("outcome").stringValue()).isEqualTo("ROLLED_BACK");
    assertThat(proxied(4)).containsExactly(2, 2, 0);
    assertProblem(admin("POST", "/config/rollback", null), 409, "roll back");
  }

  @Test
  void aConfigurationWithProblemsListsEveryOneAndChangesNothing() throws Exception {
    String bad = "pools:\n  api:\n    algorithm: round_robbin\n    backends:\n"
        + "      - ftp://nowhere\n    maxRequestsPerBackend: -3\n";
    HttpResponse<String> r = admin("POST", "/config", bad);
    assertProblem(r, 422, "problem");
    JsonNode problems = json(r).get("problems");
    assertThat(problems.size()).isGreaterThanOrEqualTo(3);
    List<String> paths = new ArrayList<>();
    for (JsonNode p : problems) {
      paths.add(p.get("path").stringValue());
      assertThat(p.get("found").isString()).isTrue();
      assertThat(p.get("expected").stringValue()).isNotEmpty();
    }
    assertThat(String.join(" ", paths)).contains("algorithm", "backends", "maxRequestsPerBackend");
    assertThat(proxied(4)).containsExactly(2, 2, 0);
  }

  @Test
  void theConfigurationIsShownWithTheTokenMasked() throws Exception {
    HttpResponse<String> r = admin("GET", "/config", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("config").get("admin").toString()).doesNotContain("hidden-value-42");
    assertThat(r.body()).doesNotContain("hidden-value-42");
  }

  // ------------------------------------------------------------------ web.xml set-up

  @Test
  void aFilterFromAConfigFileServesItsAdminPathAndReloadsTheFile(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("lb4j.yaml");
    String admin = "  enabled: true\n  path: /ops\n";
    Files.writeString(file, config(b1.uri()).replace("hidden-value-42", TOKEN) + admin);
    LoadBalancingFilter filter = new LoadBalancingFilter();
    try (ProxyContainer c = start(filter, Map.of(LoadBalancingFilter.CONFIG_PARAM,
        file.toString(), LoadBalancingFilter.TIMEOUT_PARAM, "10s"), null, Map.of())) {
      HttpClient http = client;
      URI base = URI.create("http://127.0.0.1:" + c.port());
      int before = b1.requests.get();
      assertThat(http.send(HttpRequest.newBuilder(base.resolve("/api/echo")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(b1.requests.get()).isEqualTo(before + 1);
      HttpResponse<String> unauthorised = http.send(
          HttpRequest.newBuilder(base.resolve("/ops/status")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(unauthorised.statusCode()).isEqualTo(401);
      HttpResponse<String> status = http.send(HttpRequest.newBuilder(base.resolve("/ops/status"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(status.statusCode()).as(status.body()).isEqualTo(200);
      assertThat(status.body()).contains(b1.uri());

      Files.writeString(file, config(b2.uri()).replace("hidden-value-42", TOKEN) + admin);
      awaitTrue(() -> {
        try {
          return http.send(HttpRequest.newBuilder(base.resolve("/ops/status"))
              .header("Authorization", "Bearer " + TOKEN).build(),
              HttpResponse.BodyHandlers.ofString()).body().contains(b2.uri());
        } catch (IOException | InterruptedException e) {
          throw new AssertionError(e);
        }
      }, "the changed file applied");
      int at2 = b2.requests.get();
      assertThat(http.send(HttpRequest.newBuilder(base.resolve("/api/echo")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(b2.requests.get()).isEqualTo(at2 + 1);
    }
    assertThat(filter.loadBalancer().isClosed()).as("the filter closes what it built").isTrue();
  }

  @Test
  void anAdminServletFromInitParametersUsesTheFiltersLoadBalancer() throws Exception {
    LoadBalancingFilter filter = new LoadBalancingFilter();
    try (ProxyContainer c = start(filter,
        Map.of(LoadBalancingFilter.SUPPLIER_PARAM, TwoBackends.class.getName()),
        new AdminServlet(), Map.of(AdminServlet.TOKEN_PARAM, TOKEN))) {
      URI base = URI.create("http://127.0.0.1:" + c.port());
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
              base.resolve("/lb-admin/pools/supplied"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).get("backends")).hasSize(2);
      r = client.send(HttpRequest.newBuilder(base.resolve("/lb-admin/config"))
          .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
      assertProblem(r, 404, "configuration");
    }
    assertThat(filter.loadBalancer().isClosed()).isTrue();
  }

  @Test
  void badInitParametersFailTheStartNamingTheParameter() {
    String message = startFailure(Map.of());
    assertThat(message).contains(LoadBalancingFilter.CONFIG_PARAM,
        LoadBalancingFilter.SUPPLIER_PARAM);
    message = startFailure(Map.of(LoadBalancingFilter.SUPPLIER_PARAM, "no.such.Supplier"));
    assertThat(message).contains("no.such.Supplier");
    message = startFailure(Map.of(LoadBalancingFilter.SUPPLIER_PARAM, TwoBackends.class.getName(),
        LoadBalancingFilter.TIMEOUT_PARAM, "soon"));
    assertThat(message).contains("timeout", "soon");
  }

  private String startFailure(Map<String, String> params) {
    LoadBalancingFilter filter = new LoadBalancingFilter();
    try {
      filter.init(new TestFilterConfig(params));
    } catch (jakarta.servlet.ServletException e) {
      return String.valueOf(e.getMessage());
    }
    filter.destroy();
    throw new AssertionError("the filter started with " + params);
  }

  /** A supplier a {@code web.xml} names. */
  public static final class TwoBackends implements java.util.function.Supplier<LoadBalancer> {
    @Override
    public LoadBalancer get() {
      return LoadBalancer.builder()
          .pool("supplied", p -> p.backend("http://127.0.0.1:1").backend("http://127.0.0.1:2"))
          .route("supplied", r -> r.pathPrefix("/supplied/").toPool("supplied"))
          .build();
    }
  }
}
