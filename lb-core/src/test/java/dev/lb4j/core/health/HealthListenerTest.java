package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.failLeases;
import static dev.lb4j.core.health.HealthFixtures.picksOf;
import static dev.lb4j.core.health.HealthFixtures.quickCheck;
import static dev.lb4j.core.health.HealthFixtures.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.tuple;

import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Health listeners: a failing listener harms nobody, a listener may call the admin API (its own
 * events arrive after it returns, never re-entrantly), and listeners can be added and removed.
 */
class HealthListenerTest {

  private static final String A = "a:80";
  private static final String B = "b:80";

  private final ManualClock clock = new ManualClock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final HealthEventLog log = new HealthEventLog();
  private final ExecutorService worker = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopWorker() throws InterruptedException {
    worker.shutdownNow();
    assertThat(worker.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  private LoadBalancer build(HealthListener... first) {
    var builder = LoadBalancer.builder().ticker(clock).scheduler(clock);
    for (HealthListener l : first) {
      builder.healthListener(l);
    }
    LoadBalancer lb =
        builder
            .healthListener(log)
            .pool(
                "api",
                p -> p.backend("http://a:80")
                    .backend("http://b:80")
                    .backend("http://c:80")
                    .backend("http://d:80")
                    .algorithm(Algorithms.roundRobin())
                    .outlierDetection(OutlierDetection.builder().maxEjectionPercent(100).build())
                    .healthCheck(quickCheck(probe)))
            .pool("web", p -> p.backend("http://w:80"))
            .defaultPool("api")
            .build();
    clock.runDue();
    return lb;
  }

  /** Changes from every source: an admin call, a lease release, the scheduler, a probe. */
  private void changeEverything(LoadBalancer lb) {
    lb.admin().drain("api", A);
    failLeases(clock, lb.defaultPool(), B, 5);
    clock.advance(OutlierDetection.DEFAULT_BASE_EJECTION_TIME);
    probe.fail("c:80", "connection refused");
    clock.advance(Duration.ofSeconds(2));
  }

  private static final List<Tuple> EXPECTED_CHANGES =
      List.of(
          tuple(A, BackendStatus.HEALTHY, BackendStatus.DRAINING),
          tuple(B, BackendStatus.HEALTHY, BackendStatus.EJECTED),
          tuple(B, BackendStatus.EJECTED, BackendStatus.HEALTHY),
          tuple("c:80", BackendStatus.HEALTHY, BackendStatus.UNHEALTHY));

  @Test
  void aListenerThatThrowsHarmsNeitherTheEngineNorOtherListeners() {
    AtomicInteger thrown = new AtomicInteger();
    HealthListener throwing = e -> {
      thrown.incrementAndGet();
      throw new IllegalStateException("listener bug");
    };
    try (LoadBalancer lb = build(throwing)) {
      assertThatCode(() -> changeEverything(lb)).doesNotThrowAnyException();
      assertThat(log.statusChanges())
          .extracting(
              HealthEvent.StatusChanged::backendId,
              HealthEvent.StatusChanged::from,
              HealthEvent.StatusChanged::to)
          .containsExactlyElementsOf(EXPECTED_CHANGES);
      assertThat(thrown).hasValue(log.all().size());
      assertThat(status(lb, "api", A)).isEqualTo(BackendStatus.DRAINING);
      assertThat(status(lb, "api", "c:80")).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(picksOf(lb.defaultPool(), B, 400)).as("selection still works").isEqualTo(200);
    }
  }

  /**
   * HealthListener's Javadoc: "an exception from one is logged and does not affect the engine or
   * other listeners". A listener written in another JVM language can throw a checked exception;
   * the engine catches only RuntimeException there, so the exception escapes from the admin call
   * that caused the event (after the change was applied), and listeners after it miss the event.
   * (Selection, by contrast, catches checked exceptions of plugins.)
   */
  @Test
  void aListenerThatThrowsACheckedExceptionHarmsNobody() {
    HealthListener throwing = e -> sneakyThrow(new IOException("listener bug"));
    try (LoadBalancer lb = build(throwing)) {
      assertThatCode(() -> lb.admin().drain("api", A)).doesNotThrowAnyException();
      assertThat(log.statusChanges()).hasSize(1);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }

  @Test
  void aListenerMayCallTheAdminApiAndItsOwnEventArrivesAfterItReturns() throws Exception {
    List<String> trace = new CopyOnWriteArrayList<>();
    AtomicInteger depth = new AtomicInteger();
    LoadBalancer[] holder = new LoadBalancer[1];
    HealthListener reacting = e -> {
      if (depth.getAndIncrement() != 0) {
        trace.add("re-entered");
      }
      try {
        if (e instanceof HealthEvent.StatusChanged s) {
          trace.add("event " + s.backendId() + " " + s.to());
          if (s.backendId().equals(A) && s.to() == BackendStatus.DRAINING) {
            // The change is visible before the event arrives, and the admin API is usable.
            trace.add("stats show " + status(holder[0], "api", A));
            holder[0].admin().disable("api", B);
            trace.add("disable returned");
          }
          if (s.backendId().equals("c:80") && s.to() == BackendStatus.EJECTED) {
            holder[0].admin().drain("api", "c:80"); // from the thread releasing the lease
            trace.add("drain returned");
          }
        }
      } finally {
        depth.decrementAndGet();
      }
    };
    try (LoadBalancer lb = build(reacting)) {
      holder[0] = lb;
      // On another thread with a deadline, so a deadlock fails the test instead of hanging it.
      CompletableFuture<Void> drained =
          CompletableFuture.runAsync(() -> lb.admin().drain("api", A), worker);
      try {
        drained.get(10, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("admin call from a listener deadlocked (10 s)", e);
      }
      CompletableFuture<Void> ejected =
          CompletableFuture.runAsync(() -> failLeases(clock, lb.defaultPool(), "c:80", 5), worker);
      try {
        ejected.get(10, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("admin call from a listener on a lease release deadlocked", e);
      }
      assertThat(trace)
          .containsExactly(
              "event a:80 DRAINING",
              "stats show DRAINING",
              "disable returned",
              "event b:80 DISABLED",
              "event c:80 EJECTED",
              "drain returned",
              "event c:80 DRAINING");
      assertThat(status(lb, "api", B)).isEqualTo(BackendStatus.DISABLED);
      assertThat(status(lb, "api", "c:80")).isEqualTo(BackendStatus.DRAINING);
      assertThat(log.statusChanges())
          .extracting(HealthEvent.StatusChanged::backendId, HealthEvent.StatusChanged::to)
          .containsExactly(
              tuple(A, BackendStatus.DRAINING),
              tuple(B, BackendStatus.DISABLED),
              tuple("c:80", BackendStatus.EJECTED),
              tuple("c:80", BackendStatus.DRAINING));
    }
  }

  @Test
  void listenersCanBeAddedAndRemovedAtRuntimeIncludingOnesFromTheBuilder() {
    try (LoadBalancer lb = build()) {
      HealthEventLog late = new HealthEventLog();
      lb.addHealthListener(late);
      lb.admin().drain("web", "w:80");
      assertThat(late.statusChanges()).singleElement()
          .satisfies(e -> {
            assertThat(e.pool()).isEqualTo("web");
            assertThat(e.backendId()).isEqualTo("w:80");
            assertThat(e.reason()).isEqualTo("drained by admin");
          });
      assertThat(log.statusChanges()).hasSize(1);

      assertThat(lb.removeHealthListener(late)).isTrue();
      assertThat(lb.removeHealthListener(late)).isFalse();
      assertThat(lb.removeHealthListener(log)).as("added on the builder").isTrue();
      lb.admin().undrain("web", "w:80");
      assertThat(late.statusChanges()).hasSize(1);
      assertThat(log.statusChanges()).hasSize(1);
    }
  }
}
