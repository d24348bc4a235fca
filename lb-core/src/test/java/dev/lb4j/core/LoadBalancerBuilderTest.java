package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Build-time validation, set-once settings, builder reuse, pool handles and toString. */
class LoadBalancerBuilderTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");

  private static LoadBalancer buildOnePool(Consumer<PoolBuilder> configure) {
    return LoadBalancer.builder().pool("api", configure).build();
  }

  // ---------------------------------------------------------------- backends

  @Test
  void malformedUriIsRejectedWithFieldPathAndValue() {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("http://a").backend("http://exa mple")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.backends[1].uri: 'http://exa mple' is not a valid URI (")
        .hasMessageContaining("expected: an http or https URI");
  }

  @Test
  void nonHttpUriIsRejectedWithFieldPathValueAndWhatIsAllowed() {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("ftp://files.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[0].uri: 'ftp://files.example.com' (expected: an http or https URI"
                + " such as http://10.0.0.7:8080)");
  }

  @Test
  void uriWithoutHostIsRejectedWithFieldPath() {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("http:///only/a/path")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[0].uri: 'http:///only/a/path' has no valid host (expected:"
                + " http[s]://host[:port][/path])");
  }

  @Test
  void uriWithUserInfoIsRejectedWithoutThePassword() {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("https://bob:hunter2@api.example.com")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.backends[0].uri: 'https://***@api.example.com'")
        .hasMessageContaining("has user info")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void uriWithQueryIsRejectedWithFieldPath() {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("http://a/?debug=1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[0].uri: 'http://a/?debug=1' has a query or fragment (expected:"
                + " http[s]://host[:port][/path])");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 70_000})
  void portOutOfRangeIsRejectedWithFieldPathAndPort(int port) {
    assertThatThrownBy(() -> buildOnePool(p -> p.backend("http://a:" + port)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[0].uri: 'http://a:"
                + port
                + "' has port "
                + port
                + " (expected: 1..65535)");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -3, 10_001})
  void weightOutOfRangeIsRejectedWithItsIndexedFieldPath(int weight) {
    assertThatThrownBy(
            () ->
                buildOnePool(
                    p ->
                        p.backend("http://a")
                            .backend("http://b")
                            .backend("http://c", weight)
                            .algorithm(Algorithms.weightedRoundRobin())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.backends[2].weight: " + weight + " (expected: 1..10000)");
  }

  @Test
  void duplicateBackendIdIsRejectedNamingBothPositions() {
    assertThatThrownBy(
            () ->
                buildOnePool(p -> p.backend("http://a:80").backend("http://b").backend("http://A")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[2].id: 'a:80' (expected: unique in the pool; backends[0] has it)");
  }

  @Test
  void duplicateExplicitIdIsRejectedToo() {
    assertThatThrownBy(
            () ->
                buildOnePool(
                    p ->
                        p.backend(BackendSpec.builder("http://a").id("node").build())
                            .backend(BackendSpec.builder("http://b").id("node").build())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[1].id: 'node' (expected: unique in the pool; backends[0] has it)");
  }

  @Test
  void unequalWeightsUnderAnUnweightedAlgorithmAreRejectedAtBuild() {
    assertThatThrownBy(
            () ->
                buildOnePool(
                    p ->
                        p.backend("http://a", 2)
                            .backend("http://b", 2)
                            .backend("http://c", 5)
                            .algorithm(Algorithms.roundRobin())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.backends[2].weight: 5 (expected: 2 like the others, because algorithm"
                + " 'round_robin' ignores weights; choose a weighted algorithm)");
  }

  // ---------------------------------------------------------------- pools

  @Test
  void emptyPoolIsRejected() {
    assertThatThrownBy(() -> buildOnePool(p -> p.algorithm(Algorithms.roundRobin())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.backends: empty (expected: at least one backend)");
  }

  @Test
  void noPoolsIsRejected() {
    assertThatThrownBy(() -> LoadBalancer.builder().build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools: empty (expected: at least one pool)");
  }

  @Test
  void unknownDefaultPoolIsRejectedListingTheKnownOnes() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool("api", p -> p.backend("http://a"))
                    .pool("web", p -> p.backend("http://w"))
                    .defaultPool("apj")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("defaultPool: 'apj' (expected: one of [api, web])");
  }

  @Test
  void severalPoolsWithoutDefaultRouteOnlyByHost() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a"))
            .pool("web", p -> p.backend("http://w"))
            .build()) {
      Selection none = lb.select(RequestView.of("GET", "/"));
      assertThat(none).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) none).reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
      assertThat(((NoBackend) none).message())
          .isEqualTo("no routing rule matched and there is no default pool (pools: [api, web])");
      try (Lease lease =
          lb.selectByHost(RequestView.builder().host("web").path("/x").build()).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("web");
      }
      Explanation explained =
          lb.explainByHost(RequestView.builder().host("web").path("/x").build());
      assertThat(explained.toString()).contains("host 'web' names pool web");
      assertThat(explained.backend()).extracting(Backend::id).isEqualTo("w:80");
      assertThat(lb.explainByHost(RequestView.builder().host("example.com").build()).toString())
          .contains("host 'example.com' names no pool (pools: [api, web]): NO_ROUTE");
      Selection unknown = lb.selectByHost(RequestView.builder().host("example.com").build());
      assertThat(((NoBackend) unknown).message())
          .isEqualTo("host 'example.com' names no pool and no routing rule matches the request GET"
              + " / (pools: [api, web])");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "has space",
        ".dot-first",
        "-dash-first",
        "dotted.name",
        "slash/name",
        "caf\u00e9",
        "x12345678901234567890123456789012345678901234567890123456789012345"
      })
  void invalidPoolNameIsRejectedWithTheName(String name) {
    assertThatThrownBy(() -> LoadBalancer.builder().pool(name, p -> p.backend("http://a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools: name '"
                + name
                + "' (expected: 1 to 64 letters, digits, '_' or '-', starting with a letter or"
                + " digit)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a",
        "api",
        "API_v2-internal_1",
        "0",
        "x123456789012345678901234567890123456789012345678901234567890123"
      })
  void validPoolNamesAreAccepted(String name) {
    try (LoadBalancer lb = LoadBalancer.builder().pool(name, p -> p.backend("http://a")).build()) {
      assertThat(lb.poolNames()).containsExactly(name);
    }
  }

  @Test
  void duplicatePoolNameIsRejected() {
    LoadBalancerBuilder builder = LoadBalancer.builder().pool("api", p -> p.backend("http://a"));

    assertThatThrownBy(() -> builder.pool("api", p -> p.backend("http://b")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api was already defined");
  }

  @Test
  void hashingAlgorithmWithoutHashKeyIsRejected() {
    assertThatThrownBy(
            () -> buildOnePool(p -> p.backend("http://a").algorithm(Algorithms.maglev())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.hashKey: not set")
        .hasMessageContaining("algorithm 'maglev' hashes");
  }

  @Test
  void hashKeyWithANonHashingAlgorithmIsRejected() {
    assertThatThrownBy(
            () -> buildOnePool(p -> p.backend("http://a").hashKey(HashKey.header("X-User"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "pools.api.hashKey: header(X-User) (expected: not set, because algorithm"
                + " 'weighted_round_robin' does not hash)");
  }

  // ---------------------------------------------------------------- set-once settings

  @Test
  void secondAlgorithmCallThrowsNamingTheSetting() {
    assertThatThrownBy(
            () ->
                buildOnePool(
                    p -> p.algorithm(Algorithms.roundRobin()).algorithm(Algorithms.random())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api.algorithm was already set to round_robin");
  }

  @Test
  void secondHashKeyCallThrowsNamingTheSetting() {
    assertThatThrownBy(
            () -> buildOnePool(p -> p.hashKey(HashKey.header("X-User")).hashKey(HashKey.path())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api.hashKey was already set to header(X-User)");
  }

  @Test
  void secondDefaultPoolCallThrowsNamingTheSetting() {
    assertThatThrownBy(() -> LoadBalancer.builder().defaultPool("a").defaultPool("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("defaultPool was already set to 'a'");
  }

  @Test
  void secondTickerCallThrowsNamingTheSetting() {
    assertThatThrownBy(() -> LoadBalancer.builder().ticker(() -> 1).ticker(Ticker.system()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("ticker was already set");
  }

  @Test
  void secondLatencyDecayCallThrowsNamingTheSetting() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .latencyDecay(Duration.ofSeconds(1))
                    .latencyDecay(Duration.ofSeconds(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("latencyDecay was already set to PT1S");
  }

  @Test
  void latencyDecayOutOfRangeIsRejectedWithTheValue() {
    assertThatThrownBy(() -> LoadBalancer.builder().latencyDecay(Duration.ofNanos(999_999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyDecay: PT0.000999999S (expected: PT0.001S..PT1H)");
    assertThatThrownBy(() -> LoadBalancer.builder().latencyDecay(Duration.ofMinutes(61)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyDecay: PT1H1M (expected: PT0.001S..PT1H)");
    LoadBalancer.builder().latencyDecay(Duration.ofMillis(1));
    LoadBalancer.builder().latencyDecay(Duration.ofHours(1));
  }

  // ---------------------------------------------------------------- build, handles, toString

  @Test
  void buildLeavesTheBuilderUsableAndEachBuildIsIndependent() {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a").backend("http://b"))
            .pool("web", p -> p.backend("http://w"))
            .defaultPool("api");

    LoadBalancer first = builder.build();
    try (LoadBalancer second = builder.build()) {
      assertThat(first).isNotSameAs(second);
      try (Lease lease = first.select(REQUEST).leaseOrThrow()) {
        assertThat(first.stats().pool("api").inFlight()).isEqualTo(1);
        assertThat(second.stats().pool("api").inFlight()).isZero();
        lease.complete(200);
      }
      first.admin().removeBackend("api", "a:80");
      first.admin().drain("web", "w:80");
      first.close();

      assertThat(second.isClosed()).isFalse();
      assertThat(second.pool("api").backends())
          .extracting(Backend::id)
          .containsExactly("a:80", "b:80");
      assertThat(second.stats().pool("web").backend("w:80").status())
          .isEqualTo(BackendStatus.HEALTHY);
      assertThat(second.stats().pool("api").backends())
          .allSatisfy(b -> assertThat(b.picks()).as(b.id()).isZero());
      try (Lease lease = second.pool("web").select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("w:80");
      }
    } finally {
      first.close();
    }
  }

  @Test
  void failedBuildLeavesTheBuilderUsable() {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a"))
            .route("to-web", r -> r.pathPrefix("/web/").toPool("web"));

    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class);
    builder.pool("web", p -> p.backend("http://w")).defaultPool("web");

    try (LoadBalancer lb = builder.build()) {
      assertThat(lb.defaultPool().name()).isEqualTo("web");
    }
  }

  @Test
  void selectUsesTheDefaultPool() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a"))
            .pool("web", p -> p.backend("http://w"))
            .defaultPool("web")
            .build()) {
      assertThat(lb.defaultPool().name()).isEqualTo("web");
      assertThat(lb.poolNames()).containsExactly("api", "web");
      try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("web");
        assertThat(lease.backend().id()).isEqualTo("w:80");
      }
      try (Lease lease = lb.pool("api").select(REQUEST).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("api");
      }
    }
  }

  @Test
  void singlePoolIsTheDefaultWithoutSayingSo() {
    try (LoadBalancer lb = buildOnePool(p -> p.backend("http://a"))) {
      assertThat(lb.defaultPool().name()).isEqualTo("api");
      assertThat(lb.defaultPool().algorithm().name())
          .as("the default algorithm")
          .isEqualTo("weighted_round_robin");
    }
  }

  @Test
  void unknownPoolHandleIsRejectedListingTheKnownPools() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a"))
            .pool("web", p -> p.backend("http://w"))
            .defaultPool("api")
            .build()) {
      assertThatThrownBy(() -> lb.pool("x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("pool: 'x' (expected one of [api, web])");
      assertThatThrownBy(() -> lb.stats().pool("x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("pool: 'x' (expected one of [api, web])");
      assertThatThrownBy(() -> lb.stats().pool("api").backend("nope:80"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("backend: 'nope:80' is not in pool 'api'");
    }
  }

  @Test
  void toStringShowsPoolsAlgorithmsHashKeysAndBackends() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p ->
                    p.backend("http://10.0.0.1:8080")
                        .backend("http://10.0.0.2:8080", 3)
                        .algorithm(Algorithms.leastRequest()))
            .pool(
                "sessions",
                p ->
                    p.backend("http://s1")
                        .algorithm(Algorithms.maglev(7))
                        .hashKey(HashKey.cookie("sid")))
            .defaultPool("api")
            .build()) {
      assertThat(lb.toString())
          .startsWith("LoadBalancer{default=api, pools=[")
          .contains("api: least_request(fullScanMax=16, activeRequestBias=1.0)")
          .contains("backends=[10.0.0.1:8080, 10.0.0.2:8080]")
          .contains("sessions: maglev(tableSize=7), hashKey=cookie(sid), backends=[s1:80]");
    }
  }

  @Test
  void statsReportConfigurationAndStartAtZero() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p ->
                    p.backend(BackendSpec.builder("http://a:81").weight(4).zone("z").build())
                        .algorithm(Algorithms.peakEwma()))
            .ticker(() -> 42L)
            .build()) {
      LoadBalancerStats stats = lb.stats();

      assertThat(stats.tickerNanos()).isEqualTo(42L);
      assertThat(stats.pools()).containsOnlyKeys("api");
      PoolStats pool = stats.pool("api");
      assertThat(pool.name()).isEqualTo("api");
      assertThat(pool.algorithm()).isEqualTo("peak_ewma");
      assertThat(pool.inFlight()).isZero();
      assertThat(pool.noBackend()).isZero();
      assertThat(pool.hashKeyMisses()).isZero();
      assertThat(pool.algorithmErrors()).isZero();
      assertThat(pool.backends())
          .containsExactly(
              new BackendStats(
                  "a:81", "http://a:81", 4, "z", BackendStatus.HEALTHY, "configured", 0, 0, 0, 0, 0, 0,
                  0));
      assertThatThrownBy(() -> stats.pools().clear())
          .isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> pool.backends().clear())
          .isInstanceOf(UnsupportedOperationException.class);
    }
  }
}
