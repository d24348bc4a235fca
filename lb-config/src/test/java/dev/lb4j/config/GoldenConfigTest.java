package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.health.TcpProbe;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.policy.RateLimit;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The example files load into load balancers equivalent to the same set-up written with the builder:
 * the same pools, backends, weights, zones and algorithms; the same route, policy decision and
 * backend for every request of a probe set; the same selection sequence. Both run on a scheduler
 * that never fires, so the examples' health probes never leave the machine.
 */
class GoldenConfigTest {

  private static final Scheduler IDLE = (task, delay) -> () -> {};
  private final List<LoadBalancer> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(LoadBalancer::close);
  }

  private LoadBalancer open(LoadBalancerBuilder builder) {
    LoadBalancer lb = builder.scheduler(IDLE).build();
    opened.add(lb);
    return lb;
  }

  private static Lb4jConfig example(String name) {
    return Lb4jConfig.loader()
        .file(Path.of("examples", name))
        .environment(Map.of())
        .load();
  }

  @Test
  void theMinimalExampleIsOnePoolOfTwoBackendsWithTheDefaultAlgorithm() {
    LoadBalancer fromFile = open(example("minimal.yaml").newBuilder());
    LoadBalancer fromCode = open(LoadBalancer.builder().pool("web", p -> p
        .backend("http://127.0.0.1:8081")
        .backend("http://127.0.0.1:8082")));
    assertEquivalent(fromFile, fromCode, List.of(RequestView.of("GET", "/")));
  }

  @Test
  void theFullExampleIsTheSameLoadBalancerAsItsBuilderSetUp() {
    Lb4jConfig config = example("full.yaml");
    LoadBalancer fromFile = open(config.newBuilder());
    LoadBalancer fromCode = open(fullByHand());
    List<RequestView> probes = new ArrayList<>();
    for (String client : List.of("10.1.2.3", "127.0.0.1", "192.168.0.1")) {
      for (String path : List.of("/", "/login", "/login/x", "/v2/items", "/v2", "/other")) {
        for (String method : List.of("GET", "POST")) {
          probes.add(RequestView.builder().method(method).path(path).clientAddress(client)
              .header("X-Beta", "1").header("X-User", "u-" + path.length())
              .header("Cookie", "SESSION=s" + client.hashCode()).build());
          probes.add(RequestView.builder().method(method).path(path).clientAddress(client).build());
        }
      }
    }
    assertEquivalent(fromFile, fromCode, probes);
    // the login route's rate limit: a burst of 20 per client address, then 10/s. The loop takes
    // milliseconds; the bound allows it almost 2 s of refill, and still tells a burst of 20 from
    // the default (10, the rate) or any other
    RequestView login = RequestView.builder().method("POST").path("/login").clientAddress("10.9.9.9")
        .build();
    assertThat(admitted(fromFile, login, 60)).isBetween(20, 39);
    assertThat(admitted(fromCode, login, 60)).isBetween(20, 39);
    assertThat(config.admin()).isEqualTo(new AdminSettings(true, "/lb-admin", "change-me", null, "127.0.0.1"));
    assertThat(config.admin().toString()).doesNotContain("change-me");
  }

  private static LoadBalancerBuilder fullByHand() {
    HeaderTransform requestId = HeaderTransform.builder("request-id")
        .requestId("X-Request-Id").setResponseHeader("X-Served-By", "lb4j").build();
    AccessControl officeOnly =
        AccessControl.builder("office-only").allow("10.0.0.0/8", "127.0.0.1/32").build();
    RateLimit loginLimit = RateLimit.builder("login-limit").rate(10, Duration.ofSeconds(1))
        .burst(20).perKey(HashKey.clientAddress()).build();
    return LoadBalancer.builder()
        .defaultPool("api")
        .latencyDecay(Duration.ofSeconds(10))
        .pool("api", p -> p
            .algorithm(Algorithms.leastRequest())
            .backend(BackendSpec.builder("http://10.0.0.1:8080").weight(3).zone("eu-west-1a").build())
            .backend(BackendSpec.builder("http://10.0.0.2:8080").zone("eu-west-1b").build())
            .backend("http://10.0.0.3:8080")
            .healthCheck(HealthCheck.builder(TcpProbe.create()).interval(Duration.ofSeconds(5))
                .timeout(Duration.ofSeconds(1)).jitter(0.1).unhealthyThreshold(3)
                .healthyThreshold(2).initialState(HealthCheck.InitialState.ASSUME_HEALTHY).build())
            .outlierDetection(OutlierDetection.builder().consecutiveFailures(5)
                .baseEjectionTime(Duration.ofSeconds(30)).maxEjectionTime(Duration.ofMinutes(5))
                .maxEjectionPercent(34).build())
            .slowStart(SlowStart.linear(Duration.ofSeconds(30)))
            .panicThreshold(50)
            .maxRequestsPerBackend(200))
        .pool("sessions", p -> p
            .algorithm(Algorithms.ringHash(1024, Algorithms.DEFAULT_MAX_RING_SIZE))
            .hashKey(HashKey.cookie("SESSION"))
            .backend("http://10.0.1.1:8080")
            .backend("http://10.0.1.2:8080"))
        .pool("canary", p -> p
            .backend(BackendSpec.builder("http://10.0.2.1:8080").id("canary-1").build()))
        .route("login", r -> r.pathPrefix("/login").toPool("sessions").policy(loginLimit))
        .route("v2", r -> r.pathPrefix("/v2").methods("GET", "HEAD").headerPresent("X-Beta")
            .split("api", 90).split("canary", 10).sticky(HashKey.header("X-User")).stripPrefix())
        .policy(requestId)
        .policy(officeOnly);
  }

  /** Same pools and backends, same explanation and same selection for every probe request. */
  private static void assertEquivalent(LoadBalancer a, LoadBalancer b, List<RequestView> probes) {
    assertThat(a.poolNames()).containsExactlyElementsOf(b.poolNames());
    for (String pool : a.poolNames()) {
      PoolStats x = a.stats().pool(pool);
      PoolStats y = b.stats().pool(pool);
      assertThat(x.algorithm()).as("pool %s's algorithm", pool).isEqualTo(y.algorithm());
      assertThat(shape(x)).as("pool %s's backends", pool).isEqualTo(shape(y));
    }
    for (RequestView r : probes) {
      assertThat(comparable(a.explain(r).lines())).as("explain %s", r)
          .isEqualTo(comparable(b.explain(r).lines()));
    }
    for (RequestView r : probes) {
      Selection x = a.select(r);
      Selection y = b.select(r);
      assertThat(describe(x, r)).as("select %s", r).isEqualTo(describe(y, r));
      release(x);
      release(y);
    }
  }

  private static int admitted(LoadBalancer lb, RequestView request, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts; i++) {
      Selection s = lb.select(request);
      if (s instanceof Lease lease) {
        admitted++;
        lease.complete(200);
      }
    }
    return admitted;
  }

  private static List<String> shape(PoolStats pool) {
    List<String> out = new ArrayList<>();
    for (BackendStats s : pool.backends()) {
      out.add(s.id() + " " + s.uri() + " w" + s.weight() + " z" + s.zone() + " " + s.status());
    }
    return out;
  }

  /**
   * Explain lines without what is random by design: the generated request id and the pick of an
   * algorithm that starts at a random offset or samples. Hashing picks stay (they are deterministic).
   */
  private static List<String> comparable(List<String> lines) {
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      if (line.startsWith("the algorithm picks") && !line.contains("hash")) {
        continue;
      }
      out.add(line.replaceAll("[0-9a-f]{32}", "<request id>"));
    }
    return out;
  }

  /**
   * The route a selection went to, and the backend where the choice is by hash: the sessions pool
   * (ring hash by cookie) for a request with the cookie. Other picks are random by design.
   */
  private static String describe(Selection s, RequestView r) {
    if (!(s instanceof Lease lease)) {
      return s.toString();
    }
    String id = lease.backend().id();
    boolean hashed = id.startsWith("10.0.1.") && r.header("Cookie") != null;
    return "lease via " + lease.route() + (hashed ? " on " + id : "");
  }

  private static void release(Selection s) {
    if (s instanceof Lease lease) {
      lease.complete(200);
    }
  }
}
