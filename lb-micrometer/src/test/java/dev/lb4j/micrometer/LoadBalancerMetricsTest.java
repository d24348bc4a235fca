package dev.lb4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.RateLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every meter, with its tags and exact values, after a scripted sequence on a real engine. */
class LoadBalancerMetricsTest {

  private final ManualTicker clock = new ManualTicker();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RateLimit perClient =
      RateLimit.builder("per-client")
          .rate(10, Duration.ofSeconds(1))
          .perKey(dev.lb4j.core.HashKey.header("X-Client"))
          .maxKeys(64)
          .ticker(clock)
          .build();
  private final LoadBalancerMetrics metrics =
      LoadBalancerMetrics.builder().statsMaxAge(Duration.ZERO).rateLimits(perClient).build();
  private final LoadBalancer lb =
      LoadBalancer.builder()
          .ticker(clock)
          .scheduler(clock)
          .observer(metrics)
          .pool(
              "api",
              p ->
                  p.algorithm(Algorithms.weightedRoundRobin())
                      .backend(BackendSpec.builder("http://127.0.0.1:20001").id("a").build())
                      .backend(BackendSpec.builder("http://127.0.0.1:20002").id("b").build())
                      .backend(BackendSpec.builder("http://127.0.0.1:20003").id("c").build())
                      .outlierDetection(
                          OutlierDetection.builder()
                              .consecutiveFailures(2)
                              .maxEjectionPercent(100)
                              .build()))
          .pool("other", p -> p.backend(BackendSpec.builder("http://127.0.0.1:20009").id("o").build()))
          .route("users", r -> r.pathPrefix("/users/").toPool("api"))
          .route("limited", r -> r.pathPrefix("/limited/").policy(perClient).toPool("api"))
          .route(
              "blocked",
              r ->
                  r.pathPrefix("/admin/")
                      .policy(AccessControl.builder("no-one").allow("192.0.2.0/24").build())
                      .toPool("api"))
          .route("other", r -> r.pathPrefix("/other/").toPool("other"))
          .build();

  @AfterEach
  void close() {
    lb.close();
  }

  private Backend backend(String id) {
    for (Backend b : lb.pool("api").backends()) {
      if (b.id().equals(id)) {
        return b;
      }
    }
    throw new AssertionError(id);
  }

  /** A lease on one backend of pool api, through route users (the others excluded). */
  private Lease leaseOn(String id) {
    List<Backend> others = new ArrayList<>(lb.pool("api").backends());
    others.remove(backend(id));
    Lease lease = lb.select(RequestView.of("GET", "/users/1"), others).leaseOrThrow();
    assertThat(lease.backend().id()).isEqualTo(id);
    return lease;
  }

  private void request(String id, int status, long millis) {
    Lease lease = leaseOn(id);
    clock.advance(Duration.ofMillis(millis));
    lease.complete(status);
  }

  private Timer timer(String backend, String outcome, String status) {
    return registry
        .get(LoadBalancerMetrics.REQUESTS)
        .tags("pool", "api", "backend", backend, "route", "users")
        .tags("outcome", outcome, "status", status)
        .timer();
  }

  private double gauge(String name, String... tags) {
    return registry.get(name).tags(tags).gauge().value();
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).counter().count();
  }

  /** name{tag=value,...} of every meter, sorted, for the assertions on what exists. */
  private List<String> meterIds() {
    Map<String, Meter> sorted = new TreeMap<>();
    for (Meter m : registry.getMeters()) {
      StringBuilder id = new StringBuilder(m.getId().getName()).append('{');
      for (Tag t : m.getId().getTagsAsIterable()) {
        id.append(t.getKey()).append('=').append(t.getValue()).append(',');
      }
      sorted.put(id.append('}').toString(), m);
    }
    return List.copyOf(sorted.keySet());
  }

  @Test
  void everyMeterHasItsTagsAndExactValuesAfterAScriptedSequence() {
    metrics.monitor(lb);
    metrics.bindTo(registry);

    // successes and a client error
    request("a", 200, 5);
    request("a", 204, 7);
    request("a", 200, 9);
    request("b", 404, 3);
    // a connection failure without a status
    Lease connect = leaseOn("b");
    clock.advance(Duration.ofMillis(11));
    connect.fail(ErrorKind.CONNECT);
    // a cancelled lease: no latency
    leaseOn("a").close();
    // two 503s in a row eject c
    request("c", 503, 20);
    request("c", 503, 30);
    // a retry: a failed attempt on a, the retry elsewhere (b, as c is ejected)
    RequestView retried = RequestView.of("GET", "/users/2");
    Lease first = leaseOn("a");
    clock.advance(Duration.ofMillis(2));
    first.complete(502);
    Lease second = lb.retry(retried, first, List.of(first.backend())).leaseOrThrow();
    assertThat(second.backend().id()).isEqualTo("b");
    clock.advance(Duration.ofMillis(4));
    second.complete(200);
    // drain b, re-weight a
    lb.admin().drain("api", "b");
    lb.admin().setWeight("api", "a", 3);
    // a policy rejection, no route, no available backend
    assertThat(lb.select(RequestView.of("GET", "/admin/x"))).isInstanceOf(Rejected.class);
    assertThat(lb.select(RequestView.of("GET", "/nowhere"))).isInstanceOf(NoBackend.class);
    lb.admin().drain("other", "o");
    assertThat(lb.select(RequestView.of("GET", "/other/x"))).isInstanceOf(NoBackend.class);
    assertThat(lb.select(RequestView.of("GET", "/other/y"))).isInstanceOf(NoBackend.class);
    // a request held open
    Lease open = leaseOn("a");

    Timer aOk = timer("a", "success", "2xx");
    assertThat(aOk.count()).isEqualTo(3);
    assertThat(aOk.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(21.0);
    assertThat(aOk.max(TimeUnit.MILLISECONDS)).isEqualTo(9.0);
    assertThat(timer("a", "failure", "5xx").count()).isEqualTo(1);
    assertThat(timer("a", "failure", "5xx").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
    assertThat(timer("b", "success", "4xx").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3.0);
    assertThat(timer("b", "failure", "none").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(11.0);
    assertThat(timer("b", "success", "2xx").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(4.0);
    assertThat(timer("c", "failure", "5xx").count()).isEqualTo(2);
    assertThat(timer("c", "failure", "5xx").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(50.0);
    assertThat(
            counter(LoadBalancerMetrics.REQUESTS_CANCELLED, "pool", "api", "backend", "a", "route", "users"))
        .isEqualTo(1);
    assertThat(counter(LoadBalancerMetrics.RETRIES, "pool", "api", "route", "users")).isEqualTo(1);
    assertThat(counter(LoadBalancerMetrics.REJECTIONS, "pool", "api", "policy", "no-one", "status", "403"))
        .isEqualTo(1);
    assertThat(counter(LoadBalancerMetrics.NO_BACKEND, "pool", "none", "reason", "no_route")).isEqualTo(1);
    assertThat(counter(LoadBalancerMetrics.NO_BACKEND, "pool", "other", "reason", "none_available"))
        .isEqualTo(2);
    assertThat(counter(LoadBalancerMetrics.EJECTIONS, "pool", "api", "backend", "c")).isEqualTo(1);
    assertThat(counter(LoadBalancerMetrics.EJECTIONS, "pool", "api", "backend", "a")).isZero();
    assertThat(
            counter(LoadBalancerMetrics.HEALTH_TRANSITIONS,
                "pool", "api", "backend", "c", "from", "healthy", "to", "ejected"))
        .isEqualTo(1);
    assertThat(
            counter(LoadBalancerMetrics.HEALTH_TRANSITIONS,
                "pool", "api", "backend", "b", "from", "healthy", "to", "draining"))
        .isEqualTo(1);

    assertThat(gauge(LoadBalancerMetrics.BACKEND_REQUESTS_ACTIVE, "pool", "api", "backend", "a"))
        .isEqualTo(1);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_REQUESTS_ACTIVE, "pool", "api", "backend", "b"))
        .isZero();
    assertThat(gauge(LoadBalancerMetrics.POOL_REQUESTS_ACTIVE, "pool", "api")).isEqualTo(1);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "api", "backend", "a")).isZero();
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "api", "backend", "b")).isEqualTo(4);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "api", "backend", "c")).isEqualTo(3);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "other", "backend", "o")).isEqualTo(4);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_WEIGHT, "pool", "api", "backend", "a")).isEqualTo(3);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_WEIGHT, "pool", "api", "backend", "b")).isEqualTo(1);
    assertThat(gauge(LoadBalancerMetrics.POOL_PANIC, "pool", "api")).isZero();
    assertThat(gauge(LoadBalancerMetrics.RATE_LIMIT_KEY_CAPACITY, "policy", "per-client"))
        .isEqualTo(perClient.keyCapacity());
    assertThat(gauge(LoadBalancerMetrics.RATE_LIMIT_KEYS, "policy", "per-client")).isZero();
    lb.select(RequestView.builder().method("GET").path("/limited/1").header("X-Client", "k1").build())
        .leaseOrThrow()
        .complete(200);
    assertThat(gauge(LoadBalancerMetrics.RATE_LIMIT_KEYS, "policy", "per-client")).isEqualTo(1);
    open.complete(200);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_REQUESTS_ACTIVE, "pool", "api", "backend", "a"))
        .isZero();

    assertThat(meterIds())
        .as("the request meters that exist: one per backend, route, outcome and status seen")
        .filteredOn(id -> id.startsWith("lb4j.requests{"))
        .containsExactly(
            "lb4j.requests{backend=a,outcome=failure,pool=api,route=users,status=5xx,}",
            "lb4j.requests{backend=a,outcome=success,pool=api,route=limited,status=2xx,}",
            "lb4j.requests{backend=a,outcome=success,pool=api,route=users,status=2xx,}",
            "lb4j.requests{backend=b,outcome=failure,pool=api,route=users,status=none,}",
            "lb4j.requests{backend=b,outcome=success,pool=api,route=users,status=2xx,}",
            "lb4j.requests{backend=b,outcome=success,pool=api,route=users,status=4xx,}",
            "lb4j.requests{backend=c,outcome=failure,pool=api,route=users,status=5xx,}");
  }

  @Test
  void aRemovedBackendsMetersDisappearAndOthersStay() {
    metrics.bindTo(registry); // bound first, monitoring second: the order does not matter
    metrics.monitor(lb);
    request("a", 200, 1);
    request("c", 503, 1);
    request("c", 503, 1); // ejected
    assertThat(meterIds()).anyMatch(id -> id.contains("backend=c,"));

    lb.admin().removeBackend("api", "c");

    assertThat(meterIds()).noneMatch(id -> id.contains("backend=c,"));
    assertThat(timer("a", "success", "2xx").count()).isEqualTo(1);
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "api", "backend", "a")).isZero();

    // back under the same id: fresh meters, gauges again
    lb.admin().addBackend("api", BackendSpec.builder("http://127.0.0.1:20003").id("c").build());
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "api", "backend", "c")).isZero();
    request("c", 200, 6);
    assertThat(timer("c", "success", "2xx").count()).isEqualTo(1);
    assertThat(registry.find(LoadBalancerMetrics.REQUESTS).tags("backend", "c", "outcome", "failure").timer())
        .isNull();
  }

  @Test
  void aLeaseThatOutlivesItsBackendIsNotRecorded() {
    metrics.monitor(lb);
    metrics.bindTo(registry);
    Lease late = leaseOn("c");
    lb.admin().removeBackend("api", "c");
    late.complete(200);
    assertThat(meterIds()).noneMatch(id -> id.contains("backend=c,"));
  }

  @Test
  void nothingIsRecordedBeforeBindingAndEachStepHappensOnce() {
    request("a", 200, 1);
    assertThat(registry.getMeters()).isEmpty();
    metrics.bindTo(registry);
    assertThat(registry.find(LoadBalancerMetrics.BACKEND_STATE).gauges())
        .as("no gauges before monitor")
        .isEmpty();
    metrics.monitor(lb);
    assertThat(registry.find(LoadBalancerMetrics.BACKEND_STATE).gauges()).hasSize(4);
    assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already bound");
    assertThatThrownBy(() -> metrics.monitor(lb))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already monitoring");
  }

  @Test
  void commonTagsAndHistogramsAreSettingsSetOnce() {
    LoadBalancerMetrics.Builder builder =
        LoadBalancerMetrics.builder().tags(Tags.of("lb", "edge")).percentileHistogram(false);
    assertThatThrownBy(() -> builder.percentileHistogram(true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("percentileHistogram was already set to false");
    assertThatThrownBy(() -> builder.tags(Tags.empty()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("tags was already set to");
    assertThatThrownBy(() -> LoadBalancerMetrics.builder().statsMaxAge(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("statsMaxAge: PT-1S (expected: zero or more)");
    LoadBalancerMetrics m = builder.build();
    assertThat(m.toString())
        .isEqualTo(
            "LoadBalancerMetrics[percentileHistogram=false, statsMaxAge=PT1S, tags=[tag(lb=edge)],"
                + " rateLimits=[], registry=none, monitoring=none]");
    try (LoadBalancer other =
        LoadBalancer.builder().ticker(clock).observer(m).pool("p", p -> p.backend("http://127.0.0.1:20001")).build()) {
      m.bindTo(registry);
      m.monitor(other);
      other.select(RequestView.of("GET", "/")).leaseOrThrow().complete(200);
      Timer t = registry.get(LoadBalancerMetrics.REQUESTS).tags("lb", "edge", "route", "default").timer();
      assertThat(t.count()).isEqualTo(1);
      assertThat(registry.get(LoadBalancerMetrics.BACKEND_WEIGHT).tags("lb", "edge").gauges()).hasSize(1);
    }
  }

  @Test
  void warmMetersAreReusedNotRegisteredAgain() {
    metrics.monitor(lb);
    metrics.bindTo(registry);
    request("a", 200, 1);
    int meters = registry.getMeters().size();
    Timer before = timer("a", "success", "2xx");
    for (int i = 0; i < 100; i++) {
      request("a", 200, 1);
    }
    assertThat(registry.getMeters()).hasSize(meters);
    assertThat(timer("a", "success", "2xx")).isSameAs(before);
    assertThat(before.count()).isEqualTo(101);
    assertThat(registry.find(LoadBalancerMetrics.RETRIES).counters()).isEmpty();
    assertThat(registry.find(LoadBalancerMetrics.RETRIES).meters()).extracting(Meter::getId).isEmpty();
    assertThat(registry.find(LoadBalancerMetrics.BACKEND_STATE).gauges())
        .extracting(Gauge::value)
        .containsOnly(0.0);
    assertThat(registry.find(LoadBalancerMetrics.EJECTIONS).counters())
        .extracting(Counter::count)
        .containsOnly(0.0);
  }

  @Test
  void aReconfigurationKeepsTheMetersOfWhatStaysAndFollowsPoolsThatComeAndGo() {
    metrics.monitor(lb);
    metrics.bindTo(registry);
    request("a", 200, 1);
    Timer before = timer("a", "success", "2xx");

    lb.reconfigure(
        LoadBalancer.builder()
            .pool(
                "api",
                p ->
                    p.algorithm(Algorithms.weightedRoundRobin())
                        .backend(BackendSpec.builder("http://127.0.0.1:20001").id("a").build())
                        .backend(BackendSpec.builder("http://127.0.0.1:20002").id("b").build()))
            .pool("fresh", p -> p.backend(BackendSpec.builder("http://127.0.0.1:20010").id("f").build()))
            .route("users", r -> r.pathPrefix("/users/").toPool("api"))
            .route("fresh", r -> r.pathPrefix("/fresh/").toPool("fresh")));

    request("a", 200, 2);
    assertThat(timer("a", "success", "2xx")).isSameAs(before);
    assertThat(before.count()).isEqualTo(2);
    assertThat(meterIds()).noneMatch(id -> id.contains("backend=c,") || id.contains("pool=other,"));
    assertThat(gauge(LoadBalancerMetrics.BACKEND_STATE, "pool", "fresh", "backend", "f")).isZero();
    assertThat(gauge(LoadBalancerMetrics.POOL_PANIC, "pool", "fresh")).isZero();
    lb.select(RequestView.of("GET", "/fresh/1")).leaseOrThrow().complete(200);
    assertThat(
            registry.get(LoadBalancerMetrics.REQUESTS).tags("pool", "fresh", "backend", "f").timer().count())
        .isEqualTo(1);
  }
}
