package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.GET;
import static dev.lb4j.core.health.HealthFixtures.WINDOW;
import static dev.lb4j.core.health.HealthFixtures.failLeases;
import static dev.lb4j.core.health.HealthFixtures.quickCheck;
import static dev.lb4j.core.health.HealthFixtures.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine builds a pool's picker only when the set of backends it picks from (or a weight)
 * changes: once per health flip, only for the pool concerned, and never for selections, the end of a
 * slow-start window, or a state change of a backend that is out of the set anyway.
 */
class PickerRebuildTest {

  /** Round robin that counts how often the engine asks it for a picker. */
  private static final class CountingRoundRobin implements Algorithm {
    final AtomicInteger builds = new AtomicInteger();

    @Override
    public String name() {
      return "counting_round_robin";
    }

    @Override
    public Picker newPicker(BackendSet backends) {
      builds.incrementAndGet();
      return Algorithms.roundRobin().newPicker(backends);
    }
  }

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final CountingRoundRobin apiAlgorithm = new CountingRoundRobin();
  private final CountingRoundRobin webAlgorithm = new CountingRoundRobin();
  private final LoadBalancer lb =
      engine.balancer(
          b ->
              b.pool("api", p -> configure(p, "a", apiAlgorithm))
                  .pool("web", p -> configure(p, "w", webAlgorithm))
                  .defaultPool("api"));
  private final Pool api = lb.pool("api");
  private final Pool web = lb.pool("web");

  private void configure(PoolBuilder p, String prefix, Algorithm algorithm) {
    for (int i = 0; i < 4; i++) {
      p.backend("http://" + prefix + i + ":80");
    }
    p.algorithm(algorithm)
        .outlierDetection(OutlierDetection.builder().maxEjectionPercent(100).build())
        .healthCheck(quickCheck(probe))
        .slowStart(SlowStart.linear(WINDOW));
  }

  /** Runs {@code action} and checks how many pickers each pool built meanwhile. */
  private void expectBuilds(String what, int apiBuilds, int webBuilds, Runnable action) {
    int apiBefore = apiAlgorithm.builds.get();
    int webBefore = webAlgorithm.builds.get();
    action.run();
    assertThat(apiAlgorithm.builds.get() - apiBefore).as("%s: api pickers built", what)
        .isEqualTo(apiBuilds);
    assertThat(webAlgorithm.builds.get() - webBefore).as("%s: web pickers built", what)
        .isEqualTo(webBuilds);
  }

  private static void select(Pool pool, int times) {
    for (int i = 0; i < times; i++) {
      try (Lease lease = pool.select(GET).leaseOrThrow()) {
        lease.complete(200);
      }
    }
  }

  private void selectBoth() {
    select(api, 10_000);
    select(web, 10_000);
  }

  @Test
  void eachPoolBuildsItsFirstPickerOnce() {
    clock.runDue();
    assertThat(apiAlgorithm.builds).hasValue(1);
    assertThat(webAlgorithm.builds).hasValue(1);
    expectBuilds("selections and passing probes", 0, 0, () -> {
      selectBoth();
      clock.advance(Duration.ofSeconds(60));
    });
  }

  @Test
  void anEjectionAndItsEndRebuildOnlyThatPoolOnceEach() {
    clock.runDue();
    expectBuilds("ejection", 1, 0, () -> failLeases(clock, api, "a0:80", 5));
    assertThat(status(lb, "api", "a0:80")).isEqualTo(BackendStatus.EJECTED);
    expectBuilds("selections while ejected", 0, 0, this::selectBoth);
    expectBuilds("ejection ends", 1, 0,
        () -> clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME));
    assertThat(status(lb, "api", "a0:80")).isEqualTo(BackendStatus.WARMING);
    expectBuilds("selections while warming", 0, 0, this::selectBoth);
    expectBuilds("the slow-start window ends", 0, 0, () -> clock.advance(WINDOW));
    assertThat(status(lb, "api", "a0:80")).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void aProbeFlipRebuildsOnlyThatPoolOnceEachWay() {
    clock.runDue();
    expectBuilds("probe fails", 0, 1, () -> {
      probe.fail("w1:80", "connection refused");
      clock.advance(Duration.ofSeconds(2));
    });
    assertThat(status(lb, "web", "w1:80")).isEqualTo(BackendStatus.UNHEALTHY);
    expectBuilds("probe keeps failing, selections", 0, 0, () -> {
      clock.advance(Duration.ofSeconds(20));
      selectBoth();
    });
    expectBuilds("probe passes", 0, 1, () -> {
      probe.pass("w1:80");
      clock.advance(Duration.ofSeconds(2));
    });
    assertThat(status(lb, "web", "w1:80")).isEqualTo(BackendStatus.WARMING);
    expectBuilds("window ends, probes keep passing", 0, 0, () -> clock.advance(WINDOW));
  }

  @Test
  void changesOfABackendOutsideTheSetRebuildNothing() {
    clock.runDue();
    expectBuilds("ejection", 1, 0, () -> failLeases(clock, api, "a0:80", 5));
    expectBuilds("drain the ejected backend", 0, 0, () -> lb.admin().drain("api", "a0:80"));
    assertThat(status(lb, "api", "a0:80")).isEqualTo(BackendStatus.DRAINING);
    expectBuilds("its probe fails", 0, 0, () -> {
      probe.fail("a0:80", "connection refused");
      clock.advance(Duration.ofSeconds(2));
    });
    expectBuilds("its ejection ends while drained", 0, 0,
        () -> clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME));
    expectBuilds("disable it", 0, 0, () -> lb.admin().disable("api", "a0:80"));
    expectBuilds("drain and undrain while disabled", 0, 0, () -> {
      lb.admin().undrain("api", "a0:80");
      lb.admin().drain("api", "a0:80");
    });
    assertThat(status(lb, "api", "a0:80")).isEqualTo(BackendStatus.DISABLED);
  }

  @Test
  void adminChangesRebuildOncePerCall() {
    clock.runDue();
    expectBuilds("drain", 1, 0, () -> lb.admin().drain("api", "a1:80"));
    expectBuilds("drain again", 0, 0, () -> lb.admin().drain("api", "a1:80"));
    expectBuilds("undrain", 1, 0, () -> lb.admin().undrain("api", "a1:80"));
    expectBuilds("window of the undrained backend ends", 0, 0, () -> clock.advance(WINDOW));

    List<BackendSpec> same = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      same.add(BackendSpec.of("http://a" + i + ":80"));
    }
    expectBuilds("the same list again", 0, 0, () -> lb.admin().setBackends("api", same));
    List<BackendSpec> changed = new ArrayList<>(same.subList(1, 4));
    changed.add(BackendSpec.of("http://a4:80"));
    changed.add(BackendSpec.of("http://a5:80"));
    expectBuilds("two added, one removed, in one call", 1, 0,
        () -> lb.admin().setBackends("api", changed));
    expectBuilds("add", 1, 0, () -> lb.admin().addBackend("api", BackendSpec.of("http://a6:80")));
    expectBuilds("remove", 1, 0, () -> lb.admin().removeBackend("api", "a6:80"));
  }
}
