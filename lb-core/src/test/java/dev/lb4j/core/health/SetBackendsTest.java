package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.WINDOW;
import static dev.lb4j.core.health.HealthFixtures.picksOf;
import static dev.lb4j.core.health.HealthFixtures.sixSigma;
import static dev.lb4j.core.health.HealthFixtures.stats;
import static dev.lb4j.core.health.HealthFixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code Admin.setBackends}: a reload of the same list changes nothing (no ramp restarts), a weight
 * change keeps a backend's state, any other change replaces it, missing ids go, and invalid input
 * changes nothing.
 */
class SetBackendsTest {

  private static final int PICKS = 20_000;
  private static final String NEW = "new:80";

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final HealthEventLog events = engine.events();

  private LoadBalancer build(Algorithm algorithm) {
    return engine.pool(
        "api",
        p -> {
          for (BackendSpec spec : oldFour()) {
            p.backend(spec);
          }
          p.algorithm(algorithm).slowStart(SlowStart.linear(WINDOW));
        });
  }

  /** Freshly built specs every call, so "the same list" is equal by value, not the same objects. */
  private static List<BackendSpec> oldFour() {
    List<BackendSpec> specs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      specs.add(BackendSpec.of("http://b" + i + ":80"));
    }
    return specs;
  }

  private static List<BackendSpec> withNew(int weight) {
    List<BackendSpec> specs = oldFour();
    specs.add(BackendSpec.builder("http://new:80").weight(weight).build());
    return specs;
  }

  /** The new backend's picks under weighted random: {@code f w / (4 + f w)}. */
  private static void assertShare(LoadBalancer lb, double f, int weight) {
    double p = f * weight / (4 + f * weight);
    assertThat((double) picksOf(lb.defaultPool(), NEW, PICKS))
        .as("picks of the new backend at f = %s, weight %d", f, weight)
        .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
  }

  @Test
  void applyingTheSameListAgainDoesNotRestartTheRampOrPublishAnything() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().setBackends("api", withNew(1));
    BackendStats added = stats(lb, "api", NEW);
    assertThat(added.status()).isEqualTo(BackendStatus.WARMING);
    assertThat(added.statusReason()).isEqualTo("added; slow start over PT1M40S");
    clock.advance(Duration.ofSeconds(50));
    assertShare(lb, 0.5, 1);

    int mark = events.mark();
    lb.admin().setBackends("api", withNew(1));
    lb.admin().setBackends("api", withNew(1));
    assertThat(events.statusChangesSince(mark)).as("no event for an unchanged list").isEmpty();
    assertThat(stats(lb, "api", NEW).status()).isEqualTo(BackendStatus.WARMING);
    assertThat(stats(lb, "api", NEW).statusReason()).isEqualTo(added.statusReason());
    assertShare(lb, 0.5, 1); // not back to 0.1

    clock.advance(Duration.ofSeconds(50)); // the window ends when it would have anyway
    assertThat(status(lb, "api", NEW)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(events.statusChangesSince(mark))
        .extracting(HealthEvent.StatusChanged::backendId, HealthEvent.StatusChanged::to)
        .containsExactly(tuple(NEW, BackendStatus.HEALTHY));

    mark = events.mark();
    lb.admin().setBackends("api", withNew(1));
    assertThat(status(lb, "api", NEW)).as("a healthy backend is not ramped again")
        .isEqualTo(BackendStatus.HEALTHY);
    assertThat(events.statusChangesSince(mark)).isEmpty();
    assertShare(lb, 1.0, 1);
  }

  @Test
  void reapplyingKeepsHealthStateAndOpenLeasesCounted() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().drain("api", "b1:80");
    Lease open = lb.defaultPool().select(HealthFixtures.GET).leaseOrThrow();
    String leased = open.backend().id();
    long picksBefore = stats(lb, "api", leased).picks();
    lb.admin().setBackends("api", oldFour());
    assertThat(status(lb, "api", "b1:80")).as("still drained").isEqualTo(BackendStatus.DRAINING);
    assertThat(stats(lb, "api", leased).inFlight()).isEqualTo(1);
    assertThat(stats(lb, "api", leased).picks()).isEqualTo(picksBefore);
    open.complete(200);
    assertThat(stats(lb, "api", leased).completed()).isEqualTo(1);
  }

  @Test
  void aChangedWeightKeepsTheBackendsStateAndRamp() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().setBackends("api", withNew(1));
    String reason = stats(lb, "api", NEW).statusReason();
    clock.advance(Duration.ofSeconds(50));

    int mark = events.mark();
    lb.admin().setBackends("api", withNew(3));
    BackendStats reweighted = stats(lb, "api", NEW);
    assertThat(reweighted.weight()).isEqualTo(3);
    assertThat(reweighted.status()).isEqualTo(BackendStatus.WARMING);
    assertThat(reweighted.statusReason()).isEqualTo(reason);
    assertThat(events.statusChangesSince(mark)).isEmpty();
    assertShare(lb, 0.5, 3);

    clock.advance(Duration.ofSeconds(50));
    assertThat(status(lb, "api", NEW)).isEqualTo(BackendStatus.HEALTHY);
    assertShare(lb, 1.0, 3);

    // A healthy backend re-weighted stays healthy at once: no ramp.
    List<BackendSpec> heavier = withNew(3);
    heavier.set(0, BackendSpec.builder("http://b0:80").weight(2).build());
    lb.admin().setBackends("api", heavier);
    assertThat(stats(lb, "api", "b0:80").weight()).isEqualTo(2);
    assertThat(status(lb, "api", "b0:80")).isEqualTo(BackendStatus.HEALTHY);
  }

  static Stream<Arguments> replacements() {
    return Stream.of(
        Arguments.of("another host", "http://elsewhere:8080"),
        Arguments.of("the same host and port, another scheme", "https://new:80"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replacements")
  void aChangedUriForTheSameIdReplacesTheBackendWithANewRamp(
      String what, String newUri) {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().setBackends("api", withNew(1));
    clock.advance(Duration.ofSeconds(50));
    assertShare(lb, 0.5, 1);
    Lease open = leaseOn(lb, NEW);

    List<BackendSpec> moved = oldFour();
    moved.add(BackendSpec.builder(newUri).id(NEW).build());
    lb.admin().setBackends("api", moved);
    BackendStats replaced = stats(lb, "api", NEW);
    assertThat(replaced.uri()).isEqualTo(newUri);
    assertThat(replaced.status()).isEqualTo(BackendStatus.WARMING);
    assertThat(replaced.statusReason()).isEqualTo("added; slow start over PT1M40S");
    assertThat(replaced.picks()).as("a new backend: fresh counters").isZero();
    assertShare(lb, 0.1, 1);
    assertThat(open.complete(200)).as("a lease on the replaced backend completes normally").isTrue();

    clock.advance(Duration.ofSeconds(50)); // the old ramp's end: no longer relevant
    assertThat(status(lb, "api", NEW)).isEqualTo(BackendStatus.WARMING);
    assertShare(lb, 0.5, 1);
    clock.advance(Duration.ofSeconds(50));
    assertThat(status(lb, "api", NEW)).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void aChangedZoneOrMetadataReplacesAHealthyBackendWhichThenRamps() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    List<BackendSpec> specs = oldFour();
    specs.set(1, BackendSpec.builder("http://b1:80").zone("eu-1").build());
    specs.set(2, BackendSpec.builder("http://b2:80").metadata("version", "2").build());
    lb.admin().setBackends("api", specs);
    assertThat(stats(lb, "api", "b0:80").status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, "api", "b1:80").zone()).isEqualTo("eu-1");
    assertThat(stats(lb, "api", "b1:80").status()).isEqualTo(BackendStatus.WARMING);
    assertThat(stats(lb, "api", "b2:80").status()).isEqualTo(BackendStatus.WARMING);
    assertThat(lb.defaultPool().backends().get(2).metadata()).containsEntry("version", "2");
  }

  @Test
  void idsMissingFromTheListAreRemovedAndTheirWindowsCancelled() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().setBackends("api", withNew(1));
    assertThat(clock.pendingTasks()).as("the new backend's window").isEqualTo(1);
    List<BackendSpec> fewer = oldFour();
    fewer.remove(3);
    lb.admin().setBackends("api", fewer);
    assertThat(lb.defaultPool().backends())
        .extracting(Backend::id)
        .containsExactly("b0:80", "b1:80", "b2:80");
    PoolStats pool = lb.stats().pool("api");
    assertThat(pool.backends()).extracting(BackendStats::id)
        .containsExactly("b0:80", "b1:80", "b2:80");
    assertThat(clock.pendingTasks()).as("the removed backend's window is cancelled").isZero();
    assertThat(picksOf(lb.defaultPool(), "b3:80", 2_000)).isZero();
    assertThat(picksOf(lb.defaultPool(), NEW, 2_000)).isZero();
  }

  @Test
  void duplicateIdsChangeNothingAndNameTheField() {
    LoadBalancer lb = build(Algorithms.weightedRandom());
    lb.admin().setBackends("api", withNew(1));
    clock.advance(Duration.ofSeconds(50));
    PoolStats before = lb.stats().pool("api");
    int mark = events.mark();

    List<BackendSpec> bad = new ArrayList<>(withNew(2)); // a weight change, a removal...
    bad.remove(0);
    bad.add(BackendSpec.builder("http://other:80").id("b2:80").build()); // ...and a duplicate
    assertThatThrownBy(() -> lb.admin().setBackends("api", bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.backends[4].id: 'b2:80' (expected: unique in the pool)");

    assertUnchanged(lb, before, mark);
    assertShare(lb, 0.5, 1);
  }

  @Test
  void unequalWeightsForAnUnweightedAlgorithmChangeNothingAndNameTheField() {
    LoadBalancer lb = build(Algorithms.roundRobin());
    lb.admin().setBackends("api", withNew(1));
    PoolStats before = lb.stats().pool("api");
    int mark = events.mark();

    List<BackendSpec> bad = withNew(1);
    bad.remove(0);
    bad.set(1, BackendSpec.builder("http://b2:80").weight(2).build());
    assertThatThrownBy(() -> lb.admin().setBackends("api", bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.backends[1].weight: 2 (expected: 1 like the others")
        .hasMessageContaining("round_robin");

    assertUnchanged(lb, before, mark);
  }

  private void assertUnchanged(LoadBalancer lb, PoolStats before, int mark) {
    PoolStats after = lb.stats().pool("api");
    assertThat(after.backends())
        .extracting(BackendStats::id, BackendStats::uri, BackendStats::weight, BackendStats::status,
            BackendStats::statusReason)
        .containsExactlyElementsOf(
            before.backends().stream()
                .map(b -> tuple(
                    b.id(), b.uri(), b.weight(), b.status(), b.statusReason()))
                .toList());
    assertThat(events.statusChangesSince(mark)).isEmpty();
    assertThat(clock.pendingTasks()).as("the new backend's window still runs").isEqualTo(1);
  }

  private static Lease leaseOn(LoadBalancer lb, String id) {
    for (int i = 0; i < 10_000; i++) {
      Lease lease = lb.defaultPool().select(HealthFixtures.GET).leaseOrThrow();
      if (lease.backend().id().equals(id)) {
        return lease;
      }
      lease.close();
    }
    throw new AssertionError("no lease on " + id + " in 10,000 selections");
  }
}
