package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.GET;
import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static dev.lb4j.core.health.PassiveTestSupport.complete;
import static dev.lb4j.core.health.PassiveTestSupport.id;
import static dev.lb4j.core.health.PassiveTestSupport.leaseOn;
import static dev.lb4j.core.health.PassiveTestSupport.stats;
import static dev.lb4j.core.health.PassiveTestSupport.status;
import static dev.lb4j.core.health.PassiveTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The ejection cap ({@code maxEjectionPercent}, with "one may always be ejected") and ejection under
 * concurrent failures.
 */
class EjectionCapTest {

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final HealthEventLog events = engine.events();

  private LoadBalancer balancer(int backends, OutlierDetection od) {
    return engine.pool(
        POOL,
        p -> {
          for (int i = 0; i < backends; i++) {
            p.backend(uri(i));
          }
          p.algorithm(Algorithms.roundRobin()).outlierDetection(od);
        });
  }

  /**
   * Sends {@code requests} requests round robin; backends 0 to {@code failing - 1} answer 503, the
   * rest 200. Returns the failures per backend id.
   */
  private Map<String, Integer> drive(LoadBalancer lb, int failing, int requests) {
    Map<String, Integer> failures = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      Lease lease = lb.select(GET).leaseOrThrow();
      String id = lease.backend().id();
      boolean fails = false;
      for (int f = 0; f < failing; f++) {
        fails |= id.equals(id(f));
      }
      if (fails) {
        lease.complete(503);
        failures.merge(id, 1, Integer::sum);
      } else {
        lease.complete(200);
      }
      clock.runDue(); // the scheduler applies an ejection as soon as it runs
    }
    return failures;
  }

  private static List<String> ejected(PoolStats pool) {
    List<String> out = new ArrayList<>();
    for (BackendStats b : pool.backends()) {
      if (b.status() == BackendStatus.EJECTED) {
        out.add(b.id());
      }
    }
    return out;
  }

  /**
   * Checks the cap held and that every refusal was counted: a failing backend that stayed in
   * service had each of its streaks of 5 refused (each refusal starts the count afresh), and an
   * ejected one failed exactly its 5 before it was taken out.
   */
  private static void assertCapped(
      PoolStats pool, Map<String, Integer> failures, int failing, int expectedEjected) {
    List<String> ejected = ejected(pool);
    assertThat(ejected).hasSize(expectedEjected);
    long expectedRefusals = 0;
    for (int f = 0; f < failing; f++) {
      String id = id(f);
      int n = failures.getOrDefault(id, 0);
      if (ejected.contains(id)) {
        assertThat(n).as("failures of ejected %s", id).isEqualTo(5);
        assertThat(pool.backend(id).ejections()).isEqualTo(1);
      } else {
        expectedRefusals += n / 5;
        assertThat(pool.backend(id).ejections()).isZero();
        assertThat(pool.backend(id).status()).isEqualTo(BackendStatus.HEALTHY);
      }
    }
    assertThat(expectedRefusals).as("the scenario must hit the cap").isPositive();
    assertThat(pool.ejectionsRefused()).isEqualTo(expectedRefusals);
    for (int h = failing; h < pool.backends().size(); h++) {
      assertThat(pool.backend(id(h)).status()).isEqualTo(BackendStatus.HEALTHY);
    }
  }

  @Test
  void defaultCapEjectsOneOfTenAndCountsTheRefusals() {
    LoadBalancer lb = balancer(10, OutlierDetection.defaults());
    Map<String, Integer> failures = drive(lb, 8, 500);
    assertCapped(lb.stats().pool(POOL), failures, 8, 1);
    assertThat(lb.stats().pool(POOL).panic()).isFalse();
  }

  @Test
  void fiftyPercentCapEjectsFiveOfTen() {
    LoadBalancer lb = balancer(10, OutlierDetection.builder().maxEjectionPercent(50).build());
    Map<String, Integer> failures = drive(lb, 8, 500);
    assertCapped(lb.stats().pool(POOL), failures, 8, 5);
  }

  @Test
  void hundredPercentCapEjectsEveryFailingBackend() {
    LoadBalancer lb = balancer(10, OutlierDetection.builder().maxEjectionPercent(100).build());
    drive(lb, 8, 500);
    assertThat(ejected(lb.stats().pool(POOL))).hasSize(8);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isZero();
  }

  @Test
  void oneBackendMayAlwaysBeEjected() {
    // 10% of 3 backends is 0.3 of a backend: the cap still lets one go.
    LoadBalancer lb = balancer(3, OutlierDetection.defaults());
    complete(clock, lb, id(0), 503, 5);
    assertThat(status(lb, id(0))).isEqualTo(BackendStatus.EJECTED);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isZero();
    // ... but only one.
    complete(clock, lb, id(1), 503, 5);
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.HEALTHY);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);
  }

  @Test
  void evenZeroPercentLetsOneBackendBeEjected() {
    LoadBalancer lb = balancer(3, OutlierDetection.builder().maxEjectionPercent(0).build());
    complete(clock, lb, id(0), 503, 5);
    assertThat(status(lb, id(0))).isEqualTo(BackendStatus.EJECTED);
    complete(clock, lb, id(1), 503, 5);
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.HEALTHY);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);
  }

  @Test
  void aRefusedStreakStartsAfreshAndTheSlotFreesWhenTheEjectionEnds() {
    LoadBalancer lb = balancer(10, OutlierDetection.defaults());
    complete(clock, lb, id(0), 503, 5);
    complete(clock, lb, id(1), 503, 5);
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.HEALTHY);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);
    // The count started afresh after the refusal: 4 more are no streak of 5.
    complete(clock, lb, id(1), 503, 4);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);

    clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME);
    assertThat(status(lb, id(0))).isEqualTo(BackendStatus.HEALTHY);
    complete(clock, lb, id(1), 503, 1); // the 5th since the refusal, now with room under the cap
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.EJECTED);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isEqualTo(1);
  }

  @Test
  void aRemovedEjectedBackendFreesItsSlotAndItsTimer() {
    LoadBalancer lb = balancer(3, OutlierDetection.defaults());
    int idle = clock.pendingTasks();
    complete(clock, lb, id(0), 503, 5);
    assertThat(clock.pendingTasks()).as("the end of the ejection is scheduled").isEqualTo(idle + 1);
    lb.admin().removeBackend(POOL, id(0));
    assertThat(clock.pendingTasks()).as("and cancelled with the backend").isEqualTo(idle);
    complete(clock, lb, id(1), 503, 5);
    assertThat(status(lb, id(1))).isEqualTo(BackendStatus.EJECTED);
    assertThat(lb.stats().pool(POOL).ejectionsRefused()).isZero();
  }

  @Test
  void concurrentFailuresEjectExactlyOnce() throws Exception {
    int threads = 8;
    int preAcquired = 100;
    int selectLoops = 200;
    // Two backends: the failing one is ejected; the other keeps the pool out of panic, so after
    // the ejection the select loops below never reach the failing one.
    LoadBalancer lb = balancer(2, OutlierDetection.builder().maxEjectionPercent(50).build());
    String bad = id(0);
    List<List<Lease>> leases = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<Lease> mine = new ArrayList<>();
      for (int i = 0; i < preAcquired; i++) {
        mine.add(leaseOn(lb, bad));
      }
      leases.add(mine);
    }
    assertThat(stats(lb, bad).inFlight()).isEqualTo(threads * preAcquired);

    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        List<Lease> mine = leases.get(t);
        boolean withStatus = t % 2 == 0; // half the threads record 503s, half connection resets
        done.add(
            pool.submit(
                () -> {
                  ready.countDown();
                  if (!go.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("start signal not given within 30 s");
                  }
                  for (Lease lease : mine) {
                    if (withStatus) {
                      lease.complete(503);
                    } else {
                      lease.fail(ErrorKind.RESET);
                    }
                  }
                  for (int i = 0; i < selectLoops; i++) {
                    Lease lease = lb.select(GET).leaseOrThrow();
                    if (lease.backend().id().equals(bad)) {
                      lease.fail(ErrorKind.TIMEOUT);
                    } else {
                      lease.complete(200);
                    }
                  }
                  return null;
                }));
      }
      assertThat(ready.await(30, TimeUnit.SECONDS)).as("workers started within 30 s").isTrue();
      go.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("workers stopped").isTrue();
    }

    clock.runDue(); // the ejection the streak triggered is applied on the scheduler
    PoolStats stats = lb.stats().pool(POOL);
    BackendStats badStats = stats.backend(bad);
    assertThat(badStats.status()).isEqualTo(BackendStatus.EJECTED);
    assertThat(badStats.ejections()).isEqualTo(1);
    assertThat(stats.ejectionsRefused()).isZero();
    assertThat(events.statusChanges(bad))
        .extracting(HealthEvent.StatusChanged::to)
        .containsExactly(BackendStatus.EJECTED);
    assertThat(stats.inFlight()).isZero();
    for (BackendStats b : stats.backends()) {
      assertThat(b.inFlight()).as("in flight on %s", b.id()).isZero();
      assertThat(b.picks()).isEqualTo(b.completed() + b.cancelled());
      assertThat(b.cancelled()).isZero();
    }
    long total = (long) threads * (preAcquired + selectLoops);
    assertThat(stats.backends().stream().mapToLong(BackendStats::completed).sum()).isEqualTo(total);
    assertThat(badStats.failures()).isEqualTo(badStats.completed());
    assertThat(stats.backend(id(1)).failures()).isZero();
  }
}
