package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.WINDOW;
import static dev.lb4j.core.health.HealthFixtures.failLeases;
import static dev.lb4j.core.health.HealthFixtures.picksOf;
import static dev.lb4j.core.health.HealthFixtures.quickCheck;
import static dev.lb4j.core.health.HealthFixtures.sixSigma;
import static dev.lb4j.core.health.HealthFixtures.stats;
import static dev.lb4j.core.health.HealthFixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Pool;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Slow start after recovery: a backend that comes back from an ejection, a failed health check, a
 * drain or a disable ramps up like a new one; a ramp only runs while someone else serves.
 */
class SlowStartRecoveryTest {

  private static final int PICKS = 20_000;
  private static final String B0 = "b0:80";

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final HealthEventLog events = engine.events();
  private final LoadBalancer lb =
      engine.pool(
          "api",
          p -> p.backend("http://b0:80")
              .backend("http://b1:80")
              .backend("http://b2:80")
              .backend("http://b3:80")
              .algorithm(Algorithms.random())
              .slowStart(SlowStart.linear(WINDOW))
              .outlierDetection(OutlierDetection.builder().maxEjectionPercent(100).build())
              .healthCheck(quickCheck(probe)));
  private final Pool pool = lb.defaultPool();

  /** The ways a backend leaves service and comes back. */
  enum Path {
    EJECTION("ejection time ended", BackendStatus.EJECTED),
    HEALTH_CHECK("1 consecutive probes passed", BackendStatus.UNHEALTHY),
    DRAIN("undrained by admin", BackendStatus.DRAINING),
    DISABLE("enabled by admin", BackendStatus.DISABLED);

    final String trigger;
    final BackendStatus out;

    Path(String trigger, BackendStatus out) {
      this.trigger = trigger;
      this.out = out;
    }
  }

  private void takeOut(Path path) {
    switch (path) {
      case EJECTION -> failLeases(clock, pool, B0, 5);
      case HEALTH_CHECK -> {
        probe.fail(B0, "connection refused");
        clock.advance(Duration.ofSeconds(2));
      }
      case DRAIN -> lb.admin().drain("api", B0);
      case DISABLE -> lb.admin().disable("api", B0);
    }
  }

  private void bringBack(Path path) {
    switch (path) {
      case EJECTION -> clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME);
      case HEALTH_CHECK -> {
        probe.pass(B0);
        clock.advance(Duration.ofSeconds(2));
      }
      case DRAIN -> lb.admin().undrain("api", B0);
      case DISABLE -> lb.admin().enable("api", B0);
    }
  }

  /** With random picks over three others at full share, b0's share is {@code f / (3 + f)}. */
  private void assertShare(double f) {
    double p = f / (3 + f);
    assertThat((double) picksOf(pool, B0, PICKS))
        .as("picks of b0 at f = %s", f)
        .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
  }

  @ParameterizedTest
  @EnumSource(Path.class)
  void backendBackInServiceRampsUpOverTheWindow(Path path) {
    clock.runDue(); // the first probes: all pass
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.HEALTHY);

    takeOut(path);
    assertThat(status(lb, "api", B0)).isEqualTo(path.out);
    assertThat(picksOf(pool, B0, 2_000)).as("no picks while out of service").isZero();

    int mark = events.mark();
    bringBack(path);
    BackendStats back = stats(lb, "api", B0);
    assertThat(back.status()).isEqualTo(BackendStatus.WARMING);
    assertThat(back.statusReason()).isEqualTo(path.trigger + "; slow start over PT1M40S");
    assertThat(events.statusChangesSince(mark))
        .containsExactly(
            new HealthEvent.StatusChanged(
                "api", B0, path.out, BackendStatus.WARMING, back.statusReason(), clock.nanoTime()));
    assertShare(0.1);

    clock.advance(Duration.ofSeconds(50));
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.WARMING);
    assertShare(0.5);

    mark = events.mark();
    clock.advance(Duration.ofSeconds(50));
    BackendStats done = stats(lb, "api", B0);
    assertThat(done.status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(done.statusReason()).isEqualTo("slow start window of PT1M40S ended");
    assertThat(events.statusChangesSince(mark))
        .containsExactly(
            new HealthEvent.StatusChanged(
                "api", B0, BackendStatus.WARMING, BackendStatus.HEALTHY,
                "slow start window of PT1M40S ended", clock.nanoTime()));
    assertShare(1.0);
  }

  @Test
  void leavingServiceDuringARampEndsItAndComingBackStartsANewOne() {
    clock.runDue();
    lb.admin().drain("api", B0);
    lb.admin().undrain("api", B0);
    clock.advance(Duration.ofSeconds(50));
    assertShare(0.5);

    lb.admin().drain("api", B0);
    lb.admin().undrain("api", B0);
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.WARMING);
    assertShare(0.1);

    clock.advance(Duration.ofSeconds(50)); // when the first ramp would have ended
    assertThat(status(lb, "api", B0))
        .as("the first ramp's window no longer applies")
        .isEqualTo(BackendStatus.WARMING);
    assertShare(0.5);
    clock.advance(Duration.ofSeconds(50));
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void aWarmingBackendThatFailsItsHealthCheckStopsWarmingAndRampsAgainWhenItPasses() {
    clock.runDue();
    lb.admin().disable("api", B0);
    lb.admin().enable("api", B0);
    clock.advance(Duration.ofSeconds(50));
    assertShare(0.5);

    probe.fail(B0, "503 from /health");
    clock.advance(Duration.ofSeconds(2));
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, "api", B0).statusReason())
        .isEqualTo("1 consecutive probes failed; last: 503 from /health");

    probe.pass(B0);
    clock.advance(Duration.ofSeconds(2));
    assertThat(status(lb, "api", B0)).isEqualTo(BackendStatus.WARMING);
    assertShare(0.1);
  }

  @Test
  void slowStartDoesNothingWhileEveryServingBackendIsWarming() {
    ManualClock own = new ManualClock();
    try (LoadBalancer two =
        LoadBalancer.builder()
            .ticker(own)
            .scheduler(own)
            .pool(
                "api",
                p -> p.backend("http://a:80")
                    .backend("http://b:80")
                    .algorithm(Algorithms.roundRobin())
                    .slowStart(SlowStart.linear(WINDOW)))
            .build()) {
      Pool p = two.defaultPool();
      two.admin().disable("api", "a:80");
      two.admin().disable("api", "b:80");
      two.admin().enable("api", "a:80");
      assertThat(status(two, "api", "a:80")).isEqualTo(BackendStatus.WARMING);
      assertThat(picksOf(p, "a:80", 1_000)).as("alone, a warming backend takes everything")
          .isEqualTo(1_000);

      own.advance(Duration.ofSeconds(50));
      two.admin().enable("api", "b:80");
      // a is at f = 0.5 and b at f = 0.1. If slow start applied, round robin would give b a share
      // of 0.1 / (0.5 + 0.1) = 1/6; with both warming it does nothing: each gets half.
      assertThat(status(two, "api", "b:80")).isEqualTo(BackendStatus.WARMING);
      assertThat((double) picksOf(p, "b:80", PICKS))
          .isCloseTo(PICKS * 0.5, within(sixSigma(PICKS, 0.5)));

      own.advance(Duration.ofSeconds(50)); // a's window ends: b (f = 0.5) ramps against it
      assertThat(status(two, "api", "a:80")).isEqualTo(BackendStatus.HEALTHY);
      double share = 0.5 / 1.5;
      assertThat((double) picksOf(p, "b:80", PICKS))
          .isCloseTo(PICKS * share, within(sixSigma(PICKS, share)));
    }
  }

  /**
   * A pool whose backends all wait for their first probe comes up together: slow start has nobody
   * to shift load to. Even a straggler that passes its first probe later takes its full share while
   * the others are still in their windows.
   */
  @Test
  void aPoolWaitingForItsFirstProbesStartsAtFullShare() {
    ManualClock own = new ManualClock();
    ScriptedProbe first = new ScriptedProbe(own);
    first.fail("d:80", "connection refused");
    try (LoadBalancer fresh =
        LoadBalancer.builder()
            .ticker(own)
            .scheduler(own)
            .pool(
                "api",
                p -> p.backend("http://a:80")
                    .backend("http://b:80")
                    .backend("http://c:80")
                    .backend("http://d:80")
                    .algorithm(Algorithms.random())
                    .slowStart(SlowStart.linear(WINDOW))
                    .healthCheck(
                        HealthCheck.builder(first)
                            .jitter(0)
                            .initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
                            .build()))
            .build()) {
      assertThat(fresh.select(HealthFixtures.GET)).isInstanceOf(NoBackend.class);
      own.runDue();
      double third = 1.0 / 3;
      assertThat((double) picksOf(fresh.defaultPool(), "a:80", PICKS))
          .isCloseTo(PICKS * third, within(sixSigma(PICKS, third)));
      own.advance(Duration.ofSeconds(49));
      first.pass("d:80");
      own.advance(Duration.ofSeconds(1));
      // d was present at build: its first time serving is at full share, like a, b and c's.
      assertThat(status(fresh, "api", "d:80")).isEqualTo(BackendStatus.HEALTHY);
      // If slow start held d back against a, b and c, its share would be well below a quarter.
      double quarter = 0.25;
      assertThat((double) picksOf(fresh.defaultPool(), "d:80", PICKS))
          .isCloseTo(PICKS * quarter, within(sixSigma(PICKS, quarter)));
    }
  }
}
