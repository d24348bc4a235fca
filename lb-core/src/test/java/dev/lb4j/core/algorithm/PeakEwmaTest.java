package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.GET;
import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancerBuilder;
import static dev.lb4j.core.algorithm.TestPools.closeAll;
import static dev.lb4j.core.algorithm.TestPools.index;
import static dev.lb4j.core.algorithm.TestPools.indexById;
import static dev.lb4j.core.algorithm.TestPools.leaseOn;
import static dev.lb4j.core.algorithm.TestPools.ones;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static dev.lb4j.core.algorithm.TestPools.sixSigma;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Outcome;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * {@code peak_ewma}, driven by a fake ticker: a lease's latency is the ticker time between its
 * selection and its completion, and estimates age with {@code exp(-age / 10 s)}.
 */
class PeakEwmaTest {

  private static final long MS = 1_000_000L;
  private static final Duration DECAY = Duration.ofSeconds(10);

  /** The fake ticker; starts at an arbitrary non-zero reading. */
  private final AtomicLong now = new AtomicLong(1_000 * MS);

  private LoadBalancer balancer(int... weights) {
    return balancerBuilder(Algorithms.peakEwma(), weights)
        .ticker(now::get)
        .latencyDecay(DECAY)
        .build();
  }

  /** Records one completed request of the given latency on the backend, at the current time. */
  private static void observe(Pool pool, String id, long latencyNanos) {
    try (Lease lease = leaseOn(pool, id)) {
      lease.complete(Outcome.response(200, latencyNanos));
    }
  }

  /** A lease and the ticker reading at which the simulated backend answers it. */
  private record Pending(Lease lease, long due) {}

  @Test
  void slowBackendGetsATinyShareAndIsProbedAgainOnlyAfterItsEstimateDecays() {
    // Five backends; a answers in 100 ms, the others in 1 ms. One request per millisecond for 120
    // simulated seconds; a lease completes when its backend answers (latency measured by the
    // ticker). A fast backend's estimate is always exactly 1 ms (its every sample is 1 ms) and it
    // has nothing in flight at pick time (each answer lands before the next pick), so it costs at
    // most 1 ms. Once a has answered, its cost is at least 100 ms * exp(-t / 10 s), t the time
    // since its last answer, and as every pair of candidates holds at least one fast backend, a
    // cannot win before t = 10 s * ln(100) = 46.05 s. So a gets its first probe (no data yet: cost
    // 0), then at most one pick per 46.05 s + 0.1 s: at most 3 picks in 120 s.
    // It does get re-probed: from t = 46.1 s on, its aged estimate is below the fast backends'
    // (about 1 ms * exp(-4 ms / 10 s)) and it wins whenever it is drawn, which happens with
    // probability 2/5 per pick; so it is picked at least twice.
    try (LoadBalancer lb = balancer(ones(5))) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      long[] latency = {100 * MS, MS, MS, MS, MS};
      int[] counts = new int[5];
      List<Long> picksOfA = new ArrayList<>();
      List<Pending> pending = new ArrayList<>();
      long start = now.get();
      int steps = 120_000;
      try {
        for (int step = 0; step < steps; step++) {
          long t = now.addAndGet(MS);
          for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.due() <= t) {
              p.lease().complete(200);
              it.remove();
            }
          }
          Lease lease = pool.select(GET).leaseOrThrow();
          int i = index(index, lease.backend().id());
          counts[i]++;
          if (i == 0) {
            picksOfA.add(t - start);
          }
          pending.add(new Pending(lease, t + latency[i]));
        }
      } finally {
        for (Pending p : pending) {
          p.lease().close();
        }
      }
      assertThat(counts[0])
          .as("picks of the slow backend out of %d, at %s ns", steps, picksOfA)
          .isBetween(2, 3);
      for (int k = 1; k < picksOfA.size(); k++) {
        assertThat(picksOfA.get(k) - picksOfA.get(k - 1))
            .as("time between picks %d and %d of the slow backend", k - 1, k)
            .isGreaterThanOrEqualTo(46_050 * MS);
      }
      assertThat(lb.stats().pool(POOL).backend(pool.backends().get(0).id()).latencyEwmaNanos())
          .isEqualTo(100 * MS);
      assertIdle(lb);
    }
  }

  @Test
  void idleSlowBackendIsPickedAgainExactlyWhenItsDecayedEstimateUndercutsTheOther() {
    // Two backends, so both are the candidates of every pick. At time 0 a is observed at 100 ms
    // and b at 1 ms. Step k (k = 1, 2, ...) picks at time k * 100 ms - 1 ms; if b wins, it answers
    // 1 ms later, which keeps b's estimate at exactly 1 ms with an age of 99 ms at every pick:
    // b costs 1 ms * exp(-0.0099) = 0.99015 ms. a costs 100 ms * exp(-T / 10 s) at T = k * 0.1 s -
    // 0.001 s, below b's cost once T > 10 s * ln(100 / 0.99015) = 46.1507 s, first at k = 462
    // (T = 46.199 s: 0.98538 ms; at k = 461, T = 46.099 s: 0.99528 ms, still above).
    try (LoadBalancer lb = balancer(1, 1)) {
      Pool pool = lb.pool(POOL);
      String a = pool.backends().get(0).id();
      String b = pool.backends().get(1).id();
      observe(pool, a, 100 * MS);
      observe(pool, b, MS);
      int firstPickOfA = -1;
      for (int k = 1; k <= 2000 && firstPickOfA < 0; k++) {
        now.addAndGet(99 * MS);
        try (Lease lease = pool.select(GET).leaseOrThrow()) {
          now.addAndGet(MS);
          lease.complete(200);
          if (lease.backend().id().equals(a)) {
            firstPickOfA = k;
          }
        }
      }
      assertThat(firstPickOfA)
          .as("the step at which the idle slow backend is picked again")
          .isEqualTo(462);
      assertThat(lb.stats().pool(POOL).backend(b).picks())
          .as("picks of b: its observation, then steps 1..461")
          .isEqualTo(1 + 461);
      assertIdle(lb);
    }
  }

  @Test
  void backendWithRequestsInFlightAndNoLatencyDataIsAvoided() {
    // b, c, d have answered in 1 ms; a has one request in flight and none completed: it costs
    // Finagle's huge penalty, every pair holding a goes to the other backend.
    try (LoadBalancer lb = balancer(ones(4))) {
      Pool pool = lb.pool(POOL);
      String a = pool.backends().get(0).id();
      for (int i = 1; i < 4; i++) {
        observe(pool, pool.backends().get(i).id(), MS);
      }
      List<Lease> held = new ArrayList<>();
      try {
        held.add(leaseOn(pool, a));
        for (int i = 0; i < 1000; i++) {
          assertThat(pickAndClose(pool)).as("pick %d", i).isNotEqualTo(a);
        }
      } finally {
        closeAll(held);
      }
      assertThat(lb.stats().pool(POOL).backend(a).latencyEwmaNanos())
          .as("a closed lease records no latency")
          .isZero();
      assertIdle(lb);
    }
  }

  @Test
  void idleBackendWithNoLatencyDataIsTriedWheneverItIsACandidate() {
    // Same pool with nothing in flight on a: a costs 0 and wins every pair it is in. A pair of
    // distinct backends out of 4 holds a with probability 1 - C(3,2)/C(4,2) = 1/2, so a's picks
    // are Binomial(2000, 1/2): 1000 +- 134 (6 sd).
    int picks = 2000;
    try (LoadBalancer lb = balancer(ones(4))) {
      Pool pool = lb.pool(POOL);
      String a = pool.backends().get(0).id();
      for (int i = 1; i < 4; i++) {
        observe(pool, pool.backends().get(i).id(), MS);
      }
      int picksOfA = 0;
      for (int i = 0; i < picks; i++) {
        if (pickAndClose(pool).equals(a)) {
          picksOfA++;
        }
      }
      double tolerance = sixSigma(picks, 0.5);
      assertThat((double) picksOfA).isBetween(picks / 2.0 - tolerance, picks / 2.0 + tolerance);
      assertIdle(lb);
    }
  }

  @Test
  void costIsDividedByWeight() {
    // a (weight 2) and b (weight 1) both answered in 1 ms just now. Idle, a costs 0.5 ms against
    // b's 1 ms; with 2 requests in flight a costs 1 ms * 3 / 2 = 1.5 ms and b wins.
    try (LoadBalancer lb = balancer(2, 1)) {
      Pool pool = lb.pool(POOL);
      String a = pool.backends().get(0).id();
      String b = pool.backends().get(1).id();
      observe(pool, a, MS);
      observe(pool, b, MS);
      for (int i = 0; i < 50; i++) {
        assertThat(pickAndClose(pool)).as("idle pick %d", i).isEqualTo(a);
      }
      List<Lease> held = new ArrayList<>();
      try {
        held.add(leaseOn(pool, a));
        held.add(leaseOn(pool, a));
        for (int i = 0; i < 50; i++) {
          assertThat(pickAndClose(pool)).as("pick %d with 2 in flight on a", i).isEqualTo(b);
        }
      } finally {
        closeAll(held);
      }
      assertIdle(lb);
    }
  }
}
