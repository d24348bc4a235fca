package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Pool and per-backend concurrency limits (bulkheads). */
class ConcurrencyLimitTest {

  private static final RequestView GET = RequestView.of("GET", "/");

  @Test
  void thePoolLimitRefusesTheNextSelectionWithTheReasonAndFreesOnRelease() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1").maxRequests(3))
            .build()) {
      List<Lease> open = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        open.add(lb.select(GET).leaseOrThrow());
      }
      Selection fourth = lb.select(GET);
      assertThat(fourth).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) fourth).reason()).isEqualTo(NoBackend.Reason.CONCURRENCY_LIMIT);
      assertThat(((NoBackend) fourth).message())
          .isEqualTo("pool 'api': 3 requests in flight, its concurrency limit");
      assertThat(lb.stats().pool("api").overLimit()).isEqualTo(1);

      open.remove(0).complete(200);
      open.add(lb.select(GET).leaseOrThrow());
      open.forEach(Lease::close);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void aBackendAtItsLimitIsSkippedAndAllFullFailsWithTheReason() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> p.backend("http://a:1").backend("http://b:1")
                    .algorithm(Algorithms.roundRobin())
                    .maxRequestsPerBackend(2))
            .build()) {
      List<Lease> open = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        open.add(lb.select(GET).leaseOrThrow());
      }
      assertThat(open).extracting(l -> l.backend().id())
          .containsExactlyInAnyOrder("a:1", "a:1", "b:1", "b:1");
      Selection full = lb.select(GET);
      assertThat(full).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) full).reason()).isEqualTo(NoBackend.Reason.CONCURRENCY_LIMIT);
      assertThat(((NoBackend) full).message())
          .isEqualTo("pool 'api': the backends tried are at their limit of 2 requests in flight");

      // Free one slot on b: round robin may pick a first, which is full, so b is taken instead.
      Lease onB = open.stream().filter(l -> l.backend().id().equals("b:1")).findFirst().orElseThrow();
      onB.complete(200);
      open.remove(onB);
      for (int i = 0; i < 2; i++) {
        Lease l = lb.select(GET).leaseOrThrow();
        assertThat(l.backend().id()).isEqualTo("b:1");
        l.close();
      }
      open.forEach(Lease::close);
      assertThat(lb.stats().pool("api").backends()).allMatch(b -> b.inFlight() == 0);
    }
  }

  @Test
  void limitsHoldUnderARaceAndEveryCounterReturnsToZero() throws Exception {
    int threads = 8;
    int perBackend = 3;
    int poolLimit = 10;
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> p.backend("http://a:1").backend("http://b:1").backend("http://c:1")
                    .backend("http://d:1")
                    .algorithm(Algorithms.leastRequest())
                    .maxRequests(poolLimit)
                    .maxRequestsPerBackend(perBackend))
            .build()) {
      Map<String, AtomicInteger> now = new ConcurrentHashMap<>();
      Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
      AtomicInteger poolNow = new AtomicInteger();
      AtomicInteger poolPeak = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      CountDownLatch start = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int seed = t;
          done.add(
              pool.submit(
                  () -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    Deque<Lease> held = new ArrayDeque<>();
                    start.await();
                    for (int i = 0; i < 20_000; i++) {
                      if (!held.isEmpty() && (held.size() >= 3 || random.nextBoolean())) {
                        Lease l = held.poll();
                        java.util.Objects.requireNonNull(now.get(l.backend().id())).decrementAndGet();
                        poolNow.decrementAndGet();
                        l.complete(200);
                      }
                      Selection s = lb.select(GET);
                      if (s instanceof Lease l) {
                        String id = l.backend().id();
                        int n = now.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
                        peak.computeIfAbsent(id, k -> new AtomicInteger()).accumulateAndGet(n, Math::max);
                        poolPeak.accumulateAndGet(poolNow.incrementAndGet(), Math::max);
                        held.add(l);
                      } else {
                        refused.incrementAndGet();
                      }
                    }
                    for (Lease l : held) {
                      java.util.Objects.requireNonNull(now.get(l.backend().id())).decrementAndGet();
                      poolNow.decrementAndGet();
                      l.close();
                    }
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      }
      // Our own counters lag the engine's by at most the window between select and increment,
      // so they can only under-count: a peak above the limit is a real breach.
      assertThat(peak.values()).allMatch(p -> p.get() <= perBackend);
      assertThat(poolPeak.get()).isLessThanOrEqualTo(poolLimit);
      assertThat(refused.get()).as("8 threads x up to 3 held > 10 allowed").isPositive();
      assertThat(lb.stats().pool("api").inFlight()).isZero();
      assertThat(lb.stats().pool("api").backends()).allMatch(b -> b.inFlight() == 0);
      assertThat(lb.stats().pool("api").overLimit()).isEqualTo(refused.get());
      for (Backend b : lb.defaultPool().backends()) {
        assertThat(b.inFlight()).isZero();
      }
      Lease after = lb.select(GET).leaseOrThrow();
      after.close();
    }
  }

  @Test
  void badLimitsAreRejected() {
    assertThatThrownBy(() -> LoadBalancer.builder().pool("api", p -> p.maxRequests(0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.maxRequests: 0 (expected: 1..1000000000)");
    assertThatThrownBy(() -> LoadBalancer.builder().pool("api", p -> p.maxRequestsPerBackend(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools.api.maxRequestsPerBackend: -1 (expected: 1..1000000)");
    assertThatThrownBy(
            () -> LoadBalancer.builder().pool("api", p -> p.maxRequests(5).maxRequests(6)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api.maxRequests was already set to 5");
  }
}
