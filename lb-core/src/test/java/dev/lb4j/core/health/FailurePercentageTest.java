package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static dev.lb4j.core.health.PassiveTestSupport.complete;
import static dev.lb4j.core.health.PassiveTestSupport.fail;
import static dev.lb4j.core.health.PassiveTestSupport.id;
import static dev.lb4j.core.health.PassiveTestSupport.leaseOn;
import static dev.lb4j.core.health.PassiveTestSupport.stats;
import static dev.lb4j.core.health.PassiveTestSupport.status;
import static dev.lb4j.core.health.PassiveTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failure-percentage ejection: every interval, a sweep ejects each backend with at least {@code
 * threshold}% failures over at least {@code minimumRequests} requests in that interval, provided at
 * least {@code minimumBackends} backends had that many. Here: 50%, 10 requests, 3 backends, the
 * default 10 s interval; consecutive-failure ejection is pushed out of reach (1000) and the cap
 * opened (100%) so only the sweep decides, unless a test says otherwise.
 */
class FailurePercentageTest {

  private static final Duration INTERVAL = OutlierDetection.DEFAULT_INTERVAL;
  private static final String A = id(0);
  private static final String B = id(1);
  private static final String C = id(2);
  private static final String D = id(3);

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();

  private LoadBalancer balancer(OutlierDetection od) {
    return engine.pool(
        POOL,
        p ->
            p.backend(uri(0))
                .backend(uri(1))
                .backend(uri(2))
                .backend(uri(3))
                .algorithm(Algorithms.roundRobin())
                .outlierDetection(od));
  }

  private LoadBalancer balancer() {
    return balancer(
        OutlierDetection.builder()
            .failurePercentage(50, 10, 3)
            .consecutiveFailures(1000)
            .maxEjectionPercent(100)
            .build());
  }

  private void assertAllHealthy(LoadBalancer lb) {
    for (String id : new String[] {A, B, C, D}) {
      assertThat(status(lb, id)).as(id).isEqualTo(BackendStatus.HEALTHY);
    }
  }

  @Test
  void aBackendAtTheThresholdIsEjectedAtTheSweep() {
    LoadBalancer lb = balancer();
    complete(lb, A, 503, 3);
    fail(lb, A, ErrorKind.CONNECT, 2); // connection errors count as failures too
    complete(lb, A, 200, 5); // A: 5 of 10 = 50%, at the threshold
    complete(lb, B, 503, 4);
    complete(lb, B, 200, 6); // B: 4 of 10 = 40%, below it
    complete(lb, C, 200, 10); // C: 0 of 10
    complete(lb, D, 503, 9); // D: 9 of 9 = 100%, but too few requests to judge
    assertAllHealthy(lb);

    clock.advanceNanos(INTERVAL.toNanos() - 1);
    assertAllHealthy(lb);

    clock.advanceNanos(1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason())
        .isEqualTo(
            "5 of 10 requests failed in the last PT10S (threshold 50%); ejected for PT30S"
                + " (back-off step 1)");
    assertThat(stats(lb, A).ejections()).isEqualTo(1);
    assertThat(status(lb, B)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, C)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, D)).as("9 requests: below the minimum").isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void nobodyIsEjectedWhenTooFewBackendsHaveEnoughRequests() {
    LoadBalancer lb = balancer();
    complete(lb, A, 503, 10); // 100%
    complete(lb, B, 200, 10);
    complete(lb, C, 200, 9); // one short: only A and B can be judged, 2 < 3
    complete(lb, D, 200, 1);
    clock.advance(INTERVAL);
    assertAllHealthy(lb);

    // The next interval has three backends with enough requests: now A is judged.
    complete(lb, A, 503, 10);
    complete(lb, B, 200, 10);
    complete(lb, C, 200, 10);
    clock.advance(INTERVAL);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("10 of 10 requests failed in the last PT10S");
  }

  @Test
  void countersStartAfreshEveryInterval() {
    LoadBalancer lb = balancer();
    // Two intervals of 9 failures each: 18 in all, but never 10 in one interval.
    for (int interval = 0; interval < 2; interval++) {
      complete(lb, A, 503, 9);
      complete(lb, B, 200, 10);
      complete(lb, C, 200, 10);
      complete(lb, D, 200, 10);
      clock.advance(INTERVAL);
      assertAllHealthy(lb);
    }
    // A clean interval for A...
    for (String id : new String[] {A, B, C, D}) {
      complete(lb, id, 200, 10);
    }
    clock.advance(INTERVAL);
    assertAllHealthy(lb);
    // ... does not dilute the next one: 5 of 10 there, not 5 of 20.
    complete(lb, A, 503, 5);
    complete(lb, A, 200, 5);
    complete(lb, B, 200, 10);
    complete(lb, C, 200, 10);
    clock.advance(INTERVAL);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("5 of 10 requests failed");
  }

  @Test
  void cancelledRequestsAreNotVolume() {
    LoadBalancer lb = balancer();
    complete(lb, A, 503, 5);
    for (int i = 0; i < 10; i++) {
      leaseOn(lb, A).close();
      fail(lb, A, ErrorKind.CANCELLED, 1);
    }
    complete(lb, B, 200, 10);
    complete(lb, C, 200, 10);
    complete(lb, D, 200, 10);
    clock.advance(INTERVAL);
    assertThat(status(lb, A)).as("5 requests with an outcome, 20 cancelled").isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void sweepsObeyTheEjectionCap() {
    // Default cap, 10% of 4: one ejection at a time.
    LoadBalancer lb =
        balancer(
            OutlierDetection.builder().failurePercentage(50, 10, 3).consecutiveFailures(1000).build());
    complete(lb, A, 503, 10);
    complete(lb, B, 503, 10);
    complete(lb, C, 200, 10);
    clock.advance(INTERVAL);
    int ejected = 0;
    for (String id : new String[] {A, B}) {
      if (status(lb, id) == BackendStatus.EJECTED) {
        ejected++;
      }
    }
    assertThat(ejected).isEqualTo(1);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);
  }

  @Test
  void withoutFailurePercentageNoSweepIsScheduled() {
    balancer(OutlierDetection.builder().consecutiveFailures(1000).build());
    assertThat(clock.pendingTasks()).isZero();
  }

  @Test
  void aCustomIntervalIsHonoured() {
    Duration interval = Duration.ofMillis(250);
    LoadBalancer lb =
        balancer(
            OutlierDetection.builder()
                .failurePercentage(50, 10, 3)
                .interval(interval)
                .consecutiveFailures(1000)
                .maxEjectionPercent(100)
                .build());
    complete(lb, A, 503, 10);
    complete(lb, B, 200, 10);
    complete(lb, C, 200, 10);
    clock.advanceNanos(interval.toNanos() - 1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.HEALTHY);
    clock.advanceNanos(1);
    assertThat(status(lb, A)).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, A).statusReason()).startsWith("10 of 10 requests failed in the last PT0.25S");
  }
}
