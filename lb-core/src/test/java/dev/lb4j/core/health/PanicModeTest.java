package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.GET;
import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static dev.lb4j.core.health.PassiveTestSupport.complete;
import static dev.lb4j.core.health.PassiveTestSupport.id;
import static dev.lb4j.core.health.PassiveTestSupport.pickCounts;
import static dev.lb4j.core.health.PassiveTestSupport.status;
import static dev.lb4j.core.health.PassiveTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb4j.api.HealthResult;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Panic mode: when fewer than the panic threshold (default 50%) of the backends that are neither
 * disabled nor draining are healthy, the pool balances over all of them ({@link
 * PanicMode#BALANCE_ALL}) or fails fast ({@link PanicMode#FAIL_FAST}). Backends are taken out of
 * service by outlier detection with one failure and no cap, or by an active check with a scripted
 * probe.
 */
class PanicModeTest {

  /** Ejects on one failure; any number of backends may be ejected. */
  private static final OutlierDetection EJECT_AT_ONCE =
      OutlierDetection.builder().consecutiveFailures(1).maxEjectionPercent(100).build();

  private static final Duration BASE = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final HealthEventLog events = engine.events();

  private LoadBalancer balancer(int backends, Consumer<PoolBuilder> configure) {
    return engine.pool(
        POOL,
        p -> {
          for (int i = 0; i < backends; i++) {
            p.backend(uri(i));
          }
          configure.accept(p);
        });
  }

  private void eject(LoadBalancer lb, int... backends) {
    for (int i : backends) {
      complete(clock, lb, id(i), 503, 1);
      assertThat(status(lb, id(i))).isEqualTo(BackendStatus.EJECTED);
    }
  }

  /**
   * Round robin on one thread cycles strictly through the available backends, so over {@code n}
   * picks each of {@code k} gets n/k, give or take one.
   */
  private static void assertRoundRobinOver(Map<String, Integer> counts, int n, int... backends) {
    String[] ids = new String[backends.length];
    for (int i = 0; i < backends.length; i++) {
      ids[i] = id(backends[i]);
    }
    assertThat(counts).containsOnlyKeys(ids);
    for (String id : ids) {
      assertThat(counts.get(id)).as(id).isCloseTo(n / backends.length, within(1));
    }
  }

  @Test
  void balanceAllSpreadsOverEveryBackendWhileTooFewAreHealthy() {
    LoadBalancer lb =
        balancer(5, p -> p.algorithm(Algorithms.roundRobin()).outlierDetection(EJECT_AT_ONCE));
    eject(lb, 0, 1);
    assertThat(lb.stats().pool(POOL).panic()).as("3 of 5 healthy").isFalse();
    assertThat(events.panicChanges()).isEmpty();

    long enteredAt = clock.nanoTime();
    eject(lb, 2);
    assertThat(lb.stats().pool(POOL).panic()).as("2 of 5 healthy").isTrue();
    assertThat(events.panicChanges())
        .containsExactly(
            new HealthEvent.PanicChanged(
                POOL, true, 2, 5, "2 of 5 backends healthy, below the panic threshold of 50%",
                enteredAt));

    assertRoundRobinOver(pickCounts(lb, 10_000), 10_000, 0, 1, 2, 3, 4);
    for (int i = 0; i < 3; i++) {
      assertThat(status(lb, id(i))).as("panic does not change states").isEqualTo(BackendStatus.EJECTED);
    }

    clock.advance(BASE); // all three ejections end: the first return already ends the panic
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    List<HealthEvent.PanicChanged> changes = events.panicChanges();
    assertThat(changes).hasSize(2);
    HealthEvent.PanicChanged left = changes.get(1);
    assertThat(left.panic()).isFalse();
    assertThat(left.healthy()).isEqualTo(3);
    assertThat(left.eligible()).isEqualTo(5);
    assertThat(left.nanoTime()).isEqualTo(enteredAt + BASE.toNanos());
    assertThat(left.reason()).contains("3 of 5").contains("50%");
    assertRoundRobinOver(pickCounts(lb, 10_000), 10_000, 0, 1, 2, 3, 4);
  }

  @Test
  void balanceAllWithRandomPicksSpreadsEvenly() {
    LoadBalancer lb =
        balancer(5, p -> p.algorithm(Algorithms.random()).outlierDetection(EJECT_AT_ONCE));
    eject(lb, 0, 1, 2);
    int n = 10_000;
    Map<String, Integer> counts = pickCounts(lb, n);
    // Each pick lands on a given backend with p = 1/5: Binomial(10000, 0.2) has mean 2000 and
    // sigma sqrt(10000 * 0.2 * 0.8) = 40. 6 sigma = 240 keeps a false failure below 1e-8 per backend.
    assertThat(counts).hasSize(5);
    for (int i = 0; i < 5; i++) {
      assertThat(counts.get(id(i))).as(id(i)).isCloseTo(n / 5, within(240));
    }
  }

  @Test
  void panicFromAnActiveHealthCheck() {
    Set<String> down = ConcurrentHashMap.newKeySet();
    down.addAll(List.of(id(0), id(1), id(2)));
    HealthCheck check =
        HealthCheck.builder(
                (b, timeout) ->
                    CompletableFuture.completedFuture(
                        down.contains(b.id())
                            ? HealthResult.unhealthy("scripted down")
                            : HealthResult.healthy()))
            .jitter(0)
            .unhealthyThreshold(1)
            .healthyThreshold(1)
            .build();
    LoadBalancer lb = balancer(5, p -> p.algorithm(Algorithms.roundRobin()).healthCheck(check));
    clock.runDue(); // the first probes run at once without jitter
    for (int i = 0; i < 3; i++) {
      assertThat(status(lb, id(i))).isEqualTo(BackendStatus.UNHEALTHY);
    }
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
    assertThat(events.panicChanges())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.panic()).isTrue();
              assertThat(e.healthy()).isEqualTo(2);
              assertThat(e.eligible()).isEqualTo(5);
            });
    assertRoundRobinOver(pickCounts(lb, 10_000), 10_000, 0, 1, 2, 3, 4);

    down.clear();
    clock.advance(HealthCheck.DEFAULT_INTERVAL);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertThat(events.panicChanges())
        .extracting(HealthEvent.PanicChanged::panic)
        .containsExactly(true, false);
    assertThat(events.panicChanges().get(1).healthy()).isEqualTo(3);
  }

  @Test
  void threeOfFiveHealthyIsNoPanic() {
    LoadBalancer lb =
        balancer(5, p -> p.algorithm(Algorithms.roundRobin()).outlierDetection(EJECT_AT_ONCE));
    eject(lb, 0, 1);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertRoundRobinOver(pickCounts(lb, 9_000), 9_000, 2, 3, 4);
    assertThat(events.panicChanges()).isEmpty();
  }

  @Test
  void exactlyAtTheThresholdIsNoPanic() {
    // 2 of 4 = 50%: panic needs fewer than 50%.
    LoadBalancer lb =
        balancer(4, p -> p.algorithm(Algorithms.roundRobin()).outlierDetection(EJECT_AT_ONCE));
    eject(lb, 0, 1);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertRoundRobinOver(pickCounts(lb, 1_000), 1_000, 2, 3);
    eject(lb, 2);
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
  }

  @Test
  void failFastAnswersTooFewHealthyWithTheNumbers() {
    LoadBalancer lb =
        balancer(
            5,
            p ->
                p.algorithm(Algorithms.roundRobin())
                    .outlierDetection(EJECT_AT_ONCE)
                    .panicMode(PanicMode.FAIL_FAST));
    eject(lb, 0, 1, 2);
    long noBackendBefore = lb.stats().pool(POOL).noBackend();

    Selection s = lb.select(GET);
    assertThat(s).isInstanceOf(NoBackend.class);
    NoBackend none = (NoBackend) s;
    assertThat(none.reason()).isEqualTo(NoBackend.Reason.TOO_FEW_HEALTHY);
    assertThat(none.pool()).isEqualTo(POOL);
    assertThat(none.message())
        .contains("'" + POOL + "'")
        .contains("2 of 5")
        .contains("50%");
    assertThatThrownBy(() -> lb.select(GET).leaseOrThrow())
        .isInstanceOfSatisfying(
            NoBackendAvailableException.class,
            e -> {
              assertThat(e.noBackend().reason()).isEqualTo(NoBackend.Reason.TOO_FEW_HEALTHY);
              assertThat(e.getMessage()).isEqualTo(none.message());
            });
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
    assertThat(lb.stats().pool(POOL).noBackend()).isEqualTo(noBackendBefore + 2);
    for (int i = 0; i < 5; i++) {
      assertThat(lb.stats().pool(POOL).backend(id(i)).inFlight()).isZero();
    }
    assertThat(events.panicChanges())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.panic()).isTrue();
              assertThat(e.healthy()).isEqualTo(2);
              assertThat(e.eligible()).isEqualTo(5);
            });

    clock.advance(BASE);
    Selection after = lb.select(GET);
    assertThat(after).isInstanceOf(Lease.class);
    ((Lease) after).close();
  }

  @Test
  void failFastOutsidePanicServesTheHealthyOnes() {
    LoadBalancer lb =
        balancer(
            5,
            p ->
                p.algorithm(Algorithms.roundRobin())
                    .outlierDetection(EJECT_AT_ONCE)
                    .panicMode(PanicMode.FAIL_FAST));
    eject(lb, 0, 1);
    assertRoundRobinOver(pickCounts(lb, 3_000), 3_000, 2, 3, 4);
  }

  @Test
  void thresholdZeroNeverPanics() {
    LoadBalancer lb =
        balancer(
            5,
            p ->
                p.algorithm(Algorithms.roundRobin())
                    .outlierDetection(EJECT_AT_ONCE)
                    .panicThreshold(0));
    eject(lb, 0, 1, 2, 3);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertRoundRobinOver(pickCounts(lb, 100), 100, 4);

    eject(lb, 4);
    Selection s = lb.select(GET);
    assertThat(s).isInstanceOf(NoBackend.class);
    assertThat(((NoBackend) s).reason()).isEqualTo(NoBackend.Reason.NONE_AVAILABLE);
    assertThat(((NoBackend) s).message()).contains("none of 5");
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertThat(events.panicChanges()).isEmpty();
  }

  @Test
  void thresholdHundredPanicsAsSoonAsOneIsOut() {
    LoadBalancer lb =
        balancer(
            5,
            p ->
                p.algorithm(Algorithms.roundRobin())
                    .outlierDetection(EJECT_AT_ONCE)
                    .panicThreshold(100));
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    eject(lb, 0);
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
    assertThat(events.panicChanges()).singleElement().satisfies(e -> assertThat(e.healthy()).isEqualTo(4));
    assertRoundRobinOver(pickCounts(lb, 5_000), 5_000, 0, 1, 2, 3, 4);
  }

  @Test
  void drainedAndDisabledBackendsAreNotCountedAsUnhealthy() {
    LoadBalancer lb =
        balancer(5, p -> p.algorithm(Algorithms.roundRobin()).outlierDetection(EJECT_AT_ONCE));
    lb.admin().disable(POOL, id(4));
    lb.admin().drain(POOL, id(3));
    eject(lb, 2);
    // 2 of 3 eligible backends are healthy (67%); counting the admin ones would make it 2 of 5.
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    assertRoundRobinOver(pickCounts(lb, 1_000), 1_000, 0, 1);
  }

  @Test
  void drainedAndDisabledBackendsGetNoTrafficInPanic() {
    LoadBalancer lb =
        balancer(5, p -> p.algorithm(Algorithms.roundRobin()).outlierDetection(EJECT_AT_ONCE));
    lb.admin().disable(POOL, id(4));
    lb.admin().drain(POOL, id(3));
    eject(lb, 1, 2);
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
    assertThat(events.panicChanges())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.healthy()).isEqualTo(1);
              assertThat(e.eligible()).isEqualTo(3);
            });
    assertRoundRobinOver(pickCounts(lb, 9_000), 9_000, 0, 1, 2);

    // Draining an ejected backend takes it out of the count: 1 of 2 is 50%, the panic ends.
    lb.admin().drain(POOL, id(2));
    assertThat(status(lb, id(2))).isEqualTo(BackendStatus.DRAINING);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
    HealthEvent.PanicChanged left = events.panicChanges().get(1);
    assertThat(left.panic()).isFalse();
    assertThat(left.healthy()).isEqualTo(1);
    assertThat(left.eligible()).isEqualTo(2);
    assertRoundRobinOver(pickCounts(lb, 1_000), 1_000, 0);
  }

  @Test
  void panicWithConsistentHashingKeepsTheFullRing() {
    LoadBalancer lb =
        balancer(
            5,
            p ->
                p.algorithm(Algorithms.ringHash())
                    .hashKey(HashKey.header("X-User"))
                    .outlierDetection(EJECT_AT_ONCE));
    int keys = 2_000;
    Map<String, String> healthyPlacement = placement(lb, keys);
    assertThat(Set.copyOf(healthyPlacement.values())).hasSize(5);

    // Two ejected, no panic: their keys move, nobody's key lands on them.
    eject(lb, 0, 1);
    Map<String, String> twoOut = placement(lb, keys);
    assertThat(twoOut.values()).doesNotContain(id(0), id(1));

    // Three ejected: panic hashes over all five again, so every key is where it was when all were
    // healthy (the ring depends only on the backends' ids and weights).
    eject(lb, 2);
    assertThat(lb.stats().pool(POOL).panic()).isTrue();
    Map<String, String> panic = placement(lb, keys);
    assertThat(panic).isEqualTo(healthyPlacement);
    assertThat(placement(lb, keys)).as("and stays there").isEqualTo(panic);
  }

  /** Where each of {@code keys} user keys is placed. */
  private static Map<String, String> placement(LoadBalancer lb, int keys) {
    Map<String, String> placed = new HashMap<>();
    for (int k = 0; k < keys; k++) {
      String user = "user-" + k;
      RequestView request = RequestView.builder().method("GET").path("/").header("X-User", user).build();
      try (Lease lease = lb.select(request).leaseOrThrow()) {
        placed.put(user, lease.backend().id());
      }
    }
    return placed;
  }
}
