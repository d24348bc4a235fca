package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.WINDOW;
import static dev.lb4j.core.health.HealthFixtures.failLeases;
import static dev.lb4j.core.health.HealthFixtures.picksOf;
import static dev.lb4j.core.health.HealthFixtures.quickCheck;
import static dev.lb4j.core.health.HealthFixtures.stats;
import static dev.lb4j.core.health.HealthFixtures.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A backend's one state follows the documented precedence DISABLED > DRAINING > EJECTED > UNHEALTHY
 * > WARMING > HEALTHY whatever combination of signals applies and in whatever order they come and
 * go; every change of state publishes exactly one event that matches the stats and names its cause,
 * and a non-change publishes none.
 */
class StatePrecedenceTest {

  private static final String A = "a:80";
  private static final String EJECTION_REASON =
      "5 consecutive failures (last: status 503); ejected for PT30S (back-off step 1)";
  private static final String SLOW_START = "; slow start over PT1M40S";

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final HealthEventLog events = engine.events();

  private LoadBalancer build(boolean slowStart) {
    LoadBalancer lb =
        engine.pool(
            "api",
            p -> {
              p.backend("http://a:80")
                  .backend("http://b:80")
                  .backend("http://c:80")
                  .backend("http://d:80")
                  .backend("http://e:80")
                  .algorithm(Algorithms.roundRobin())
                  .outlierDetection(OutlierDetection.builder().maxEjectionPercent(100).build())
                  .healthCheck(quickCheck(probe));
              if (slowStart) {
                p.slowStart(SlowStart.linear(WINDOW));
              }
            });
    clock.runDue(); // the first probes: all pass
    return lb;
  }

  /** The signals a backend can have apart from warming, in precedence order. */
  enum Signal {
    DISABLED(BackendStatus.DISABLED),
    DRAINED(BackendStatus.DRAINING),
    EJECTED(BackendStatus.EJECTED),
    UNHEALTHY(BackendStatus.UNHEALTHY);

    final BackendStatus status;

    Signal(BackendStatus status) {
      this.status = status;
    }
  }

  /** The documented precedence, computed from the signals: the first one that applies wins. */
  private static BackendStatus expected(Set<Signal> signals, boolean leftService) {
    for (Signal s : Signal.values()) {
      if (signals.contains(s)) {
        return s.status;
      }
    }
    return leftService ? BackendStatus.WARMING : BackendStatus.HEALTHY;
  }

  /**
   * Runs {@code action} and checks the state it leads to and the events it published: none if the
   * state did not change, otherwise exactly one, for {@code id}, from the state before to the state
   * after, with the reason the stats now show, which must name the cause.
   *
   * @param trigger what the engine reports as the cause when the state has no reason of its own
   */
  private void step(
      LoadBalancer lb, String what, Runnable action, BackendStatus expected, String trigger) {
    BackendStatus before = status(lb, "api", A);
    int mark = events.mark();
    long start = clock.nanoTime();
    action.run();
    BackendStats after = stats(lb, "api", A);
    assertThat(after.status()).as("%s: state", what).isEqualTo(expected);
    List<HealthEvent.StatusChanged> changes = events.statusChangesSince(mark);
    if (expected == before) {
      assertThat(changes).as("%s: %s unchanged, so no event", what, before).isEmpty();
      return;
    }
    assertThat(changes).as("%s: exactly one event", what).hasSize(1);
    HealthEvent.StatusChanged e = changes.get(0);
    assertThat(e.pool()).isEqualTo("api");
    assertThat(e.backendId()).isEqualTo(A);
    assertThat(e.from()).as("%s: from", what).isEqualTo(before);
    assertThat(e.to()).as("%s: to", what).isEqualTo(after.status());
    if (expected == BackendStatus.UNHEALTHY) {
      // Probes that fail after the change (in the same advance of the clock) refresh the count in
      // the stats' reason without an event: "a newer failure explains it better".
      assertThat(after.statusReason()).as("%s: reason in the stats", what)
          .matches("\\d+ consecutive probes failed; last: connection refused");
    } else {
      assertThat(e.reason()).as("%s: reason as in the stats", what)
          .isEqualTo(after.statusReason());
    }
    assertThat(e.nanoTime()).as("%s: stamped with the ticker when it happened", what)
        .isBetween(start, clock.nanoTime());
    switch (expected) {
      case EJECTED -> assertThat(e.reason()).as(what).isEqualTo(EJECTION_REASON);
      case UNHEALTHY ->
          assertThat(e.reason()).as(what)
              .matches("\\d+ consecutive probes failed; last: connection refused");
      case WARMING -> assertThat(e.reason()).as(what).isEqualTo(trigger + SLOW_START);
      default -> assertThat(e.reason()).as(what).isEqualTo(trigger);
    }
    if (!expected.isServing()) {
      assertThat(picksOf(lb.defaultPool(), A, 100)).as("%s: no picks while %s", what, expected)
          .isZero();
    }
  }

  static Stream<Arguments> combinations() {
    List<Arguments> out = new ArrayList<>();
    Signal[] all = Signal.values();
    for (int mask = 0; mask < 1 << all.length; mask++) {
      EnumSet<Signal> set = EnumSet.noneOf(Signal.class);
      for (int bit = 0; bit < all.length; bit++) {
        if ((mask & (1 << bit)) != 0) {
          set.add(all[bit]);
        }
      }
      out.add(Arguments.of(set, true));
      out.add(Arguments.of(set, false));
    }
    return out.stream();
  }

  /**
   * Signals are applied in the only order the engine allows for all of them (a backend must serve
   * to be ejected; probes stop while it is disabled): ejection, failed probe, drain, disable. They
   * are then removed admin-first, or admin-last, checking the state and the events at each step.
   */
  @ParameterizedTest(name = "{0}, admin signals removed first: {1}")
  @MethodSource("combinations")
  void everyCombinationOfSignalsResolvesToTheFirstInPrecedenceOrder(
      Set<Signal> combination, boolean adminFirst) {
    LoadBalancer lb = build(true);
    Pool pool = lb.defaultPool();
    EnumSet<Signal> on = EnumSet.noneOf(Signal.class);

    if (combination.contains(Signal.EJECTED)) {
      on.add(Signal.EJECTED);
      step(lb, "eject", () -> failLeases(clock, pool, A, 5), expected(on, true), "");
    }
    if (combination.contains(Signal.UNHEALTHY)) {
      on.add(Signal.UNHEALTHY);
      step(lb, "fail the probe", () -> {
        probe.fail(A, "connection refused");
        clock.advance(Duration.ofSeconds(2));
      }, expected(on, true), "");
    }
    if (combination.contains(Signal.DRAINED)) {
      on.add(Signal.DRAINED);
      step(lb, "drain", () -> lb.admin().drain("api", A), expected(on, true), "drained by admin");
    }
    if (combination.contains(Signal.DISABLED)) {
      on.add(Signal.DISABLED);
      step(lb, "disable", () -> lb.admin().disable("api", A), expected(on, true),
          "disabled by admin");
    }

    List<Signal> removal = adminFirst
        ? List.of(Signal.DISABLED, Signal.DRAINED, Signal.EJECTED, Signal.UNHEALTHY)
        : List.of(Signal.DRAINED, Signal.EJECTED, Signal.DISABLED, Signal.UNHEALTHY);
    boolean left = !combination.isEmpty();
    for (Signal s : removal) {
      if (!on.remove(s)) {
        continue;
      }
      BackendStatus next = expected(on, left);
      switch (s) {
        case DISABLED -> step(lb, "enable", () -> lb.admin().enable("api", A), next,
            next == BackendStatus.DRAINING ? "drained by admin" : "enabled by admin");
        case DRAINED -> step(lb, "undrain", () -> lb.admin().undrain("api", A), next,
            "undrained by admin");
        case EJECTED -> step(lb, "let the ejection end",
            () -> clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME), next,
            "ejection time ended");
        case UNHEALTHY -> step(lb, "pass the probe", () -> {
          probe.pass(A);
          clock.advance(Duration.ofSeconds(2));
        }, next, "1 consecutive probes passed");
      }
    }
    BackendStatus last = expected(on, left);
    assertThat(status(lb, "api", A)).isEqualTo(last);
    if (last == BackendStatus.WARMING) {
      step(lb, "let the window end", () -> clock.advance(WINDOW), BackendStatus.HEALTHY,
          "slow start window of PT1M40S ended");
    }
  }

  @Test
  void warmingGivesWayToEverySignalAndEachReturnStartsANewRamp() {
    LoadBalancer lb = build(true);
    Pool pool = lb.defaultPool();
    step(lb, "disable", () -> lb.admin().disable("api", A), BackendStatus.DISABLED,
        "disabled by admin");
    step(lb, "enable", () -> lb.admin().enable("api", A), BackendStatus.WARMING,
        "enabled by admin");
    step(lb, "drain while warming", () -> lb.admin().drain("api", A), BackendStatus.DRAINING,
        "drained by admin");
    step(lb, "drain again", () -> lb.admin().drain("api", A), BackendStatus.DRAINING, "");
    step(lb, "undrain", () -> lb.admin().undrain("api", A), BackendStatus.WARMING,
        "undrained by admin");
    step(lb, "undrain again", () -> lb.admin().undrain("api", A), BackendStatus.WARMING, "");
    step(lb, "eject while warming", () -> failLeases(clock, pool, A, 5), BackendStatus.EJECTED, "");
    step(lb, "let the ejection end",
        () -> clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME), BackendStatus.WARMING,
        "ejection time ended");
    step(lb, "fail the probe while warming", () -> {
      probe.fail(A, "connection refused");
      clock.advance(Duration.ofSeconds(2));
    }, BackendStatus.UNHEALTHY, "");
    step(lb, "keep failing", () -> clock.advance(Duration.ofSeconds(10)),
        BackendStatus.UNHEALTHY, "");
    assertThat(stats(lb, "api", A).statusReason())
        .as("the reason follows the latest failure, without an event")
        .isEqualTo("6 consecutive probes failed; last: connection refused");
    step(lb, "pass the probe", () -> {
      probe.pass(A);
      clock.advance(Duration.ofSeconds(2));
    }, BackendStatus.WARMING, "1 consecutive probes passed");
    step(lb, "keep passing", () -> clock.advance(Duration.ofSeconds(98)), BackendStatus.WARMING,
        "");
    step(lb, "let the window end", () -> clock.advance(Duration.ofSeconds(2)),
        BackendStatus.HEALTHY, "slow start window of PT1M40S ended");
    step(lb, "disable", () -> lb.admin().disable("api", A), BackendStatus.DISABLED,
        "disabled by admin");
    step(lb, "disable again", () -> lb.admin().disable("api", A), BackendStatus.DISABLED, "");
    step(lb, "drain while disabled", () -> lb.admin().drain("api", A), BackendStatus.DISABLED, "");
    step(lb, "enable", () -> lb.admin().enable("api", A), BackendStatus.DRAINING,
        "drained by admin"); // the reason is the state's: still drained
    step(lb, "enable again", () -> lb.admin().enable("api", A), BackendStatus.DRAINING, "");
  }

  @Test
  void disabledBackendIsNotProbedAndProbingResumesWhenEnabled() {
    LoadBalancer lb = build(false);
    lb.admin().disable("api", A);
    int calls = probe.calls(A);
    clock.advance(Duration.ofSeconds(20));
    assertThat(probe.calls(A)).as("no probes while disabled").isEqualTo(calls);
    assertThat(probe.calls("b:80")).isGreaterThan(calls);
    probe.fail(A, "connection refused");
    step(lb, "enable", () -> lb.admin().enable("api", A), BackendStatus.HEALTHY,
        "enabled by admin");
    step(lb, "the next probe fails", () -> clock.advance(Duration.ofSeconds(2)),
        BackendStatus.UNHEALTHY, "");
  }

  /**
   * Panic mode (fewer than 50% of the backends that are neither disabled nor draining serve) spreads
   * picks over ejected and unhealthy backends, never over drained or disabled ones, whatever their
   * health.
   */
  @Test
  void adminStatesBeatPanicMode() {
    LoadBalancer lb = build(false);
    Pool pool = lb.defaultPool();
    failLeases(clock, pool, "b:80", 5);
    probe.fail("c:80", "connection refused");
    probe.fail("d:80", "connection refused");
    clock.advance(Duration.ofSeconds(2));
    lb.admin().drain("api", "d:80");
    int mark = events.mark();
    lb.admin().disable("api", "e:80");
    assertThat(lb.stats().pool("api").panic()).isTrue();
    assertThat(events.all().subList(mark, events.mark()))
        .filteredOn(HealthEvent.PanicChanged.class::isInstance)
        .singleElement()
        .isEqualTo(
            new HealthEvent.PanicChanged(
                "api", true, 1, 3,
                "1 of 3 backends healthy, below the panic threshold of 50%", clock.nanoTime()));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3_000; i++) {
      try (Lease lease = pool.select(HealthFixtures.GET).leaseOrThrow()) {
        counts.merge(lease.backend().id(), 1, Integer::sum);
      }
    }
    assertThat(counts).as("round robin over a, b (ejected) and c (unhealthy) only")
        .containsOnlyKeys(A, "b:80", "c:80");
    assertThat(status(lb, "api", "d:80")).as("drained beats unhealthy")
        .isEqualTo(BackendStatus.DRAINING);

    lb.admin().undrain("api", "d:80");
    assertThat(status(lb, "api", "d:80")).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(picksOf(pool, "d:80", 400)).as("undrained, it takes its panic share").isPositive();
    assertThat(picksOf(pool, "e:80", 400)).as("still disabled").isZero();
  }
}
