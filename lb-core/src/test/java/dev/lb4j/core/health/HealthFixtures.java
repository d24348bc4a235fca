package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared helpers of the health tests: a quick health check, pick counting, stats readers. The clock, the
 * event recorder and the open/close harness are {@link dev.lb4j.core.testing.EngineFixture}'s.
 */
final class HealthFixtures {

  static final RequestView GET = RequestView.of("GET", "/");

  /** The slow-start window most tests use: 100 s, so elapsed seconds read as percent. */
  static final Duration WINDOW = Duration.ofSeconds(100);

  private HealthFixtures() {}

  /**
   * Six standard deviations of the count of successes in {@code n} Bernoulli trials of probability
   * {@code p}: {@code 6 * sqrt(n p (1 - p))}. A count outside {@code n p} plus or minus this happens
   * by chance with probability about 2e-9, so a failure means the expectation is wrong. Round robin
   * and the load-aware algorithms vary less than a binomial, so the bound is conservative for them.
   */
  static double sixSigma(int n, double p) {
    return 6 * Math.sqrt(n * p * (1 - p));
  }

  /** Selects {@code picks} times, closing each lease at once; how many went to {@code id}. */
  static int picksOf(Pool pool, String id, int picks) {
    int hits = 0;
    for (int i = 0; i < picks; i++) {
      try (Lease lease = pool.select(GET).leaseOrThrow()) {
        if (lease.backend().id().equals(id)) {
          hits++;
        }
      }
    }
    return hits;
  }

  /**
   * Fails {@code failures} leases of {@code id} in a row (every other backend excluded), then lets
   * the scheduler run what the failures triggered (an ejection is applied on the scheduler, never on
   * the thread that completes the lease).
   */
  static void failLeases(ManualClock clock, Pool pool, String id, int failures) {
    List<Backend> others = new ArrayList<>();
    for (Backend b : pool.backends()) {
      if (!b.id().equals(id)) {
        others.add(b);
      }
    }
    for (int i = 0; i < failures; i++) {
      Lease lease = pool.select(GET, others).leaseOrThrow();
      assertThat(lease.backend().id()).as("lease %d of the failure streak", i).isEqualTo(id);
      lease.complete(503);
    }
    clock.runDue();
  }

  static BackendStats stats(LoadBalancer lb, String pool, String id) {
    return lb.stats().pool(pool).backend(id);
  }

  static BackendStatus status(LoadBalancer lb, String pool, String id) {
    return stats(lb, pool, id).status();
  }

  /**
   * A health check of the scripted probe that reacts to one probe: every 2 s, no jitter, unhealthy
   * after 1 failure, healthy after 1 success.
   */
  static HealthCheck quickCheck(ScriptedProbe probe) {
    return HealthCheck.builder(probe)
        .interval(Duration.ofSeconds(2))
        .jitter(0)
        .unhealthyThreshold(1)
        .healthyThreshold(1)
        .build();
  }
}
