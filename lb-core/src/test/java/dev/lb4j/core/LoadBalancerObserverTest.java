package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What an observer hears, and that it costs nothing it did not ask for. */
class LoadBalancerObserverTest {

  private final ManualClock clock = new ManualClock();
  private final Recorder recorder = new Recorder();

  /** Writes every call down, one line each. */
  static final class Recorder implements LoadBalancerObserver {
    final List<String> calls = new CopyOnWriteArrayList<>();

    @Override
    public void leaseReleased(Lease lease, int status, ErrorKind error, long latencyNanos) {
      var route = lease.route();
      calls.add(
          "released " + lease.pool() + "/" + lease.backend().id() + " route="
              + (route == null ? null : route.rule().name()) + " status=" + status + " error=" + error
              + " latency=" + latencyNanos + " attempt=" + lease.attempt());
    }

    @Override
    public void rejected(RequestView request, Rejected rejected) {
      calls.add("rejected " + rejected.policy() + " " + rejected.status());
    }

    @Override
    public void noBackend(RequestView request, NoBackend noBackend) {
      calls.add("noBackend " + noBackend.pool() + " " + noBackend.reason());
    }

    @Override
    public void retried(Lease previous, Lease next) {
      calls.add("retried " + previous.backend().id() + " -> " + next.backend().id());
    }

    @Override
    public void healthChanged(HealthEvent event) {
      if (event instanceof HealthEvent.StatusChanged changed) {
        calls.add("health " + changed.backendId() + " " + changed.to());
      }
    }
  }

  private LoadBalancer build(LoadBalancerObserver observer) {
    return LoadBalancer.builder()
        .ticker(clock)
        .scheduler(clock)
        .observer(observer)
        .pool(
            "api",
            p ->
                p.algorithm(Algorithms.roundRobin())
                    .backend(BackendSpec.builder("http://127.0.0.1:20001").id("a").build())
                    .backend(BackendSpec.builder("http://127.0.0.1:20002").id("b").build()))
        .pool("other", p -> p.backend("http://127.0.0.1:20009")) // two pools, no default
        .route("users", r -> r.pathPrefix("/users/").toPool("api"))
        .route(
            "blocked",
            r ->
                r.pathPrefix("/admin/")
                    .policy(AccessControl.builder("no-one").allow("192.0.2.0/24").build())
                    .toPool("api"))
        .build();
  }

  @Test
  void everyReleaseIsHeardWithItsRouteOutcomeLatencyAndAttempt() {
    try (LoadBalancer lb = build(recorder)) {
      RequestView request = RequestView.of("GET", "/users/7");
      Lease first = lb.select(request).leaseOrThrow();
      clock.advance(Duration.ofMillis(5));
      first.complete(503);
      Lease second = lb.retry(request, first, List.of(first.backend())).leaseOrThrow();
      clock.advance(Duration.ofMillis(2));
      second.fail(ErrorKind.CONNECT);
      Lease third = lb.select(request).leaseOrThrow();
      third.close();
      third.close(); // released once, heard once

      assertThat(second.attempt()).isEqualTo(2);
      assertThat(recorder.calls)
          .containsExactly(
              "released api/" + first.backend().id() + " route=users status=503 error=NONE"
                  + " latency=5000000 attempt=1",
              "retried " + first.backend().id() + " -> " + second.backend().id(),
              "released api/" + second.backend().id() + " route=users status=0"
                  + " error=CONNECT latency=2000000 attempt=2",
              "released api/" + third.backend().id() + " route=users status=0 error=CANCELLED"
                  + " latency=-1 attempt=1");
    }
  }

  @Test
  void rejectionsMissingBackendsAndHealthChangesAreHeard() {
    try (LoadBalancer lb = build(recorder)) {
      assertThat(lb.select(RequestView.of("GET", "/admin/x"))).isInstanceOf(Rejected.class);
      assertThat(lb.select(RequestView.of("GET", "/nowhere"))).isInstanceOf(NoBackend.class);
      lb.admin().drain("api", "a");
      lb.admin().drain("api", "b");
      assertThat(lb.select(RequestView.of("GET", "/users/1"))).isInstanceOf(NoBackend.class);
      assertThat(lb.pool("api").select(RequestView.of("GET", "/users/1")))
          .isInstanceOf(NoBackend.class);

      assertThat(recorder.calls)
          .containsExactly(
              "rejected no-one 403",
              "noBackend  NO_ROUTE",
              "health a DRAINING",
              "health b DRAINING",
              "noBackend api NONE_AVAILABLE",
              "noBackend api NONE_AVAILABLE");
    }
  }

  @Test
  void anObserverThatThrowsNeverAffectsRequests() {
    LoadBalancerObserver broken =
        new LoadBalancerObserver() {
          @Override
          public void leaseReleased(Lease lease, int status, ErrorKind error, long latencyNanos) {
            throw new IllegalStateException("broken observer");
          }

          @Override
          public void noBackend(RequestView request, NoBackend noBackend) {
            throw new IllegalStateException("broken observer");
          }
        };
    try (LoadBalancer lb = build(broken)) {
      for (int i = 0; i < 100; i++) {
        Lease lease = lb.select(RequestView.of("GET", "/users/" + i)).leaseOrThrow();
        assertThat(lease.complete(200)).isTrue();
        assertThat(lb.select(RequestView.of("GET", "/nowhere"))).isInstanceOf(NoBackend.class);
      }
      PoolStats stats = lb.pool("api").stats();
      assertThat(stats.inFlight()).isZero();
      assertThat(stats.backends()).allSatisfy(b -> assertThat(b.inFlight()).isZero());
      assertThat(stats.backends().stream().mapToLong(BackendStats::completed).sum())
          .isEqualTo(100);
    }
  }

  /** A ticker that counts its reads. */
  static final class CountingTicker implements Ticker {
    final AtomicLong reads = new AtomicLong();

    @Override
    public long nanoTime() {
      reads.incrementAndGet();
      return 42;
    }
  }

  @Test
  void theClockIsReadOnlyWhenSomethingConsumesLatency() {
    CountingTicker ticker = new CountingTicker();
    LoadBalancerObserver countsOnly =
        new LoadBalancerObserver() {
          @Override
          public boolean needsLatency() {
            return false;
          }
        };
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(ticker)
            .latencyStats(false)
            .observer(countsOnly)
            .pool("rr", p -> p.backend("http://127.0.0.1:20001").backend("http://127.0.0.1:20002"))
            .pool(
                "ewma",
                p ->
                    p.algorithm(Algorithms.peakEwma())
                        .backend("http://127.0.0.1:20003")
                        .backend("http://127.0.0.1:20004"))
            .defaultPool("rr")
            .build()) {
      long before = ticker.reads.get();
      for (int i = 0; i < 10; i++) {
        lb.pool("rr").select(RequestView.of("GET", "/")).leaseOrThrow().complete(200);
      }
      assertThat(ticker.reads.get() - before)
          .as("clock reads for 10 round-robin leases with latency stats off")
          .isZero();
      assertThat(lb.pool("rr").stats().backends())
          .allSatisfy(b -> assertThat(b.latencyEwmaNanos()).isZero());

      before = ticker.reads.get();
      lb.pool("ewma").select(RequestView.of("GET", "/")).leaseOrThrow().complete(200);
      assertThat(ticker.reads.get() - before)
          .as("peak EWMA reads latency, so its leases measure it")
          .isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void byDefaultEveryLeaseMeasuresLatencyForTheStats() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(clock)
            .pool("rr", p -> p.backend("http://127.0.0.1:20001"))
            .build()) {
      Lease lease = lb.defaultPool().select(RequestView.of("GET", "/")).leaseOrThrow();
      clock.advance(Duration.ofMillis(3));
      lease.complete(200);
      assertThat(lb.defaultPool().stats().backends().get(0).latencyEwmaNanos())
          .isEqualTo(3_000_000);
    }
  }
}
