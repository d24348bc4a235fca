package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.api.Picker;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link LoadBalancer#reconfigure}: pools, routes, policies and the default pool change at once;
 * backends that stay keep their state whether or not their pool's settings change; an invalid
 * configuration changes nothing; removed pools drain; events name exactly what was added or removed.
 */
class ReconfigureTest {

  private static final Duration BASE_EJECTION = Duration.ofSeconds(30);
  private static final Duration WINDOW = Duration.ofSeconds(100);

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final HealthEventLog events = engine.events();

  /** Backend ids the probe fails. */
  private final Set<String> down = ConcurrentHashMap.newKeySet();

  private final HealthProbe probe =
      (b, timeout) ->
          CompletableFuture.completedFuture(
              down.contains(b.id()) ? HealthResult.unhealthy("probe says no") : HealthResult.healthy());

  private static RequestView get(String path) {
    return RequestView.of("GET", path);
  }

  private static String uri(String id) {
    return "http://" + id + ":80";
  }

  private static BackendStats backend(LoadBalancer lb, String pool, String id) {
    for (BackendStats b : Objects.requireNonNull(lb.stats().pools().get(pool), pool).backends()) {
      if (b.id().equals(id + ":80")) {
        return b;
      }
    }
    throw new AssertionError("no backend " + id + " in pool " + pool);
  }

  private static String routedTo(LoadBalancer lb, String path) {
    return Objects.requireNonNull(lb.route(get(path)), path).pool();
  }

  private static BackendStatus status(LoadBalancer lb, String pool, String id) {
    return backend(lb, pool, id).status();
  }

  /** A lease on {@code id}: every other backend of the pool excluded. */
  private static Lease leaseOn(Pool pool, String id) {
    List<Backend> others = new ArrayList<>();
    for (Backend b : pool.backends()) {
      if (!b.id().equals(id + ":80")) {
        others.add(b);
      }
    }
    Lease lease = pool.select(get("/"), others).leaseOrThrow();
    assertThat(lease.backend().id()).isEqualTo(id + ":80");
    return lease;
  }

  private static Policy rejecting(String name) {
    return new Policy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public PolicyDecision onRequest(RequestView request) {
        return request.path().startsWith("/deny")
            ? PolicyDecision.reject(403, name + " denies")
            : PolicyDecision.proceed();
      }
    };
  }

  // ------------------------------------------------------------ pools, routes, policies, default

  @Test
  void replacesPoolsRoutesPoliciesAndTheDefaultPoolAtOnce() {
    LoadBalancer lb =
        engine.balancer(
            b ->
                b.pool("a", p -> p.backend(uri("a0")))
                    .pool("b", p -> p.backend(uri("b0")))
                    .route("to-a", r -> r.pathPrefix("/a").toPool("a"))
                    .policy(rejecting("old-policy"))
                    .defaultPool("b"));
    assertThat(lb.select(get("/deny")))
        .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.policy()).isEqualTo("old-policy"));

    lb.reconfigure(
        LoadBalancer.builder()
            .pool("b", p -> p.backend(uri("b0")))
            .pool("c", p -> p.backend(uri("c0")))
            .route("to-b", r -> r.pathPrefix("/b").toPool("b"))
            .policy(rejecting("new-policy"))
            .defaultPool("c"));

    assertThat(lb.poolNames()).containsExactly("b", "c");
    assertThatThrownBy(() -> lb.pool("a")).isInstanceOf(IllegalArgumentException.class);
    assertThat(lb.defaultPool().name()).isEqualTo("c");
    assertThat(routedTo(lb, "/a/x")).as("the old route is gone: default pool").isEqualTo("c");
    assertThat(routedTo(lb, "/b/x")).isEqualTo("b");
    try (Lease lease = lb.select(get("/b/x")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo("b0:80");
    }
    try (Lease lease = lb.select(get("/other")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo("c0:80");
    }
    assertThat(lb.select(get("/deny")))
        .isInstanceOfSatisfying(Rejected.class, r -> assertThat(r.policy()).isEqualTo("new-policy"));
  }

  @Test
  void aPoolThatStaysWithTheSameSettingsIsTheSamePoolAndOneWithNewSettingsIsNot() {
    LoadBalancer lb =
        engine.balancer(
            b ->
                b.pool("same", p -> p.backend(uri("s0")).algorithm(Algorithms.leastRequest()))
                    .pool("changed", p -> p.backend(uri("c0")).algorithm(Algorithms.roundRobin())));
    Pool same = lb.pool("same");
    Pool changed = lb.pool("changed");

    lb.reconfigure(
        LoadBalancer.builder()
            .pool("same", p -> p.backend(uri("s0")).algorithm(Algorithms.leastRequest()))
            .pool("changed", p -> p.backend(uri("c0")).algorithm(Algorithms.leastRequest())));

    assertThat(lb.pool("same")).as("value-equal settings: updated in place").isSameAs(same);
    assertThat(lb.pool("changed")).isNotSameAs(changed);
    assertThat(lb.pool("changed").algorithm().name()).isEqualTo(Algorithms.leastRequest().name());
  }

  @Test
  void aPluginAlgorithmWithoutEqualsCountsAsChanged() {
    Algorithm first = new FirstBackend();
    LoadBalancer lb = engine.pool("api", p -> p.backend(uri("a0")).algorithm(first));
    Pool before = lb.pool("api");

    lb.reconfigure(LoadBalancer.builder().pool("api", p -> p.backend(uri("a0")).algorithm(first)));
    assertThat(lb.pool("api")).as("the same instance is equal to itself").isSameAs(before);

    lb.reconfigure(
        LoadBalancer.builder().pool("api", p -> p.backend(uri("a0")).algorithm(new FirstBackend())));
    assertThat(lb.pool("api")).isNotSameAs(before);
    try (Lease lease = lb.select(get("/")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo("a0:80");
    }
  }

  @Test
  void builtInSettingsAreValueEqual() {
    assertThat(Algorithms.leastRequest()).isEqualTo(Algorithms.leastRequest());
    assertThat(Algorithms.leastRequest(4, 1.0)).isNotEqualTo(Algorithms.leastRequest(5, 1.0));
    assertThat(Algorithms.ringHash()).isEqualTo(Algorithms.ringHash()).isNotEqualTo(Algorithms.maglev());
    assertThat(Algorithms.maglev()).isEqualTo(Algorithms.maglev());
    assertThat(Algorithms.maglev(251)).isNotEqualTo(Algorithms.maglev());
    assertThat(Algorithms.stableRingHash(100)).isEqualTo(Algorithms.stableRingHash(100));
    assertThat(Algorithms.boundedLoad()).isEqualTo(Algorithms.boundedLoad());
    assertThat(Algorithms.roundRobin()).isEqualTo(Algorithms.roundRobin());
    assertThat(HashKey.header("X-User")).isEqualTo(HashKey.header("X-User"));
    assertThat(HashKey.header("X-User")).isNotEqualTo(HashKey.cookie("X-User"));
    assertThat(HashKey.header("X-User").hashCode()).isEqualTo(HashKey.header("X-User").hashCode());
    assertThat(HashKey.of("tenant", r -> r.path())).isNotEqualTo(HashKey.of("tenant", r -> r.path()));
    assertThat(HealthCheck.builder(probe).interval(Duration.ofSeconds(7)).build())
        .isEqualTo(HealthCheck.builder(probe).interval(Duration.ofSeconds(7)).build())
        .isNotEqualTo(HealthCheck.builder(probe).interval(Duration.ofSeconds(8)).build());
    assertThat(OutlierDetection.defaults()).isEqualTo(OutlierDetection.defaults());
    assertThat(OutlierDetection.defaults().hashCode())
        .isEqualTo(OutlierDetection.defaults().hashCode());
    assertThat(OutlierDetection.builder().consecutiveFailures(3).build())
        .isNotEqualTo(OutlierDetection.defaults());
    assertThat(SlowStart.linear(WINDOW)).isEqualTo(SlowStart.linear(WINDOW));
    assertThat(SlowStart.linear(WINDOW)).isNotEqualTo(SlowStart.linear(WINDOW.plusSeconds(1)));
  }

  // ------------------------------------------------------------ state of backends that stay

  /**
   * Six backends, each holding one kind of state: a0 a lease in flight and a latency EWMA, a1
   * drained, a2 disabled, a3 ejected, a4 warming (added at runtime), a5 failing its probe.
   */
  private void configureStatefulPool(PoolBuilder p, Duration interval, Algorithm algorithm) {
    for (int i = 0; i < 4; i++) {
      p.backend(uri("a" + i));
    }
    p.backend(uri("a5"))
        .algorithm(algorithm)
        .panicThreshold(0)
        .healthCheck(HealthCheck.builder(probe).interval(interval).jitter(0).unhealthyThreshold(1).healthyThreshold(1).build())
        .outlierDetection(
            OutlierDetection.builder().consecutiveFailures(1).baseEjectionTime(BASE_EJECTION).build())
        .slowStart(SlowStart.linear(WINDOW));
  }

  @ParameterizedTest(name = "settings changed: {0}")
  @ValueSource(booleans = {false, true})
  void backendsThatStayKeepInFlightLatencyAdminStateEjectionAndSlowStart(boolean changeSettings) {
    LoadBalancer lb =
        engine.pool(
            "api", p -> configureStatefulPool(p, Duration.ofSeconds(5), Algorithms.roundRobin()));
    Pool pool = lb.pool("api");
    down.add("a5:80");
    clock.runDue(); // first probes: a5 unhealthy
    assertThat(status(lb, "api", "a5")).isEqualTo(BackendStatus.UNHEALTHY);

    Lease measured = leaseOn(pool, "a0");
    clock.advance(Duration.ofMillis(50));
    measured.complete(200);
    Lease open = leaseOn(pool, "a0");
    lb.admin().drain("api", "a1:80");
    lb.admin().disable("api", "a2:80");
    leaseOn(pool, "a3").complete(503);
    clock.runDue(); // the ejection runs on the scheduler
    long ejectedAt = clock.nanoTime();
    assertThat(status(lb, "api", "a3")).isEqualTo(BackendStatus.EJECTED);
    lb.admin().addBackend("api", BackendSpec.of(uri("a4")));
    long warmingSince = clock.nanoTime();
    assertThat(status(lb, "api", "a4")).isEqualTo(BackendStatus.WARMING);
    clock.advance(Duration.ofSeconds(10));
    long ewma = backend(lb, "api", "a0").latencyEwmaNanos();
    assertThat(ewma).isEqualTo(Duration.ofMillis(50).toNanos());

    int mark = events.mark();
    LoadBalancerBuilder next =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> {
                  if (changeSettings) {
                    configureStatefulPool(p, Duration.ofSeconds(7), Algorithms.leastRequest());
                  } else {
                    configureStatefulPool(p, Duration.ofSeconds(5), Algorithms.roundRobin());
                  }
                  p.backend(uri("a4")).backend(uri("a6"));
                });
    lb.reconfigure(next);

    assertThat(lb.pool("api").algorithm().name())
        .isEqualTo(changeSettings ? "least_request" : "round_robin");
    assertThat(backend(lb, "api", "a0").inFlight()).as("lease in flight").isEqualTo(1);
    assertThat(backend(lb, "api", "a0").latencyEwmaNanos()).as("EWMA").isEqualTo(ewma);
    assertThat(status(lb, "api", "a1")).isEqualTo(BackendStatus.DRAINING);
    assertThat(status(lb, "api", "a2")).isEqualTo(BackendStatus.DISABLED);
    assertThat(status(lb, "api", "a3")).isEqualTo(BackendStatus.EJECTED);
    assertThat(status(lb, "api", "a4")).isEqualTo(BackendStatus.WARMING);
    assertThat(status(lb, "api", "a5")).as("probe verdict").isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(events.all().subList(mark, events.all().size()))
        .as("only the new backend is news")
        .singleElement()
        .isInstanceOfSatisfying(
            HealthEvent.BackendAdded.class,
            e -> assertThat(e.backendId()).isEqualTo("a6:80"));

    // The ejection ends, and slow start's window closes, at the times they had before.
    clock.advanceNanos(ejectedAt + BASE_EJECTION.toNanos() - 1 - clock.nanoTime());
    assertThat(status(lb, "api", "a3")).isEqualTo(BackendStatus.EJECTED);
    clock.advanceNanos(1);
    assertThat(status(lb, "api", "a3")).isNotEqualTo(BackendStatus.EJECTED);
    clock.advanceNanos(warmingSince + WINDOW.toNanos() - 1 - clock.nanoTime());
    assertThat(status(lb, "api", "a4")).isEqualTo(BackendStatus.WARMING);
    clock.advanceNanos(1);
    assertThat(status(lb, "api", "a4")).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, "api", "a5")).as("still failing its probes").isEqualTo(BackendStatus.UNHEALTHY);
    down.clear();
    clock.advance(Duration.ofSeconds(changeSettings ? 7 : 5));
    assertThat(status(lb, "api", "a5")).as("probed again").isIn(BackendStatus.WARMING, BackendStatus.HEALTHY);

    open.complete(200);
    assertThat(backend(lb, "api", "a0").inFlight()).isZero();
    assertThat(pool.stats().inFlight()).as("the lease counted where it was taken").isZero();
  }

  @Test
  void removingAHealthCheckMakesTheVerdictPassingAndRemovingOutlierDetectionEndsAnEjection() {
    LoadBalancer lb =
        engine.pool(
            "api", p -> configureStatefulPool(p, Duration.ofSeconds(5), Algorithms.roundRobin()));
    down.add("a5:80");
    clock.runDue();
    leaseOn(lb.pool("api"), "a3").complete(503);
    clock.runDue();
    assertThat(status(lb, "api", "a3")).isEqualTo(BackendStatus.EJECTED);
    int mark = events.mark();

    lb.reconfigure(
        LoadBalancer.builder()
            .pool(
                "api",
                p -> {
                  for (int i = 0; i < 6; i++) {
                    if (i != 4) {
                      p.backend(uri("a" + i));
                    }
                  }
                  p.panicThreshold(0);
                }));

    assertThat(status(lb, "api", "a3")).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, "api", "a5")).isEqualTo(BackendStatus.HEALTHY);
    assertThat(backend(lb, "api", "a3").ejections()).as("history kept").isEqualTo(1);
    assertThat(events.statusChangesSince(mark))
        .extracting(HealthEvent.StatusChanged::backendId, HealthEvent.StatusChanged::to)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("a3:80", BackendStatus.HEALTHY),
            org.assertj.core.groups.Tuple.tuple("a5:80", BackendStatus.HEALTHY));
    assertThat(clock.pendingTasks()).as("no probe loop or timer of the old pool left").isZero();
  }

  @Test
  void aReplacedPoolsHandleAndOldLeasesKeepWorking() {
    LoadBalancer lb =
        engine.pool(
            "api",
            p -> p.backend(uri("a0")).backend(uri("a1")).algorithm(Algorithms.roundRobin()));
    Pool old = lb.pool("api");
    Lease before = leaseOn(old, "a1");
    int mark = events.mark();

    lb.reconfigure(
        LoadBalancer.builder()
            .pool(
                "api",
                p -> p.backend(uri("a1")).backend(uri("a2")).algorithm(Algorithms.leastRequest())));

    assertThat(lb.pool("api")).isNotSameAs(old);
    assertThat(events.all().subList(mark, events.all().size()))
        .as("a removed and an added backend, as admin calls would report them")
        .extracting(Object::toString)
        .satisfiesExactly(
            e -> assertThat(e).contains("BackendRemoved[pool=api, backendId=a0:80"),
            e -> assertThat(e).contains("BackendAdded[pool=api, backendId=a2:80"));
    Set<String> picked = new HashSet<>();
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      Lease lease = old.select(get("/")).leaseOrThrow(); // a handle kept across the change
      picked.add(lease.backend().id());
      leases.add(lease);
    }
    assertThat(picked).as("the current members, never the removed a0").containsOnly("a1:80", "a2:80");
    assertThat(backend(lb, "api", "a1").inFlight()).isGreaterThanOrEqualTo(1);
    leases.forEach(Lease::close);
    before.complete(200);
    assertThat(backend(lb, "api", "a1").inFlight()).isZero();
    assertThat(backend(lb, "api", "a2").inFlight()).isZero();
    assertThat(old.stats().inFlight()).isZero();
  }

  // ------------------------------------------------------------ removed and added pools

  @Test
  void aRemovedPoolsLeasesCompleteAndItsBackendsAreAnnouncedRemoved() {
    LoadBalancer lb =
        engine.balancer(
            b ->
                b.pool("old", p -> p.backend(uri("o0")).backend(uri("o1")))
                    .pool("kept", p -> p.backend(uri("k0")))
                    .defaultPool("kept"));
    Pool old = lb.pool("old");
    Lease open = old.select(get("/")).leaseOrThrow();
    int mark = events.mark();
    List<Set<String>> poolsSeenByListener = new ArrayList<>();
    lb.addHealthListener(e -> poolsSeenByListener.add(Set.copyOf(lb.poolNames())));

    lb.reconfigure(
        LoadBalancer.builder()
            .pool("kept", p -> p.backend(uri("k0")))
            .pool("fresh", p -> p.backend(uri("f0")))
            .defaultPool("kept"));

    assertThat(old.select(get("/")))
        .isInstanceOfSatisfying(
            NoBackend.class, n -> assertThat(n.reason()).isEqualTo(NoBackend.Reason.CLOSED));
    assertThat(open.complete(200)).isTrue();
    assertThat(old.stats().inFlight()).isZero();
    assertThat(old.stats().backends()).allSatisfy(b -> assertThat(b.inFlight()).isZero());
    List<HealthEvent> news = events.all().subList(mark, events.all().size());
    assertThat(news)
        .filteredOn(HealthEvent.BackendRemoved.class::isInstance)
        .map(e -> ((HealthEvent.BackendRemoved) e).pool() + "/" + ((HealthEvent.BackendRemoved) e).backendId())
        .containsExactlyInAnyOrder("old/o0:80", "old/o1:80");
    assertThat(news)
        .filteredOn(HealthEvent.BackendAdded.class::isInstance)
        .map(e -> ((HealthEvent.BackendAdded) e).pool() + "/" + ((HealthEvent.BackendAdded) e).backendId())
        .containsExactly("fresh/f0:80");
    assertThat(news).hasSize(3);
    assertThat(poolsSeenByListener)
        .as("listeners hear of the change once it is complete")
        .hasSize(3)
        .allSatisfy(names -> assertThat(names).containsExactlyInAnyOrder("kept", "fresh"));
  }

  @Test
  void aConfigurationThatNeedsTheFirstSchedulerCreatesOneThatCloseStops() throws Exception {
    LoadBalancer lb =
        engine.track(
            LoadBalancer.builder().ticker(clock).pool("api", p -> p.backend(uri("a0"))).build());
    Set<Thread> before = Thread.getAllStackTraces().keySet();

    lb.reconfigure(
        LoadBalancer.builder()
            .pool("api", p -> p.backend(uri("a0")).healthCheck(HealthCheck.of(probe))));

    List<Thread> created = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(t) && t.getName().startsWith("lb4j-scheduler-")) {
        created.add(t);
      }
    }
    assertThat(created).as("the load balancer's own scheduler thread").hasSize(1);
    assertThat(created.get(0).isDaemon()).isTrue();
    try (Lease lease = lb.select(get("/")).leaseOrThrow()) {
      lease.complete(200);
    }
    lb.close();
    created.get(0).join(5_000);
    assertThat(created.get(0).isAlive()).as("close() stops it").isFalse();
  }

  // ------------------------------------------------------------ invalid input, closed

  private LoadBalancer twoPools() {
    return engine.balancer(
        b ->
            b.pool("a", p -> p.backend(uri("a0")))
                .pool("b", p -> p.backend(uri("b0")).backend(uri("b1")))
                .route("to-a", r -> r.pathPrefix("/a").toPool("a"))
                .defaultPool("b"));
  }

  private static void assertUnchanged(LoadBalancer lb, Pool a, Pool b) {
    assertThat(lb.poolNames()).containsExactly("a", "b");
    assertThat(lb.pool("a")).isSameAs(a);
    assertThat(lb.pool("b")).isSameAs(b);
    assertThat(lb.pool("b").backends()).extracting(Backend::id).containsExactly("b0:80", "b1:80");
    assertThat(routedTo(lb, "/a/1")).isEqualTo("a");
    assertThat(lb.defaultPool().name()).isEqualTo("b");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "routes.to-c.toPool: 'c' (expected: one of the pools [a, b, new])",
        "defaultPool: 'c' (expected: one of [a, b, new])",
        "pools.b.backends: empty (expected: at least one backend)",
        "pools.b.backends[1].weight: 3 (expected: 1 like the others",
        "ticker: ",
        "scheduler: ",
        "latencyDecay: PT1S",
        "healthListener: "
      })
  void anInvalidConfigurationChangesNothingAndNamesTheField(String expected) {
    LoadBalancer lb = twoPools();
    Pool a = lb.pool("a");
    Pool b = lb.pool("b");
    int mark = events.mark();
    LoadBalancerBuilder next =
        LoadBalancer.builder()
            .pool("a", p -> p.backend(uri("a0")))
            .pool(
                "b",
                p -> {
                  if (!expected.startsWith("pools.b.backends: empty")) {
                    p.backend(uri("b9"));
                  }
                  if (expected.startsWith("pools.b.backends[1]")) {
                    p.algorithm(Algorithms.roundRobin()).backend(uri("b8"), 3);
                  }
                })
            .pool("new", p -> p.backend(uri("n0")).outlierDetection(OutlierDetection.defaults()));
    Consumer<LoadBalancerBuilder> breakIt =
        switch (expected.substring(0, expected.indexOf(':'))) {
          case "routes.to-c.toPool" -> n -> n.route("to-c", r -> r.pathPrefix("/c").toPool("c"));
          case "defaultPool" -> n -> n.defaultPool("c");
          case "ticker" -> n -> n.ticker(clock);
          case "scheduler" -> n -> n.scheduler(clock);
          case "latencyDecay" -> n -> n.latencyDecay(Duration.ofSeconds(1));
          case "healthListener" -> n -> n.healthListener(events);
          default -> n -> {};
        };
    breakIt.accept(next);
    int tasks = clock.pendingTasks();

    assertThatThrownBy(() -> lb.reconfigure(next))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(expected);

    assertUnchanged(lb, a, b);
    assertThat(events.all()).hasSize(mark);
    assertThat(clock.pendingTasks()).as("no timer of a pool that was not made").isEqualTo(tasks);
    try (Lease lease = lb.select(get("/a/1")).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo("a0:80");
    }
  }

  @Test
  void aClosedLoadBalancerRejectsAReconfiguration() {
    LoadBalancer lb = twoPools();
    lb.close();
    assertThatThrownBy(
            () -> lb.reconfigure(LoadBalancer.builder().pool("a", p -> p.backend(uri("a0")))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is closed");
    assertThat(lb.poolNames()).containsExactly("a", "b");
  }

  /** A plugin algorithm without equals: always the first backend. */
  private static final class FirstBackend implements Algorithm {
    @Override
    public String name() {
      return "first";
    }

    @Override
    public Picker newPicker(BackendSet backends) {
      List<Backend> list = backends.backends();
      return context -> list.isEmpty() ? null : list.get(0);
    }
  }
}
