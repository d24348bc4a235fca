package dev.lb4j.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Builds every benchmark setup once and makes a few picks with it, so {@code verify} proves the
 * benchmark code works without running JMH. Nothing here is timed.
 */
class BenchmarkSmokeTest {

  private static final int SIZE = 10;
  private static final int PICKS = 64;

  static Stream<String> peers() {
    return Peers.NAMES.stream();
  }

  static Stream<String> algorithms() {
    return Lb4jSetups.ALGORITHMS.stream();
  }

  /**
   * JMH takes parameter values only as literals, so the benchmarks repeat the lists the smoke test
   * walks; this keeps them from drifting apart (a peer or algorithm that is smoke-tested but never
   * benchmarked, or the reverse).
   */
  @Test
  void benchmarkParametersListExactlyThePeersAndAlgorithmsThatAreSmokeTested()
      throws NoSuchFieldException {
    assertThat(paramValues(PeerBenchmark.class, "peer")).containsExactlyElementsOf(Peers.NAMES);
    assertThat(paramValues(PickBenchmark.class, "algorithm"))
        .containsExactlyInAnyOrderElementsOf(Lb4jSetups.ALGORITHMS)
        .containsExactlyInAnyOrderElementsOf(dev.lb4j.core.algorithm.Algorithms.names());
    assertThat(paramValues(AlgorithmPickBenchmark.class, "algorithm"))
        .containsExactlyInAnyOrderElementsOf(Lb4jSetups.ALGORITHMS);
  }

  private static java.util.List<String> paramValues(Class<?> benchmark, String field)
      throws NoSuchFieldException {
    return java.util.List.of(
        benchmark.getField(field).getAnnotation(org.openjdk.jmh.annotations.Param.class).value());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("peers")
  void eachPeerPicksOneOfTheConfiguredBackends(String name) {
    try (PeerSelector peer = Peers.create(name, SIZE)) {
      for (int k = 0; k < PICKS; k++) {
        Object selected = peer.select(k);
        assertThat(peer.portOf(selected))
            .as("%s, key %s", name, Workload.key(k))
            .isBetween(Workload.port(0), Workload.port(SIZE - 1));
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"vertx_consistent_hashing", "grpc_ring_hash", "dubbo_consistent_hash"})
  void hashingPeersReceiveTheKeySoEachKeyStaysOnOneBackend(String name) {
    try (PeerSelector peer = Peers.create(name, SIZE)) {
      Set<Integer> ports = new HashSet<>();
      for (int k = 0; k < PICKS; k++) {
        int port = peer.portOf(peer.select(k));
        for (int again = 0; again < 3; again++) {
          assertThat(peer.portOf(peer.select(k))).as("%s, key %s", name, Workload.key(k)).isEqualTo(port);
        }
        ports.add(port);
      }
      assertThat(ports).as("%s spreads keys", name).hasSizeGreaterThan(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void eachAlgorithmPicksOneOfTheConfiguredBackendsAndReleasesItsLease(String algorithm) {
    PickBenchmark benchmark = new PickBenchmark();
    benchmark.algorithm = algorithm;
    benchmark.size = SIZE;
    benchmark.setUp();
    try {
      PickBenchmark.Cursor cursor = new PickBenchmark.Cursor();
      cursor.setUp();
      for (int k = 0; k < PICKS; k++) {
        Backend backend = benchmark.pick1(cursor);
        assertThat(backend.uri().getPort())
            .as(algorithm)
            .isBetween(Workload.port(0), Workload.port(SIZE - 1));
        assertThat(backend.inFlight()).as("%s: in flight after complete", algorithm).isZero();
      }
    } finally {
      benchmark.tearDown();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void everyAlgorithmAcceptsCyclicWeights(String algorithm) {
    PickBenchmark benchmark = new PickBenchmark();
    benchmark.algorithm = algorithm;
    benchmark.size = SIZE;
    benchmark.weights = "cyclic";
    benchmark.setUp();
    try {
      PickBenchmark.Cursor cursor = new PickBenchmark.Cursor();
      assertThat(benchmark.pick2(cursor).uri().getPort())
          .isBetween(Workload.port(0), Workload.port(SIZE - 1));
    } finally {
      benchmark.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "simple", "prometheus"})
  void metricsSetupsCountEveryRequestInTheRegistry(String registry) throws Exception {
    assertThat(paramValues(MetricsBenchmark.class, "registry"))
        .containsExactly("none", "simple", "prometheus");
    MetricsBenchmark benchmark = new MetricsBenchmark();
    benchmark.registry = registry;
    benchmark.setUp();
    try {
      MetricsBenchmark.Cursor cursor = new MetricsBenchmark.Cursor();
      Set<String> picked = new HashSet<>();
      for (int k = 0; k < PICKS; k++) {
        picked.add((k % 2 == 0 ? benchmark.selectComplete1(cursor) : benchmark.selectComplete2(cursor)).id());
      }
      assertThat(picked).hasSize(10);
      var meters = benchmark.meters();
      if (meters == null) {
        assertThat(registry).isEqualTo("none");
      } else {
        double counted =
            meters.get(dev.lb4j.micrometer.LoadBalancerMetrics.REQUESTS).timers().stream()
                .mapToLong(io.micrometer.core.instrument.Timer::count)
                .sum();
        assertThat(counted).as("requests timed").isEqualTo(PICKS);
      }
    } finally {
      benchmark.tearDown();
    }
  }

  @Test
  void leasesHeldOpenAreFinishedAndCountersReturnToZero() {
    for (String algorithm : new String[] {"least_request", "peak_ewma"}) {
      LeaseBenchmark benchmark = new LeaseBenchmark();
      benchmark.algorithm = algorithm;
      benchmark.size = SIZE;
      benchmark.held = 4;
      benchmark.setUp();
      try {
        LeaseBenchmark.Held held = new LeaseBenchmark.Held();
        held.setUp(benchmark);
        Backend last = null;
        for (int k = 0; k < PICKS; k++) {
          last = k % 2 == 0 ? benchmark.complete1(held) : benchmark.cancel2(held);
        }
        assertThat(benchmark.pool.backends()).as("%s: the last pick is a member", algorithm)
            .contains(last);
        long open = benchmark.pool.backends().stream().mapToInt(Backend::inFlight).sum();
        assertThat(open).as("%s: leases held", algorithm).isEqualTo(4);
        held.tearDown();
        open = benchmark.pool.backends().stream().mapToInt(Backend::inFlight).sum();
        assertThat(open).as("%s: after tear-down", algorithm).isZero();
      } finally {
        benchmark.tearDown();
      }
    }
  }

  @Test
  void healthSetupsPickConfiguredBackendsAndTheWarmingOneGetsAReducedShare() {
    for (String algorithm : List.of("round_robin", "least_request", "maglev")) {
      for (String health : List.of("off", "passive", "warming")) {
        HealthBenchmark benchmark = new HealthBenchmark();
        benchmark.algorithm = algorithm;
        benchmark.health = health;
        benchmark.setUp();
        try {
          HealthBenchmark.Cursor cursor = new HealthBenchmark.Cursor();
          String warming = java.net.URI.create(Workload.uri(HealthBenchmark.SIZE - 1)).getAuthority();
          int picksOfLast = 0;
          int picks = 20_000;
          for (int i = 0; i < picks; i++) {
            String id = benchmark.selectAndComplete(cursor);
            assertThat(id).as("%s/%s", algorithm, health).startsWith(Workload.HOST + ":");
            picksOfLast += id.equals(warming) ? 1 : 0;
          }
          assertThat(benchmark.pool.stats().inFlight()).isZero();
          if (health.equals("warming")) {
            // At 10% of its share it gets about 0.1/99.1 of picks (~20 of 20,000); a full share is
            // 200. Maglev decides per key and the workload has 1,024 keys (~10 owned by the new
            // backend, each kept with probability 0.1), so it may keep none.
            assertThat(picksOfLast)
                .as("%s warming picks", algorithm)
                .isBetween(algorithm.equals("maglev") ? 0 : 1, 100);
          }
        } finally {
          benchmark.tearDown();
        }
      }
    }
  }

  @Test
  void decisionPathRoutesAdmitsAndPicks() {
    for (int rules : new int[] {10, 1000}) {
      for (int depth : new int[] {3, 12}) {
        DecisionBenchmark benchmark = new DecisionBenchmark();
        benchmark.rules = rules;
        benchmark.depth = depth;
        benchmark.setUp();
        try {
          dev.lb4j.core.routing.RouteMatch match =
              java.util.Objects.requireNonNull(benchmark.route());
          assertThat(match.rule().name()).isEqualTo("deep");
          assertThat(match.pool()).isEqualTo("api");
          for (int i = 0; i < 100; i++) {
            assertThat(benchmark.fullPath()).startsWith(Workload.HOST + ":");
          }
          assertThat(benchmark.full.stats().pool("api").inFlight()).isZero();
          assertThat(benchmark.full.stats().policyErrors()).isZero();
        } finally {
          benchmark.tearDown();
        }
      }
    }
  }

  @Test
  void bothHttpClientsGetTheServersAnswerAndTheBalancedOneReleasesEachLease() throws Exception {
    HttpClientBenchmark benchmark = new HttpClientBenchmark();
    HttpClientBenchmark.Backend backend = new HttpClientBenchmark.Backend();
    backend.setUp();
    try {
      for (int i = 0; i < 4; i++) {
        assertThat(benchmark.plainClient1(backend)).isEqualTo(HttpClientBenchmark.BODY);
        assertThat(benchmark.plainClient4(backend)).isEqualTo(HttpClientBenchmark.BODY);
        assertThat(benchmark.plainAsync1(backend)).isEqualTo(HttpClientBenchmark.BODY);
        assertThat(benchmark.plainAsync4(backend)).isEqualTo(HttpClientBenchmark.BODY);
      }
      for (String retries : List.of("default", "off")) {
        HttpClientBenchmark.Balanced balanced = new HttpClientBenchmark.Balanced();
        balanced.retries = retries;
        balanced.setUp(backend);
        try {
          int requests = 16;
          for (int i = 0; i < requests / 4; i++) {
            assertThat(benchmark.balancedClient1(balanced))
                .as(retries)
                .isEqualTo(HttpClientBenchmark.BODY);
            assertThat(benchmark.balancedClient4(balanced))
                .as(retries)
                .isEqualTo(HttpClientBenchmark.BODY);
            assertThat(benchmark.balancedAsync1(balanced))
                .as(retries)
                .isEqualTo(HttpClientBenchmark.BODY);
            assertThat(benchmark.balancedAsync4(balanced))
                .as(retries)
                .isEqualTo(HttpClientBenchmark.BODY);
          }
          dev.lb4j.core.PoolStats pool = balanced.lb.stats().pool("api");
          BackendStats server = pool.backend(backend.uri.getAuthority());
          assertThat(server.picks()).as("%s: every request went to the server", retries)
              .isEqualTo(requests);
          assertThat(server.completed()).as(retries).isEqualTo(requests);
          assertThat(server.failures()).as(retries).isZero();
          assertThat(pool.inFlight()).as(retries).isZero();
          assertThat(pool.retries()).as(retries).isZero();
        } finally {
          balanced.tearDown();
        }
      }
    } finally {
      backend.tearDown();
    }
  }

  @Test
  void floorPicksAnElement() {
    FloorBenchmark floor = new FloorBenchmark();
    floor.size = SIZE;
    floor.setUp();
    assertThat(Stream.of(floor.roundRobin1(), floor.random2(), floor.twoChoices1()))
        .allSatisfy(e -> assertThat(e).asString().startsWith("http://" + Workload.HOST + ":"));
  }

  @Test
  void theLeaseFloorReleasesWhatItTakes() {
    FloorBenchmark floor = new FloorBenchmark();
    floor.size = SIZE;
    floor.setUp();
    for (int i = 0; i < PICKS; i++) {
      assertThat(floor.lease1()).isInstanceOf(FloorBenchmark.FloorLease.class);
      assertThat(floor.leaseClock2()).isInstanceOf(FloorBenchmark.FloorLease.class);
    }
    assertThat(floor.inFlightSum()).isZero();
  }

  @Test
  void theMemoryFootprintCountsEveryBackend() {
    // A backend holds at least its URI, its spec and its state: well over 100 bytes.
    long perPool =
        MemoryFootprint.perLoadBalancer(
            100, n -> dev.lb4j.core.algorithm.Algorithms.leastRequest(), true);
    assertThat(perPool).isGreaterThan(100L * 100);
  }

  @Test
  void rebuildsLeaveThePoolAsItWas() {
    RebuildBenchmark benchmark = new RebuildBenchmark();
    RebuildBenchmark.MaglevPool maglev = new RebuildBenchmark.MaglevPool();
    RebuildBenchmark.RingPool ring = new RebuildBenchmark.RingPool();
    RebuildBenchmark.FlipPool flip = new RebuildBenchmark.FlipPool();
    for (RebuildBenchmark.Churn pool : new RebuildBenchmark.Churn[] {maglev, ring, flip}) {
      pool.size = SIZE; // the benchmark's 1,000-backend Maglev takes seconds to build cold
      pool.setUp();
    }
    try {
      benchmark.maglev(maglev);
      benchmark.ringHash(ring);
      benchmark.healthFlip(flip);
      assertThat(maglev.lb.defaultPool().backends()).hasSize(SIZE);
      assertThat(ring.lb.defaultPool().backends()).hasSize(SIZE);
      assertThat(flip.lb.defaultPool().stats().backends())
          .extracting(BackendStats::status)
          .containsOnly(BackendStatus.HEALTHY);
      try (dev.lb4j.core.Lease lease = flip.lb.select(Workload.request(0)).leaseOrThrow()) {
        assertThat(flip.lb.defaultPool().backends()).contains(lease.backend());
      }
      assertThat(flip.lb.defaultPool().stats().inFlight()).isZero();
    } finally {
      for (RebuildBenchmark.Churn pool : new RebuildBenchmark.Churn[] {maglev, ring, flip}) {
        pool.tearDown();
      }
    }
  }

  @Test
  void keysAreDistinctAndRequestsCarryThem() {
    assertThat(Workload.keys()).hasSize(Workload.KEY_COUNT).doesNotHaveDuplicates();
    assertThat(Workload.request(7).header(Workload.KEY_HEADER)).isEqualTo(Workload.key(7));
    assertThat(Workload.next(Workload.KEY_COUNT - 1)).isZero();
  }
}
