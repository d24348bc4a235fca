package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The runtime admin API: validation, its effect on pools, and behaviour after close. */
class AdminTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final LoadBalancer lb =
      engine.balancer(
          b ->
              b.pool(
                      "api",
                      pool ->
                          pool.backend("http://a")
                              .backend("http://b")
                              .algorithm(Algorithms.leastRequest()))
                  .pool("web", pool -> pool.backend("http://w").algorithm(Algorithms.roundRobin()))
                  .defaultPool("api"));
  private final Admin admin = lb.admin();

  static Stream<Arguments> adminCalls() {
    return Stream.of(
        Arguments.of(
            "addBackend", (PoolCall) (a, p) -> a.addBackend(p, BackendSpec.of("http://n"))),
        Arguments.of("removeBackend", (PoolCall) (a, p) -> a.removeBackend(p, "a:80")),
        Arguments.of("setWeight", (PoolCall) (a, p) -> a.setWeight(p, "a:80", 2)),
        Arguments.of("drain", (PoolCall) (a, p) -> a.drain(p, "a:80")),
        Arguments.of("undrain", (PoolCall) (a, p) -> a.undrain(p, "a:80")));
  }

  /** An admin call on a pool name. */
  @FunctionalInterface
  interface PoolCall {
    void call(Admin admin, String pool);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adminCalls")
  void unknownPoolIsRejectedNamingItAndTheKnownPools(String method, PoolCall call) {
    assertThatThrownBy(() -> call.call(admin, "nope"))
        .as(method)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pool: 'nope' (expected one of [api, web])");
  }

  static Stream<Arguments> backendCalls() {
    return Stream.of(
        Arguments.of("removeBackend", (Consumer<Admin>) a -> a.removeBackend("api", "x:80")),
        Arguments.of("setWeight", (Consumer<Admin>) a -> a.setWeight("api", "x:80", 2)),
        Arguments.of("drain", (Consumer<Admin>) a -> a.drain("api", "x:80")),
        Arguments.of("undrain", (Consumer<Admin>) a -> a.undrain("api", "x:80")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backendCalls")
  void unknownBackendIsRejectedNamingItThePoolAndTheKnownIds(String method, Consumer<Admin> call) {
    assertThatThrownBy(() -> call.accept(admin))
        .as(method)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backend id: 'x:80' is not in pool 'api' (expected one of [a:80, b:80])");
  }

  @Test
  void addingADuplicateIdIsRejectedAndThePoolIsUnchanged() {
    assertThatThrownBy(
            () -> admin.addBackend("api", BackendSpec.builder("http://other").id("a:80").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("backend id: 'a:80' (expected: unique in pool 'api')");

    assertThat(lb.pool("api").backends()).extracting(Backend::id).containsExactly("a:80", "b:80");
    assertThat(lb.pool("api").backends().get(0).uri().toString()).isEqualTo("http://a:80");
  }

  @Test
  void addedBackendIsSelectable() {
    admin.addBackend("api", BackendSpec.builder("http://n:8080").weight(3).zone("z1").build());

    BackendStats added = lb.stats().pool("api").backend("n:8080");
    assertThat(added.uri()).isEqualTo("http://n:8080");
    assertThat(added.weight()).isEqualTo(3);
    assertThat(added.zone()).isEqualTo("z1");
    assertThat(added.status()).isEqualTo(BackendStatus.HEALTHY);
    admin.drain("api", "a:80");
    admin.drain("api", "b:80");
    try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
      assertThat(lease.backend().id()).isEqualTo("n:8080");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -3, 10_001})
  void weightOutOfRangeIsRejectedWithFieldPathAndValue(int weight) {
    assertThatThrownBy(() -> admin.setWeight("api", "a:80", weight))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.backends.a:80.weight: " + weight + " (expected: 1..10000)");

    assertThat(lb.stats().pool("api").backend("a:80").weight()).isEqualTo(1);
  }

  @Test
  void setWeightChangesTheBackendsWeight() {
    admin.setWeight("api", "b:80", 10_000);
    admin.setWeight("api", "a:80", 1);

    assertThat(lb.stats().pool("api").backend("b:80").weight()).isEqualTo(10_000);
    assertThat(lb.pool("api").backends().get(1).weight()).isEqualTo(10_000);
  }

  @Test
  void unequalWeightUnderAnUnweightedAlgorithmIsRejectedAndNothingChanges() {
    admin.addBackend("web", BackendSpec.of("http://w2"));

    assertThatThrownBy(() -> admin.setWeight("web", "w2:80", 5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.web.backends[1].weight: 5 (expected: 1 like the others")
        .hasMessageContaining("'round_robin' ignores weights");
    assertThatThrownBy(
            () -> admin.addBackend("web", BackendSpec.builder("http://w3").weight(2).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.web.backends[2].weight: 2");

    assertThat(lb.stats().pool("web").backends())
        .extracting(BackendStats::weight)
        .containsExactly(1, 1);
  }

  @Test
  void afterCloseSelectionReturnsClosedForEveryPool() {
    Pool web = lb.pool("web");
    lb.close();

    assertThat(lb.isClosed()).isTrue();
    for (Selection selection :
        List.of(lb.select(REQUEST), lb.select(REQUEST, List.of()), web.select(REQUEST))) {
      assertThat(selection).isInstanceOf(NoBackend.class);
      NoBackend none = (NoBackend) selection;
      assertThat(none.reason()).as(none.pool()).isEqualTo(NoBackend.Reason.CLOSED);
      assertThat(none.message()).as(none.pool()).contains("load balancer closed");
    }
    assertThatThrownBy(() -> lb.select(REQUEST).leaseOrThrow())
        .isInstanceOf(NoBackendAvailableException.class)
        .hasMessage("pool 'api': load balancer closed");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("adminCalls")
  void afterCloseAdminCallsThrowIllegalState(String method, PoolCall call) {
    lb.close();

    assertThatThrownBy(() -> call.call(admin, "api"))
        .as(method)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is closed");
  }

  @Test
  void leasesOpenAtCloseStillCompleteAndStatsStayReadable() {
    Lease lease = lb.select(REQUEST).leaseOrThrow();
    try {
      lb.close();
      lb.close();

      assertThat(lease.isOpen()).isTrue();
      assertThat(lease.complete(200)).isTrue();
    } finally {
      lease.close();
    }
    PoolStats stats = lb.stats().pool("api");
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.backend(lease.backend().id()).completed()).isEqualTo(1);
    assertThat(lb.pool("api").backends()).hasSize(2);
  }
}
