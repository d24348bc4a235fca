package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.stats;
import static dev.lb4j.core.health.PassiveTestSupport.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.HealthResult;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.Selection;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Active health checking as a user sees it, driven by a {@link ManualClock} and a {@link
 * ScriptedProbe}: the unhealthy and healthy thresholds, the initial state, what admin calls and
 * closing do to probing. Probes run without jitter unless a test says otherwise, so the k-th probe of
 * every backend runs at exactly {@code (k - 1) * INTERVAL}.
 */
class ActiveHealthCheckTest {

  private static final RequestView GET = RequestView.of("GET", "/");
  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final String A = "a:1";
  private static final String B = "b:1";
  private static final String C = "c:1";
  private static final List<String> ALL = List.of(A, B, C);

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final HealthEventLog events = engine.events();

  /** Three backends a, b, c, probed by {@link #probe} on {@link #clock}, events into {@link #events}. */
  private LoadBalancer lb(
      UnaryOperator<HealthCheck.Builder> check, Consumer<PoolBuilder> morePoolSettings) {
    return engine.pool("api", p -> {
      p.backend("http://a:1").backend("http://b:1").backend("http://c:1")
          .healthCheck(check.apply(HealthCheck.builder(probe).jitter(0)).build());
      morePoolSettings.accept(p);
    });
  }

  /** Like {@link #lb(UnaryOperator, Consumer)} without panic mode, so selection shows health alone. */
  private LoadBalancer lbWithoutPanic(UnaryOperator<HealthCheck.Builder> check) {
    return lb(check, p -> p.panicThreshold(0));
  }

  /** Runs one probe round: every backend named is probed exactly once more. */
  private void round(Duration by, List<String> probed) {
    List<Integer> before = new ArrayList<>();
    for (String id : probed) {
      before.add(probe.calls(id));
    }
    clock.advance(by);
    for (int i = 0; i < probed.size(); i++) {
      assertThat(probe.calls(probed.get(i)))
          .as("probes of %s in the round ending at %s", probed.get(i), clock.nanoTime())
          .isEqualTo(before.get(i) + 1);
    }
  }

  private void round() {
    round(INTERVAL, ALL);
  }

  /** The backends that {@code n} selections of a round-robin pool land on. */
  private static Set<String> picked(LoadBalancer lb, int n) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < n; i++) {
      try (Lease lease = lb.select(GET).leaseOrThrow()) {
        ids.add(lease.backend().id());
      }
    }
    return ids;
  }

  // ---------------------------------------------------------------- thresholds

  @ParameterizedTest(name = "unhealthy after {0} failures, healthy after {1} successes ({2})")
  @CsvSource({"3, 2, defaults", "1, 1, explicit", "5, 4, explicit"})
  void flipsAfterExactlyTheThresholdsAndASingleResultInBetweenResetsTheCount(
      int unhealthyAfter, int healthyAfter, String how) {
    LoadBalancer lb =
        lbWithoutPanic(
            b -> how.equals("defaults")
                ? b
                : b.unhealthyThreshold(unhealthyAfter).healthyThreshold(healthyAfter));
    clock.runDue(); // round 1 at time 0: all pass
    assertThat(ALL).allSatisfy(id -> assertThat(probe.calls(id)).isEqualTo(1));
    assertThat(picked(lb, 30)).containsExactlyInAnyOrderElementsOf(ALL);

    // Failing, with one pass in between: the streak starts again.
    probe.set(A, ScriptedProbe.failing("down"));
    if (unhealthyAfter > 1) {
      for (int i = 1; i < unhealthyAfter; i++) {
        round();
        assertThat(status(lb, A)).as("after %s of %s failures", i, unhealthyAfter)
            .isEqualTo(BackendStatus.HEALTHY);
      }
      probe.set(A, ScriptedProbe.HEALTHY);
      round();
      probe.set(A, ScriptedProbe.failing("down"));
    }
    for (int i = 1; i < unhealthyAfter; i++) {
      round();
      assertThat(status(lb, A)).as("after %s of %s failures since the pass", i, unhealthyAfter)
          .isEqualTo(BackendStatus.HEALTHY);
      assertThat(picked(lb, 30)).contains(A);
    }
    assertThat(events.statusChanges(A)).isEmpty();

    round(); // the N-th consecutive failure
    String expectedReason =
        unhealthyAfter + " consecutive probes failed; last: down #" + probe.calls(A);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).isEqualTo(expectedReason);
    assertThat(events.statusChanges(A)).singleElement().satisfies(e -> {
      assertThat(e.pool()).isEqualTo("api");
      assertThat(e.from()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(e.to()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(e.reason()).isEqualTo(expectedReason);
      assertThat(e.nanoTime()).isEqualTo(clock.nanoTime());
    });
    assertThat(picked(lb, 30)).containsExactlyInAnyOrder(B, C);

    // More failures: no new event; the reason follows the latest failure.
    round();
    assertThat(events.statusChanges(A)).hasSize(1);
    assertThat(stats(lb, A).statusReason()).endsWith("last: down #" + probe.calls(A));

    // Passing, with one failure in between: the streak starts again.
    probe.set(A, ScriptedProbe.HEALTHY);
    if (healthyAfter > 1) {
      for (int i = 1; i < healthyAfter; i++) {
        round();
        assertThat(status(lb, A)).as("after %s of %s passes", i, healthyAfter)
            .isEqualTo(BackendStatus.UNHEALTHY);
      }
      probe.set(A, ScriptedProbe.failing("down"));
      round();
      probe.set(A, ScriptedProbe.HEALTHY);
    }
    for (int i = 1; i < healthyAfter; i++) {
      round();
      assertThat(status(lb, A)).as("after %s of %s passes since the failure", i, healthyAfter)
          .isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(picked(lb, 30)).doesNotContain(A);
    }
    assertThat(events.statusChanges(A)).hasSize(1);

    round(); // the M-th consecutive pass
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(events.statusChanges(A)).hasSize(2);
    HealthEvent.StatusChanged back = events.statusChanges(A).get(1);
    assertThat(back.from()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(back.to()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(back.reason()).contains(healthyAfter + " consecutive probes passed");
    assertThat(picked(lb, 30)).containsExactlyInAnyOrderElementsOf(ALL);

    // Nobody else changed, and panic mode never started.
    assertThat(events.statusChanges(B)).isEmpty();
    assertThat(events.statusChanges(C)).isEmpty();
    assertThat(events.all()).hasSize(2);
  }

  @Test
  void defaultsAreThreeFailuresAndTwoPassesEveryTwoSecondsWithOneSecondTimeoutAndTenPercentJitter() {
    HealthCheck check = HealthCheck.of(probe);
    assertThat(check.unhealthyThreshold()).isEqualTo(3);
    assertThat(check.healthyThreshold()).isEqualTo(2);
    assertThat(check.interval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(check.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(check.jitter()).isEqualTo(0.1);
    assertThat(check.initialState()).isEqualTo(HealthCheck.InitialState.ASSUME_HEALTHY);
    assertThat(check.probe()).isSameAs(probe);
  }

  @Test
  void aFailingBackendInThePanicThresholdStillGetsTrafficAndLeavesWhenPanicEnds() {
    // Default panic threshold 50%: two of three unhealthy is panic, traffic goes to all three.
    LoadBalancer lb = lb(b -> b.unhealthyThreshold(1), p -> {});
    clock.runDue();
    probe.set(A, ScriptedProbe.failing("down")).set(B, ScriptedProbe.failing("down"));
    round();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(status(lb, B)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(lb.stats().pool("api").panic()).isTrue();
    assertThat(picked(lb, 30)).containsExactlyInAnyOrderElementsOf(ALL);
    assertThat(events.all()).filteredOn(e -> e instanceof HealthEvent.PanicChanged).singleElement()
        .satisfies(e -> {
          HealthEvent.PanicChanged p = (HealthEvent.PanicChanged) e;
          assertThat(p.panic()).isTrue();
          assertThat(p.healthy()).isEqualTo(1);
          assertThat(p.eligible()).isEqualTo(3);
        });
    probe.set(B, ScriptedProbe.HEALTHY);
    round();
    round(); // two passes: b is healthy again, 2 of 3 is not panic
    assertThat(lb.stats().pool("api").panic()).isFalse();
    assertThat(picked(lb, 30)).containsExactlyInAnyOrder(B, C);
    assertThat(events.all()).filteredOn(e -> e instanceof HealthEvent.PanicChanged).hasSize(2);
  }

  // ---------------------------------------------------------------- initial state

  @Test
  void waitForFirstProbeTakesNoTrafficUntilOneProbePasses() {
    // c's first probe never completes (times out at 1 s); its later probes pass.
    CompletableFuture<HealthResult> never = new CompletableFuture<>();
    probe.set(B, ScriptedProbe.failing("refused"))
        .set(C, (b, n) -> n == 1 ? never : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb =
        lb(
            b -> b.initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
                .healthyThreshold(3), // one pass is enough all the same
            p -> {}); // default panic threshold: pending backends must not cause panic

    // Before any probe finished: nothing serves, and the answer says why.
    for (String id : ALL) {
      assertThat(status(lb, id)).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(stats(lb, id).statusReason()).contains("waiting for the first probe");
    }
    Selection none = lb.select(GET);
    assertThat(none).isInstanceOf(NoBackend.class);
    assertThat(((NoBackend) none).reason()).isEqualTo(NoBackend.Reason.NONE_AVAILABLE);
    assertThat(((NoBackend) none).message()).contains("waiting for their first probe");
    assertThat(lb.stats().pool("api").panic()).isFalse();

    clock.runDue(); // first probes: a passes, b fails, c hangs
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, B)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, B).statusReason())
        .contains("waiting for the first probe").contains("refused #1");
    assertThat(status(lb, C)).isEqualTo(BackendStatus.UNHEALTHY);
    // Pending backends count neither way: a alone is 100% healthy, no panic, only a serves.
    assertThat(lb.stats().pool("api").panic()).isFalse();
    assertThat(picked(lb, 30)).containsExactly(A);
    assertThat(events.statusChanges(A)).singleElement().satisfies(e -> {
      assertThat(e.from()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(e.to()).isEqualTo(BackendStatus.HEALTHY);
    });
    assertThat(events.statusChanges(B)).isEmpty();

    clock.advance(Duration.ofSeconds(1)); // c's first probe times out: still pending
    assertThat(status(lb, C)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, C).statusReason()).contains("waiting for the first probe");
    assertThat(picked(lb, 30)).containsExactly(A);

    probe.set(B, ScriptedProbe.HEALTHY);
    clock.advance(Duration.ofSeconds(1)); // t = 2 s: a and b probed; one pass makes b healthy
    assertThat(probe.calls(B)).isEqualTo(2);
    assertThat(status(lb, B)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(picked(lb, 30)).containsExactlyInAnyOrder(A, B);

    clock.advance(Duration.ofSeconds(1)); // t = 3 s: c probed 2 s after its timeout, passes
    assertThat(probe.calls(C)).isEqualTo(2);
    assertThat(status(lb, C)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(picked(lb, 30)).containsExactlyInAnyOrderElementsOf(ALL);
    assertThat(events.all()).allMatch(e -> e instanceof HealthEvent.StatusChanged);
    assertThat(events.all()).hasSize(3);
  }

  @Test
  void waitForFirstProbeFailingFirstProbesKeepEveryBackendOutEvenBelowThePanicThreshold() {
    for (String id : ALL) {
      probe.set(id, ScriptedProbe.failing("refused"));
    }
    LoadBalancer lb =
        lb(b -> b.initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE), p -> {});
    clock.runDue();
    round();
    round();
    round(); // more failures than the unhealthy threshold: still waiting, not "unhealthy"
    Selection none = lb.select(GET);
    assertThat(none).isInstanceOf(NoBackend.class);
    assertThat(((NoBackend) none).reason()).isEqualTo(NoBackend.Reason.NONE_AVAILABLE);
    assertThat(((NoBackend) none).message()).contains("all 3 backends are waiting for their first probe to pass");
    assertThat(lb.stats().pool("api").panic()).isFalse();
    assertThat(stats(lb, A).statusReason()).contains("waiting for the first probe")
        .contains("refused #4");
    assertThat(events.all()).isEmpty();

    probe.set(A, ScriptedProbe.HEALTHY);
    round();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(picked(lb, 30)).containsExactly(A);
  }

  @Test
  void afterTheFirstPassTheUsualUnhealthyThresholdApplies() {
    LoadBalancer lb =
        lbWithoutPanic(b -> b.initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE));
    clock.runDue();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    probe.set(A, ScriptedProbe.failing("down"));
    round();
    round();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    round();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).isEqualTo("3 consecutive probes failed; last: down #4");
  }

  @Test
  void anAddedBackendWaitsForItsFirstProbeAndIsProbedFromThen() {
    LoadBalancer lb =
        lbWithoutPanic(b -> b.initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE));
    clock.runDue();
    probe.set("d:1", ScriptedProbe.failing("starting"));
    lb.admin().addBackend("api", BackendSpec.of("http://d:1"));
    assertThat(status(lb, "d:1")).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, "d:1").statusReason()).contains("waiting for the first probe");
    clock.runDue(); // jitter 0: its first probe is due at once
    assertThat(probe.calls("d:1")).isEqualTo(1);
    assertThat(picked(lb, 40)).doesNotContain("d:1");
    probe.set("d:1", ScriptedProbe.HEALTHY);
    round(INTERVAL, List.of(A, B, C, "d:1"));
    assertThat(status(lb, "d:1")).isEqualTo(BackendStatus.HEALTHY);
    assertThat(picked(lb, 40)).contains("d:1");
  }

  // ---------------------------------------------------------------- admin and close

  @Test
  void disableStopsProbingThatBackendAndEnableResumesIt() {
    LoadBalancer lb = lbWithoutPanic(b -> b);
    clock.runDue();
    lb.admin().disable("api", A);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.DISABLED);
    for (int i = 0; i < 10; i++) {
      round(INTERVAL, List.of(B, C));
    }
    assertThat(probe.calls(A)).as("probes of a disabled backend").isEqualTo(1);

    lb.admin().enable("api", A);
    lb.admin().enable("api", A); // idempotent: must not start a second probe loop
    clock.runDue(); // jitter 0: the first probe after enabling is due at once
    assertThat(probe.calls(A)).isEqualTo(2);
    for (int i = 0; i < 5; i++) {
      round();
    }
    assertThat(probe.calls(A)).as("one probe per interval, not two loops").isEqualTo(7);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void disableWithJitterNeverProbesWhileDisabled() {
    LoadBalancer lb = lb(b -> b.jitter(0.5), p -> p.panicThreshold(0));
    clock.advance(Duration.ofSeconds(10));
    lb.admin().disable("api", B);
    int bBefore = probe.calls(B);
    int aBefore = probe.calls(A);
    clock.advance(Duration.ofMinutes(1));
    assertThat(probe.calls(B)).as("probes of a disabled backend").isEqualTo(bBefore);
    // a goes on: its gaps are at most interval * 1.5 = 3 s, so 60 s hold at least 19 more probes.
    assertThat(probe.calls(A) - aBefore).isGreaterThanOrEqualTo(19);
    lb.admin().enable("api", B);
    // The first probe after enabling comes within interval * jitter = 1 s.
    clock.advance(Duration.ofSeconds(1));
    assertThat(probe.calls(B)).isEqualTo(bBefore + 1);
  }

  @Test
  void aBackendThatFailedWhileDisabledIsStillUnhealthyWhenEnabled() {
    LoadBalancer lb = lbWithoutPanic(b -> b.unhealthyThreshold(1));
    clock.runDue();
    probe.set(A, ScriptedProbe.failing("down"));
    round();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    lb.admin().disable("api", A);
    lb.admin().enable("api", A);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(picked(lb, 30)).doesNotContain(A);
  }

  @Test
  void drainKeepsProbingAndUndrainRevealsTheProbesVerdict() {
    LoadBalancer lb = lbWithoutPanic(b -> b);
    clock.runDue();
    lb.admin().drain("api", A);
    probe.set(A, ScriptedProbe.failing("down"));
    for (int i = 0; i < 3; i++) {
      round(); // a is probed in every round while draining
    }
    assertThat(status(lb, A)).isEqualTo(BackendStatus.DRAINING); // an operator's state wins
    lb.admin().undrain("api", A);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).isEqualTo("3 consecutive probes failed; last: down #4");
    assertThat(picked(lb, 30)).doesNotContain(A);

    lb.admin().drain("api", A);
    probe.set(A, ScriptedProbe.HEALTHY);
    round();
    round();
    lb.admin().undrain("api", A);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void aRemovedBackendIsNeverProbedAgainAndItsProbeInFlightIsIgnored() {
    CompletableFuture<HealthResult> inFlight = new CompletableFuture<>();
    probe.set(A, (b, n) -> n == 2 ? inFlight : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lbWithoutPanic(b -> b);
    clock.runDue();
    round(); // a's second probe is now in flight
    lb.admin().removeBackend("api", A);
    inFlight.complete(HealthResult.unhealthy("late"));
    for (int i = 0; i < 10; i++) {
      round(INTERVAL, List.of(B, C));
    }
    assertThat(probe.calls(A)).isEqualTo(2);
    assertThat(lb.stats().pool("api").backends()).extracting(BackendStats::id)
        .containsExactly(B, C);
    assertThat(events.statusChanges(A)).isEmpty();
  }

  @Test
  void afterCloseNoProbeRunsAndNoTaskIsLeft() {
    LoadBalancer lb = lbWithoutPanic(b -> b);
    clock.runDue();
    round();
    assertThat(clock.pendingTasks()).isEqualTo(3); // the next probe of each backend
    lb.close();
    assertThat(clock.pendingTasks()).isZero();
    clock.advance(Duration.ofMinutes(10));
    for (String id : ALL) {
      assertThat(probe.calls(id)).isEqualTo(2);
    }
  }

  @Test
  void afterCloseAProbeStillInFlightIsIgnoredAndNothingCallsTheProbeAgain() {
    CompletableFuture<HealthResult> inFlight = new CompletableFuture<>();
    probe.set(A, (b, n) -> n == 2 ? inFlight : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lbWithoutPanic(b -> b.unhealthyThreshold(1));
    clock.runDue();
    round();
    lb.close();
    inFlight.complete(HealthResult.unhealthy("late"));
    clock.advance(Duration.ofMinutes(10));
    assertThat(probe.calls(A)).isEqualTo(2);
    assertThat(probe.calls(B)).isEqualTo(2);
    assertThat(clock.pendingTasks()).isZero();
    assertThat(events.all()).isEmpty();
    assertThat(((NoBackend) lb.select(GET)).reason()).isEqualTo(NoBackend.Reason.CLOSED);
  }

  @Test
  void closeCancelsProbesInFlightAndLeavesNoTaskOnTheCallersScheduler() {
    CompletableFuture<HealthResult> inFlight = new CompletableFuture<>();
    probe.set(A, (b, n) -> n == 2 ? inFlight : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lbWithoutPanic(b -> b);
    clock.runDue();
    round();
    lb.close();
    // LoadBalancerBuilder.scheduler: "closing the load balancer only cancels its tasks";
    // HealthCheck: "the engine cancels a stage it gave up on".
    assertThat(clock.pendingTasks()).as("tasks left on the caller's scheduler").isZero();
    assertThat(inFlight).as("the probe in flight when the load balancer closed").isCancelled();
  }

  @Test
  void probesOfOneBackendNeverOverlapAcrossDisableAndEnable() {
    probe.set(A, (b, n) -> n == 2 ? new CompletableFuture<>()
        : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lbWithoutPanic(b -> b.timeout(Duration.ofSeconds(1)));
    clock.runDue();
    round(); // a's second probe hangs until its timeout at +1 s
    lb.admin().disable("api", A);
    lb.admin().enable("api", A);
    clock.advance(Duration.ofSeconds(10));
    assertThat(probe.calls(A)).isGreaterThan(2);
    assertThat(probe.maxInFlight(A)).as("probes of a in flight at once").isEqualTo(1);
  }

  /**
   * The disable's cleanup (cancelling the probe it gave up on) runs after the pool's lock is released,
   * on the disabling thread, and may be late: here it is held inside the stage's {@code cancel}. The
   * backend is enabled meanwhile from another thread, so its new loop's first probe is due at once;
   * that probe must not start beside the abandoned one.
   */
  @Test
  void aProbeLoopStartedAgainCancelsTheAbandonedProbeBeforeItsFirstProbe() throws Exception {
    CountDownLatch firstCancelEntered = new CountDownLatch(1);
    CountDownLatch releaseFirstCancel = new CountDownLatch(1);
    AtomicInteger cancels = new AtomicInteger();
    CompletableFuture<HealthResult> abandoned =
        new CompletableFuture<>() {
          @Override
          public boolean cancel(boolean mayInterrupt) {
            if (cancels.incrementAndGet() == 1) { // the disabling thread's cleanup: held back
              firstCancelEntered.countDown();
              try {
                releaseFirstCancel.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return super.cancel(mayInterrupt);
          }
        };
    probe.set(A, (b, n) -> n == 2 ? abandoned
        : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lbWithoutPanic(b -> b.timeout(Duration.ofSeconds(1)));
    clock.runDue();
    clock.advance(INTERVAL); // a's second probe is in flight
    Thread disabling = new Thread(() -> lb.admin().disable("api", A), "disabling");
    disabling.start();
    try {
      assertThat(firstCancelEntered.await(10, TimeUnit.SECONDS)).as("the disable's cleanup ran")
          .isTrue();
      lb.admin().enable("api", A);
      clock.runDue(); // the new loop's first probe
      assertThat(probe.calls(A)).as("probes of a after the enable").isEqualTo(3);
      assertThat(probe.maxInFlight(A)).as("probes of a in flight at once").isEqualTo(1);
      assertThat(abandoned).as("the probe given up on").isCancelled();
    } finally {
      releaseFirstCancel.countDown();
      disabling.join(TimeUnit.SECONDS.toMillis(10));
    }
    assertThat(disabling.isAlive()).isFalse();
  }

  @Test
  void healthCheckMaySetOncePerPool() {
    HealthCheck check = HealthCheck.of(probe);
    assertThatThrownBy(
            () -> LoadBalancer.builder()
                .pool("api", p -> p.backend("http://a:1").healthCheck(check).healthCheck(check)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("pools.api.healthCheck was already set to HealthCheck{")
        .hasMessageEndingWith("(expected: at most one health check per pool)");
  }
}
