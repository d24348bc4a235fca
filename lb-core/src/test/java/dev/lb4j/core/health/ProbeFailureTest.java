package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.stats;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Probes that misbehave: throw, return or complete with {@code null}, fail, or never complete. Each
 * counts as one failed check with a reason that says what happened, the engine cancels what it gave
 * up on, and probing goes on for every backend. The scheduler is a {@link ManualClock} behind a
 * wrapper that, like the real scheduler, survives a task that throws and records what it threw.
 */
class ProbeFailureTest {

  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final Duration TIMEOUT = Duration.ofMillis(500);
  private static final String A = "a:1";
  private static final String B = "b:1";
  private static final String C = "c:1";

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final List<Throwable> escaped = new CopyOnWriteArrayList<>();
  /** The clock as a scheduler that, like the default one, catches and keeps what a task throws. */
  private final Scheduler guarded =
      (task, delayNanos) -> clock.schedule(() -> {
        try {
          task.run();
        } catch (Throwable t) { // the default scheduler logs and carries on; we record
          escaped.add(t);
        }
      }, delayNanos);
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  private final HealthEventLog events = engine.events();

  private LoadBalancer lb(UnaryOperator<HealthCheck.Builder> check) {
    return engine.balancer(guarded, b -> b
        .pool("api", p -> p
            .backend("http://a:1").backend("http://b:1").backend("http://c:1")
            .panicThreshold(0)
            .healthCheck(check.apply(
                HealthCheck.builder(probe).interval(INTERVAL).timeout(TIMEOUT).jitter(0))
                .build())));
  }

  /** Throws {@code t} although it is checked: what a probe written in Kotlin or Scala may do. */
  @SuppressWarnings("unchecked")
  private static <T extends Throwable> RuntimeException sneakyThrow(Throwable t) throws T {
    throw (T) t;
  }

  /** Ways for one check to fail, and what the failure's reason must mention. */
  enum Misbehaviour {
    THROWS_RUNTIME_EXCEPTION("threw,boom") {
      @Override
      CompletionStage<HealthResult> run(int call) {
        throw new IllegalStateException("boom " + call);
      }
    },
    THROWS_ERROR("threw,boom") {
      @Override
      CompletionStage<HealthResult> run(int call) {
        throw new AssertionError("boom " + call);
      }
    },
    RETURNS_NULL("null") {
      @Override
      @SuppressWarnings("NullAway") // deliberately breaks the contract
      CompletionStage<HealthResult> run(int call) {
        return null;
      }
    },
    COMPLETES_EXCEPTIONALLY("boom") {
      @Override
      CompletionStage<HealthResult> run(int call) {
        return CompletableFuture.failedFuture(new IOException("boom " + call));
      }
    },
    FAILS_IN_A_LATER_STAGE("boom") { // the stage sees a CompletionException wrapping the cause
      @Override
      CompletionStage<HealthResult> run(int call) {
        return CompletableFuture.completedFuture(call)
            .thenApply(n -> {
              throw new IllegalStateException("boom " + n);
            });
      }
    },
    COMPLETES_WITH_NULL("null") {
      @Override
      @SuppressWarnings("NullAway") // deliberately breaks the contract
      CompletionStage<HealthResult> run(int call) {
        return CompletableFuture.completedFuture(null);
      }
    };

    /** Comma-separated words the failure's reason must contain. */
    private final String mentions;

    Misbehaviour(String mentions) {
      this.mentions = mentions;
    }

    List<String> reasonMentions() {
      return List.of(mentions.split(","));
    }

    abstract CompletionStage<HealthResult> run(int call);
  }

  @ParameterizedTest
  @EnumSource(Misbehaviour.class)
  void aMisbehavingProbeIsAFailedCheckWithItsReasonAndProbingGoesOn(Misbehaviour how) {
    probe.set(A, (b, n) -> how.run(n));
    LoadBalancer lb = lb(b -> b);
    clock.runDue();
    clock.advance(INTERVAL);
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.HEALTHY); // two failures of three
    clock.advance(INTERVAL);
    BackendStats a = stats(lb, A);
    assertThat(a.status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(a.statusReason()).startsWith("3 consecutive probes failed; last: ");
    for (String mention : how.reasonMentions()) {
      assertThat(a.statusReason()).contains(mention);
    }
    if (how.reasonMentions().contains("boom")) {
      assertThat(a.statusReason()).as("the reason of the last check").contains("boom 3");
    }
    assertThat(events.all()).singleElement()
        .isInstanceOfSatisfying(HealthEvent.StatusChanged.class,
            e -> assertThat(e.reason()).isEqualTo(a.statusReason()));

    // Later rounds still probe every backend, the misbehaving one included.
    clock.advance(INTERVAL.multipliedBy(5));
    assertThat(probe.calls(A)).isEqualTo(8);
    assertThat(probe.calls(B)).isEqualTo(8);
    assertThat(probe.calls(C)).isEqualTo(8);
    assertThat(stats(lb, A).statusReason()).startsWith("8 consecutive probes failed");

    // And the backend can recover.
    probe.set(A, ScriptedProbe.HEALTHY);
    clock.advance(INTERVAL.multipliedBy(2));
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(escaped).as("exceptions that escaped into the scheduler").isEmpty();
  }

  @Test
  void aProbeThatThrowsACheckedExceptionIsAFailedCheckAndProbingGoesOn() {
    probe.set(A, (b, n) -> {
      throw sneakyThrow(new IOException("boom " + n));
    });
    LoadBalancer lb = lb(b -> b.unhealthyThreshold(1));
    clock.runDue();
    clock.advance(INTERVAL.multipliedBy(3));
    assertThat(escaped).as("exceptions that escaped into the scheduler").isEmpty();
    assertThat(probe.calls(A)).isEqualTo(4);
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).contains("boom 4");
  }

  // ---------------------------------------------------------------- timeouts

  @Test
  void aProbeThatNeverCompletesIsCutAtTheTimeoutAndItsStageIsCancelled() {
    probe.set(A, (b, n) -> n == 2 ? new CompletableFuture<>()
        : CompletableFuture.completedFuture(HealthResult.healthy()));
    LoadBalancer lb = lb(b -> b.unhealthyThreshold(1));
    clock.runDue();
    clock.advance(INTERVAL); // a's second probe starts and hangs
    CompletableFuture<HealthResult> hanging =
        probe.stages(A).get(1).toCompletableFuture();
    clock.advanceNanos(TIMEOUT.toNanos() - 1);
    assertThat(stats(lb, A).status()).as("1 ns before the timeout").isEqualTo(BackendStatus.HEALTHY);
    assertThat(hanging).isNotDone();

    clock.advanceNanos(1);
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason())
        .isEqualTo("1 consecutive probes failed; last: probe timed out after PT0.5S");
    assertThat(hanging).as("the stage the engine gave up on").isCancelled();
    assertThat(probe.inFlight(A)).isZero();

    // A completion after the timeout changes nothing: the stage is cancelled, so it cannot complete.
    assertThat(hanging.complete(HealthResult.healthy())).isFalse();
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.UNHEALTHY);

    // The next probe comes one interval after the timeout, not after the start.
    long timedOutAt = clock.nanoTime();
    clock.advanceNanos(INTERVAL.toNanos() - 1);
    assertThat(probe.calls(A)).isEqualTo(2);
    clock.advanceNanos(1);
    assertThat(probe.callTimes(A)).last().isEqualTo(timedOutAt + INTERVAL.toNanos());
    assertThat(probe.timeouts()).containsOnly(TIMEOUT);
    assertThat(escaped).isEmpty();
  }

  @Test
  void aLateResultOfAStageThatIgnoresCancelIsIgnored() {
    // Call 1 passes. Call 2 hangs in a stage that refuses to be cancelled, and completes as
    // healthy after its timeout. Call 3 fails. With a threshold of 2, the timeout and call 3 make
    // a unhealthy only if the late "healthy" did not reset the count.
    CompletableFuture<HealthResult> stubborn = new CompletableFuture<>() {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        return false;
      }
    };
    probe.set(A, (b, n) -> switch (n) {
      case 1 -> CompletableFuture.completedFuture(HealthResult.healthy());
      case 2 -> stubborn;
      default -> CompletableFuture.completedFuture(HealthResult.unhealthy("down #" + n));
    });
    LoadBalancer lb = lb(b -> b.unhealthyThreshold(2));
    clock.runDue();
    clock.advance(INTERVAL); // t = 2 s: call 2 hangs
    clock.advance(TIMEOUT); // t = 2.5 s: timed out, one failure
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stubborn.complete(HealthResult.healthy())).isTrue(); // too late: must be ignored
    clock.advance(INTERVAL); // t = 4.5 s: call 3 fails, the second failure in a row
    assertThat(probe.calls(A)).isEqualTo(3);
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).isEqualTo("2 consecutive probes failed; last: down #3");

    // The late result did not start a second probe loop either: one probe per interval.
    clock.advance(INTERVAL.multipliedBy(10));
    assertThat(probe.calls(A)).isEqualTo(13);
    assertThat(escaped).isEmpty();
  }

  @Test
  void probesOfOneBackendNeverOverlapWhateverTheyDo() {
    // Each backend cycles through: complete at once, complete after 300 ms (before the timeout),
    // hang (cut at the timeout), complete after 700 ms (after the timeout, so it is cut first).
    for (String id : List.of(A, B, C)) {
      probe.set(id, (b, n) -> {
        CompletableFuture<HealthResult> f = new CompletableFuture<>();
        HealthResult result = n % 2 == 0 ? HealthResult.healthy() : HealthResult.unhealthy("x");
        switch (n % 4) {
          case 0 -> f.complete(result);
          case 1 -> clock.schedule(() -> f.complete(result), Duration.ofMillis(300).toNanos());
          case 2 -> { } // hangs
          default -> clock.schedule(() -> f.complete(result), Duration.ofMillis(700).toNanos());
        }
        return f;
      });
    }
    lb(b -> b.jitter(0.5).interval(Duration.ofSeconds(1)));
    clock.advance(Duration.ofSeconds(200));
    for (String id : List.of(A, B, C)) {
      // Each cycle of a backend lasts at most timeout + 1.5 * interval = 2 s: >= 100 probes.
      assertThat(probe.calls(id)).as("probes of %s", id).isGreaterThanOrEqualTo(100);
      assertThat(probe.maxInFlight(id)).as("probes of %s in flight at once", id).isEqualTo(1);
    }
    assertThat(escaped).isEmpty();
  }

  @Test
  void aMinimalStageThatNeverCompletesIsCutAtTheTimeoutAndProbingGoesOn() {
    probe.set(A, (b, n) -> new CompletableFuture<HealthResult>().minimalCompletionStage());
    LoadBalancer lb = lb(b -> b.unhealthyThreshold(1));
    clock.runDue();
    clock.advance(TIMEOUT);
    assertThat(escaped).as("exceptions that escaped into the scheduler").isEmpty();
    assertThat(stats(lb, A).status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(stats(lb, A).statusReason()).contains("timed out");
    clock.advance(INTERVAL.multipliedBy(3));
    // Each probe hangs until its timeout and the next starts an interval after that: probes at 0,
    // T+I and 2T+2I have started by T+3I; the fourth is due at 3T+3I.
    assertThat(probe.calls(A)).isEqualTo(3);
    assertThat(escaped).as("exceptions that escaped into the scheduler").isEmpty();
  }
}
