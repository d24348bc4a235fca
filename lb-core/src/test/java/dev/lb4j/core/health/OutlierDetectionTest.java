package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static dev.lb4j.core.health.PassiveTestSupport.complete;
import static dev.lb4j.core.health.PassiveTestSupport.fail;
import static dev.lb4j.core.health.PassiveTestSupport.id;
import static dev.lb4j.core.health.PassiveTestSupport.leaseOn;
import static dev.lb4j.core.health.PassiveTestSupport.pickCounts;
import static dev.lb4j.core.health.PassiveTestSupport.selectOnly;
import static dev.lb4j.core.health.PassiveTestSupport.stats;
import static dev.lb4j.core.health.PassiveTestSupport.status;
import static dev.lb4j.core.health.PassiveTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Passive outlier detection by consecutive failures, and how long ejections last: which outcomes
 * count, the exact failure that ejects, the reason operators see, and the backoff with its decay.
 * Time is a {@link ManualClock}; backends are fake (never contacted).
 */
class OutlierDetectionTest {

  private static final String A = id(0);

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final HealthEventLog events = engine.events();

  /** Three fake backends, round robin, the given outlier detection. */
  private LoadBalancer balancer(OutlierDetection od) {
    return engine.pool(
        POOL,
        p ->
            p.backend(uri(0))
                .backend(uri(1))
                .backend(uri(2))
                .algorithm(Algorithms.roundRobin())
                .outlierDetection(od));
  }

  // ------------------------------------------------------------------ consecutive failures

  @Test
  void ejectsOnTheFifthConsecutiveFailureNotTheFourth() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    int threshold = OutlierDetection.DEFAULT_CONSECUTIVE_FAILURES;
    for (int i = 1; i < threshold; i++) {
      complete(clock, lb, A, 503, 1);
      assertThat(status(lb, A)).as("after %d failures", i).isEqualTo(BackendStatus.HEALTHY);
    }
    assertThat(stats(lb, A).ejections()).isZero();
    assertThat(events.all()).isEmpty();

    long ejectedAt = clock.nanoTime();
    complete(clock, lb, A, 503, 1);

    String reason =
        "5 consecutive failures (last: status 503); ejected for PT30S (back-off step 1)";
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).isEqualTo(reason);
    assertThat(stats(lb, A).ejections()).isEqualTo(1);
    assertThat(stats(lb, A).failures()).isEqualTo(threshold);
    assertThat(events.all())
        .containsExactly(
            new HealthEvent.StatusChanged(
                POOL, A, BackendStatus.HEALTHY, BackendStatus.EJECTED, reason, ejectedAt));
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, id(2))).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void ejectedBackendGetsNoPicks() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    complete(clock, lb, A, 503, 5);
    long picksBefore = stats(lb, A).picks();

    Map<String, Integer> counts = pickCounts(lb, 3000);

    assertThat(counts).doesNotContainKey(A).containsOnlyKeys(id(1), id(2));
    // Round robin over the two that remain: strict alternation on one thread.
    assertThat(counts.get(id(1))).isEqualTo(1500);
    assertThat(stats(lb, A).picks()).isEqualTo(picksBefore);
    // Even a retry that excluded everyone else does not reach it.
    Selection only = selectOnly(lb, A);
    assertThat(only).isInstanceOf(NoBackend.class);
    assertThat(((NoBackend) only).reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
  }

  @Test
  void aSuccessInTheStreakStartsItAgain() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    complete(clock, lb, A, 503, 4);
    complete(clock, lb, A, 200, 1);
    complete(clock, lb, A, 503, 4);
    assertThat(status(lb, A)).as("4 + success + 4 is no streak of 5").isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 503, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
  }

  @Test
  void everyFiveHundredCountsByDefault() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    for (int status : new int[] {500, 501, 502, 504}) {
      complete(clock, lb, A, status, 1);
    }
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 599, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("5 consecutive failures (last: status 599); ");
  }

  @Test
  void clientErrorsDoNotCountAndBreakTheStreak() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    for (int status : new int[] {400, 401, 403, 404, 409, 429, 499}) {
      complete(clock, lb, A, status, 5);
    }
    assertThat(status(lb, A)).as("35 4xx responses").isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 503, 4);
    complete(clock, lb, A, 404, 1);
    complete(clock, lb, A, 503, 4);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, A).ejections()).isZero();
  }

  @Test
  void gatewayFailuresOnlyIgnoresFiveHundredAndCountsBadGateways() {
    LoadBalancer lb = balancer(OutlierDetection.builder().gatewayFailuresOnly().build());
    complete(clock, lb, A, 500, 20);
    complete(clock, lb, A, 501, 20);
    assertThat(status(lb, A)).as("500 and 501 are the application's").isEqualTo(BackendStatus.HEALTHY);
    // A 500 is not a gateway failure, so it breaks a streak of them.
    complete(clock, lb, A, 502, 4);
    complete(clock, lb, A, 500, 1);
    complete(clock, lb, A, 503, 4);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 504, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("5 consecutive failures (last: status 504); ");
  }

  @Test
  void gatewayFailuresOnlyStillCountsConnectionErrors() {
    LoadBalancer lb = balancer(OutlierDetection.builder().gatewayFailuresOnly().build());
    complete(clock, lb, A, 502, 2);
    fail(clock, lb, A, ErrorKind.CONNECT, 2);
    fail(clock, lb, A, ErrorKind.RESET, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason())
        .startsWith("5 consecutive failures (last: error RESET); ejected for PT30S");
  }

  @ParameterizedTest
  @EnumSource(
      value = ErrorKind.class,
      names = {"CONNECT", "TIMEOUT", "RESET", "PROTOCOL", "OTHER"})
  void connectionLevelErrorsCount(ErrorKind error) {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    fail(clock, lb, A, error, 4);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    fail(clock, lb, A, error, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason())
        .isEqualTo(
            "5 consecutive failures (last: error " + error
                + "); ejected for PT30S (back-off step 1)");
  }

  @Test
  void cancelledLeasesCountNeitherWay() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    complete(clock, lb, A, 503, 4);
    for (int i = 0; i < 10; i++) {
      leaseOn(lb, A).close(); // closed without an outcome
      fail(clock, lb, A, ErrorKind.CANCELLED, 1);
    }
    assertThat(status(lb, A)).as("20 cancellations are not failures").isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, A).cancelled()).isEqualTo(20);
    // ... nor successes: the 4 failures before them still count towards the streak.
    complete(clock, lb, A, 503, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("5 consecutive failures (last: status 503)");
  }

  @Test
  void cancellationsAloneNeverEject() {
    LoadBalancer lb = balancer(OutlierDetection.builder().consecutiveFailures(1).build());
    for (int i = 0; i < 50; i++) {
      leaseOn(lb, A).close();
      fail(clock, lb, A, ErrorKind.CANCELLED, 1);
    }
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, A).ejections()).isZero();
  }

  @Test
  void customFailureDefinitionReplacesTheDefaults() {
    LoadBalancer lb =
        balancer(
            OutlierDetection.builder()
                .failureStatuses(429)
                .failureErrors(EnumSet.of(ErrorKind.CONNECT))
                .consecutiveFailures(3)
                .build());
    complete(clock, lb, A, 503, 10);
    fail(clock, lb, A, ErrorKind.TIMEOUT, 10);
    assertThat(status(lb, A)).as("503 and TIMEOUT are no longer failures").isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 429, 2);
    fail(clock, lb, A, ErrorKind.CONNECT, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("3 consecutive failures (last: error CONNECT); ");
  }

  @Test
  void onlyConnectionErrorsWhenNoStatusCounts() {
    LoadBalancer lb = balancer(OutlierDetection.builder().failureStatuses().build());
    complete(clock, lb, A, 503, 20);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    fail(clock, lb, A, ErrorKind.TIMEOUT, 5);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
  }

  @Test
  void failuresOfOtherBackendsDoNotInterleaveIntoTheStreak() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    for (int i = 0; i < 4; i++) {
      complete(clock, lb, A, 503, 1);
      complete(clock, lb, id(1), 503, 1); // another backend's failure
      complete(clock, lb, id(2), 200, 1); // another backend's success
    }
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 503, 1);
    assertThat(status(lb, A)).as("its own 5 in a row").isEqualTo(BackendStatus.EJECTED);
    assertThat(status(lb, id(2))).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void anEjectionOutranksTheProbeVerdictAndHandsBackToIt() {
    Set<String> down = ConcurrentHashMap.newKeySet();
    HealthCheck check =
        HealthCheck.builder(
                (b, timeout) ->
                    CompletableFuture.completedFuture(
                        down.contains(b.id())
                            ? HealthResult.unhealthy("probe says no")
                            : HealthResult.healthy()))
            .jitter(0)
            .unhealthyThreshold(1)
            .build();
    LoadBalancer lb =
        engine.pool(
            POOL,
            p ->
                p.backend(uri(0))
                    .backend(uri(1))
                    .backend(uri(2))
                    .healthCheck(check)
                    .outlierDetection(OutlierDetection.defaults()));
    clock.runDue();
    List<Lease> inFlight = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      inFlight.add(leaseOn(lb, A));
    }
    down.add(A);
    clock.advance(HealthCheck.DEFAULT_INTERVAL);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.UNHEALTHY);
    for (Lease lease : inFlight) {
      lease.complete(503); // requests sent before the probe failed, failing now
    }
    clock.runDue();
    assertThat(status(lb, A)).as("EJECTED outranks UNHEALTHY").isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("5 consecutive failures");

    clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME);
    assertThat(status(lb, A)).as("the probe still fails").isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).contains("probe says no");
  }

  // ------------------------------------------------------------------ ejection time

  @Test
  void returnsAfterExactlyTheBaseEjectionTime() {
    Duration base = Duration.ofSeconds(7);
    LoadBalancer lb = balancer(OutlierDetection.builder().baseEjectionTime(base).build());
    complete(clock, lb, A, 503, 5);
    long ejectedAt = clock.nanoTime();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);

    clock.advanceNanos(base.toNanos() - 1);
    assertThat(status(lb, A)).as("1 ns before the end").isEqualTo(BackendStatus.EJECTED);
    assertThat(pickCounts(lb, 100)).doesNotContainKey(A);

    clock.advanceNanos(1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, A).statusReason()).isEqualTo("ejection time ended");
    assertThat(events.statusChanges(A))
        .extracting(HealthEvent.StatusChanged::to, HealthEvent.StatusChanged::nanoTime)
        .containsExactly(
            tuple(BackendStatus.EJECTED, ejectedAt),
            tuple(BackendStatus.HEALTHY, ejectedAt + base.toNanos()));
    assertThat(pickCounts(lb, 300)).containsEntry(A, 100);
  }

  @Test
  void repeatedEjectionsBackOffLinearlyUpToTheMaximum() {
    backOff(Duration.ofSeconds(10), Duration.ofSeconds(30)); // 10 s, 20 s, 30 s, 30 s, 30 s
  }

  @Test
  void backOffWhenTheMaximumIsNoMultipleOfTheBase() {
    backOff(Duration.ofSeconds(10), Duration.ofSeconds(25)); // 10 s, 20 s, 25 s, 25 s, 25 s
  }

  @Test
  void ejectionNanosIsBaseTimesNCappedAtTheMaximum() {
    OutlierDetection od =
        OutlierDetection.builder()
            .baseEjectionTime(Duration.ofSeconds(10))
            .maxEjectionTime(Duration.ofSeconds(25))
            .build();
    assertThat(od.ejectionNanos(1)).isEqualTo(Duration.ofSeconds(10).toNanos());
    assertThat(od.ejectionNanos(2)).isEqualTo(Duration.ofSeconds(20).toNanos());
    assertThat(od.ejectionNanos(3)).isEqualTo(Duration.ofSeconds(25).toNanos());
    assertThat(od.ejectionNanos(Integer.MAX_VALUE)).isEqualTo(Duration.ofSeconds(25).toNanos());
  }

  @Test
  void ejectionNanosOfTheDefaults() {
    OutlierDetection od = OutlierDetection.defaults();
    long base = OutlierDetection.DEFAULT_BASE_EJECTION_TIME.toNanos();
    long max = OutlierDetection.DEFAULT_MAX_EJECTION_TIME.toNanos();
    for (int n = 1; n <= 12; n++) {
      assertThat(od.ejectionNanos(n)).as("n = %d", n).isEqualTo(Math.min(base * n, max));
    }
    assertThat(od.ejectionNanos(Integer.MAX_VALUE)).as("no overflow").isEqualTo(max);
  }

  /** Ejects backend A five times in a row; the n-th lasts min(base * n, max). */
  private void backOff(Duration base, Duration max) {
    LoadBalancer lb =
        balancer(OutlierDetection.builder().baseEjectionTime(base).maxEjectionTime(max).build());
    for (int n = 1; n <= 5; n++) {
      Duration expected = base.multipliedBy(n).compareTo(max) < 0 ? base.multipliedBy(n) : max;
      // The multiplier stops growing at the first step that reaches the maximum.
      long maxStep = -Math.floorDiv(-max.toNanos(), base.toNanos());
      ejectAndExpect(lb, (int) Math.min(n, maxStep), expected);
    }
    assertThat(stats(lb, A).ejections()).isEqualTo(5);
  }

  @Test
  void defaultBackoffDoublesThenTriples() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    Duration base = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;
    ejectAndExpect(lb, 1, base);
    ejectAndExpect(lb, 2, base.multipliedBy(2));
    ejectAndExpect(lb, 3, base.multipliedBy(3));
  }

  @Test
  void theMultiplierDecaysOneStepPerBaseTimeBackInService() {
    Duration base = Duration.ofSeconds(10);
    LoadBalancer lb =
        balancer(
            OutlierDetection.builder()
                .baseEjectionTime(base)
                .maxEjectionTime(Duration.ofSeconds(100))
                .build());
    ejectAndExpect(lb, 1, base);
    ejectAndExpect(lb, 2, base.multipliedBy(2));
    ejectAndExpect(lb, 3, base.multipliedBy(3));

    // Back in service for 1 ns less than one base time: nothing forgiven yet.
    clock.advanceNanos(base.toNanos() - 1);
    ejectAndExpect(lb, 4, base.multipliedBy(4));

    // Exactly two base times back in service: two steps forgiven, then this ejection adds one.
    clock.advance(base.multipliedBy(2));
    ejectAndExpect(lb, 3, base.multipliedBy(3));

    // A long healthy period forgives everything: the next ejection is the base time again.
    clock.advance(Duration.ofHours(1));
    ejectAndExpect(lb, 1, base);
    assertThat(stats(lb, A).ejections()).isEqualTo(6);
  }

  @Test
  void failuresOfLeasesStillOpenDuringTheEjectionNeitherExtendItNorCarryOver() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    List<Lease> open = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      open.add(leaseOn(lb, A));
    }
    for (int i = 0; i < 5; i++) {
      open.get(i).complete(503);
    }
    clock.runDue();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    String reason = stats(lb, A).statusReason();
    // The other 4 requests were already in flight: they fail while it is ejected.
    for (int i = 5; i < 9; i++) {
      open.get(i).complete(503);
    }
    clock.runDue();
    assertThat(stats(lb, A).inFlight()).isZero();
    assertThat(stats(lb, A).ejections()).isEqualTo(1);
    assertThat(stats(lb, A).statusReason()).isEqualTo(reason);

    clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME);
    assertThat(status(lb, A)).as("not extended by the late failures").isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 503, 1);
    assertThat(status(lb, A))
        .as("a fresh streak after the return, not 4 stale failures + 1")
        .isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void closingTheLoadBalancerCancelsThePendingReturn() {
    LoadBalancer lb = balancer(OutlierDetection.defaults());
    int before = clock.pendingTasks();
    complete(clock, lb, A, 503, 5);
    assertThat(clock.pendingTasks()).isEqualTo(before + 1);
    lb.close();
    assertThat(clock.pendingTasks()).isEqualTo(before);
  }

  @Test
  void aSchedulerThatFiresEarlyDoesNotEndTheEjectionEarly() {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    List<Runnable> tasks = new ArrayList<>();
    List<Long> delays = new ArrayList<>();
    Scheduler early =
        (task, delayNanos) -> {
          tasks.add(task);
          delays.add(delayNanos);
          return () -> {};
        };
    Duration base = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;
    LoadBalancer lb =
        engine.track(
            LoadBalancer.builder()
                .ticker(now::get)
                .scheduler(early)
                .pool(
                    POOL,
                    p -> p.backend(uri(0)).backend(uri(1)).outlierDetection(OutlierDetection.defaults()))
                .build());
    complete(lb, A, 503, 5);
    assertThat(delays).as("the ejection, applied on the scheduler at once").containsExactly(0L);
    tasks.remove(0).run();
    delays.remove(0);
    assertThat(tasks).hasSize(1);
    assertThat(delays).containsExactly(base.toNanos());

    now.addAndGet(base.toNanos() / 3);
    tasks.get(0).run(); // a third of the way in
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(delays).as("rescheduled for the rest").containsExactly(base.toNanos(), base.toNanos() - base.toNanos() / 3);

    now.addAndGet(base.toNanos() - base.toNanos() / 3);
    tasks.get(1).run();
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 1000})
  void theThresholdIsConfigurable(int threshold) {
    LoadBalancer lb =
        balancer(
            OutlierDetection.builder()
                .consecutiveFailures(threshold)
                .failureErrors(Set.of(ErrorKind.TIMEOUT))
                .build());
    fail(clock, lb, A, ErrorKind.TIMEOUT, threshold - 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    fail(clock, lb, A, ErrorKind.TIMEOUT, 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason())
        .startsWith(threshold + " consecutive failures (last: error TIMEOUT); ");
  }

  /**
   * Ejects backend A with 5 failures now, checks the reason names back-off step {@code n}
   * and {@code expected}, and that it returns exactly {@code expected} later, not a nanosecond
   * sooner.
   */
  private void ejectAndExpect(LoadBalancer lb, int n, Duration expected) {
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, A, 503, 5);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason())
        .isEqualTo(
            "5 consecutive failures (last: status 503); ejected for " + expected + " (back-off step "
                + n + ")");
    clock.advanceNanos(expected.toNanos() - 1);
    assertThat(status(lb, A))
        .as("ejection %d, %s minus 1 ns", n, expected)
        .isEqualTo(BackendStatus.EJECTED);
    clock.advanceNanos(1);
    assertThat(status(lb, A)).as("ejection %d after %s", n, expected).isEqualTo(BackendStatus.HEALTHY);
  }
}
