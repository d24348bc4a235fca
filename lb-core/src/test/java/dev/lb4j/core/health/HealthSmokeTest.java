package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HealthResult;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class HealthSmokeTest {

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();

  private static final RequestView GET = RequestView.of("GET", "/");

  @Test
  void activeProbeFlipsAfterThresholdsAndPublishesEvents() {
    Set<String> down = ConcurrentHashMap.newKeySet();
    try (LoadBalancer lb =
        engine.pool("api", p -> p
                .backend("http://a:1").backend("http://b:1").backend("http://c:1")
                .healthCheck(HealthCheck.builder((b, t) -> CompletableFuture.completedFuture(
                        down.contains(b.id()) ? HealthResult.unhealthy("down") : HealthResult.healthy()))
                    .jitter(0).build()))) {
      down.add("a:1");
      clock.advance(Duration.ofSeconds(2)); // first probe at 0, second at 2s
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.HEALTHY);
      clock.advance(Duration.ofSeconds(2));
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(lb.stats().pool("api").backend("a:1").statusReason())
          .isEqualTo("3 consecutive probes failed; last: down");
      for (int i = 0; i < 100; i++) {
        try (Lease l = lb.select(GET).leaseOrThrow()) {
          assertThat(l.backend().id()).isNotEqualTo("a:1");
        }
      }
      down.clear();
      clock.advance(Duration.ofSeconds(2));
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.UNHEALTHY);
      clock.advance(Duration.ofSeconds(2));
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.HEALTHY);
      assertThat(engine.events().all()).hasSize(2);
    }
  }

  @Test
  void passiveEjectionPanicAndSlowStart() {
    try (LoadBalancer lb =
        engine.pool("api", p -> p
                .backend("http://a:1").backend("http://b:1")
                .outlierDetection(OutlierDetection.builder().maxEjectionPercent(50).build())
                .slowStart(SlowStart.linear(Duration.ofSeconds(10)))
                .algorithm(dev.lb4j.core.algorithm.Algorithms.roundRobin()))) {
      int failures = 0;
      for (int i = 0; i < 20 && failures < 5; i++) {
        Lease l = lb.select(GET).leaseOrThrow();
        if (l.backend().id().equals("a:1")) {
          l.complete(503);
          failures++;
        } else {
          l.complete(200);
        }
      }
      clock.runDue(); // the ejection is applied on the scheduler
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.EJECTED);
      // 1 of 2 healthy = 50%: not below the threshold, no panic
      assertThat(lb.stats().pool("api").panic()).isFalse();
      clock.advance(Duration.ofSeconds(30));
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.WARMING);
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 10_000; i++) {
        try (Lease l = lb.select(GET).leaseOrThrow()) {
          counts.merge(l.backend().id(), 1, Integer::sum);
        }
      }
      // factor 0.1 at the start: a gets ~0.1/(1.1) of traffic
      assertThat(counts.get("a:1")).isBetween(700, 1100);
      clock.advance(Duration.ofSeconds(10));
      assertThat(status(lb, "a:1")).isEqualTo(BackendStatus.HEALTHY);
      Selection s = lb.select(GET);
      assertThat(s).isInstanceOf(Lease.class);
      ((Lease) s).close();
    }
  }

  @Test
  void failFastPanic() {
    try (LoadBalancer lb =
        engine.pool("api", p -> p
                .backend("http://a:1").backend("http://b:1").backend("http://c:1")
                .healthCheck(HealthCheck.builder((b, t) -> CompletableFuture.completedFuture(
                        b.id().equals("c:1") ? HealthResult.healthy() : HealthResult.unhealthy("x")))
                    .jitter(0).unhealthyThreshold(1).build())
                .panicMode(PanicMode.FAIL_FAST))) {
      clock.runDue();
      Selection s = lb.select(GET);
      assertThat(s).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) s).reason()).isEqualTo(NoBackend.Reason.TOO_FEW_HEALTHY);
    }
  }
}
