package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The lease lifecycle: in-flight accounting, exactly-once release, outcomes and latency. */
class LeaseTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");
  private static final String ID = "only:80";

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final Ticker ticker = now::get;
  @RegisterExtension final EngineFixture engine = new EngineFixture();
  /** On its own ticker (not the fixture's clock): the test sets the time each lease ends. */
  private final LoadBalancer lb =
      engine.track(
          LoadBalancer.builder()
              .pool("api", pool -> pool.backend("http://only"))
              .ticker(ticker)
              .latencyDecay(Duration.ofMillis(10))
              .build());

  private Lease select() {
    return lb.select(REQUEST).leaseOrThrow();
  }

  private BackendStats backendStats() {
    return lb.stats().pool("api").backend(ID);
  }

  @Test
  void openLeaseCountsInFlightUntilCompleted() {
    Lease lease = select();
    try {
      assertThat(lease.isOpen()).isTrue();
      assertThat(lease.pool()).isEqualTo("api");
      assertThat(lease.leaseOrThrow()).isSameAs(lease);
      assertThat(lease.backend().id()).isEqualTo(ID);
      assertThat(lease.backend().inFlight()).isEqualTo(1);
      assertThat(lb.stats().pool("api").inFlight()).isEqualTo(1);
      assertThat(backendStats().inFlight()).isEqualTo(1);
      assertThat(backendStats().picks()).isEqualTo(1);

      Lease second = select();
      assertThat(lease.backend().inFlight()).isEqualTo(2);
      assertThat(lb.stats().pool("api").inFlight()).isEqualTo(2);
      second.close();

      assertThat(lease.complete(200)).isTrue();
      assertThat(lease.isOpen()).isFalse();
      assertThat(lease.backend().inFlight()).isZero();
      assertThat(lb.stats().pool("api").inFlight()).isZero();
      assertThat(backendStats().picks()).isEqualTo(2);
      assertThat(backendStats().completed()).isEqualTo(1);
      assertThat(backendStats().cancelled()).isEqualTo(1);
      assertThat(backendStats().failures()).isZero();
    } finally {
      lease.close();
    }
  }

  @Test
  void closeWithoutCompletionCountsAsCancelled() {
    try (Lease lease = select()) {
      assertThat(lease.isOpen()).isTrue();
    }

    BackendStats stats = backendStats();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.cancelled()).isEqualTo(1);
    assertThat(stats.completed()).isZero();
    assertThat(stats.failures()).isZero();
    assertThat(stats.latencyEwmaNanos())
        .as("a cancelled lease says nothing about latency")
        .isZero();
  }

  @Test
  void failWithCancelledCountsAsCancelledNotAsFailure() {
    try (Lease lease = select()) {
      assertThat(lease.fail(ErrorKind.CANCELLED)).isTrue();
    }

    assertThat(backendStats().cancelled()).isEqualTo(1);
    assertThat(backendStats().completed()).isZero();
    assertThat(backendStats().failures()).isZero();
  }

  @Test
  void serverErrorAndConnectionErrorsCountAsFailures() {
    try (Lease a = select();
        Lease b = select();
        Lease c = select();
        Lease d = select()) {
      a.complete(503);
      b.fail(ErrorKind.CONNECT);
      c.complete(Outcome.error(ErrorKind.TIMEOUT, 5));
      d.complete(404);
    }

    BackendStats stats = backendStats();
    assertThat(stats.completed()).isEqualTo(4);
    assertThat(stats.failures()).as("503, CONNECT and TIMEOUT; not 404").isEqualTo(3);
    assertThat(stats.cancelled()).isZero();
  }

  /** One way of ending a lease, with the counters it must leave behind when it wins. */
  enum Ending {
    COMPLETE_200(1, 0, 0),
    COMPLETE_503(1, 1, 0),
    FAIL_RESET(1, 1, 0),
    FAIL_CANCELLED(0, 0, 1),
    COMPLETE_OUTCOME(1, 0, 0),
    CLOSE(0, 0, 1);

    final long completed;
    final long failures;
    final long cancelled;

    Ending(long completed, long failures, long cancelled) {
      this.completed = completed;
      this.failures = failures;
      this.cancelled = cancelled;
    }

    /** Ends the lease this way; {@code close()} reports nothing, so it answers {@code true}. */
    boolean apply(Lease lease) {
      return switch (this) {
        case COMPLETE_200 -> lease.complete(200);
        case COMPLETE_503 -> lease.complete(503);
        case FAIL_RESET -> lease.fail(ErrorKind.RESET);
        case FAIL_CANCELLED -> lease.fail(ErrorKind.CANCELLED);
        case COMPLETE_OUTCOME -> lease.complete(Outcome.response(201, 3));
        case CLOSE -> {
          lease.close();
          yield true;
        }
      };
    }
  }

  static Stream<List<Ending>> orders() {
    // Every ordered pair and triple of distinct endings, plus each ending repeated.
    List<List<Ending>> orders = new ArrayList<>();
    for (Ending a : Ending.values()) {
      orders.add(List.of(a, a, a));
      for (Ending b : Ending.values()) {
        if (b != a) {
          orders.add(List.of(a, b));
          for (Ending c : Ending.values()) {
            if (c != a && c != b) {
              orders.add(List.of(a, b, c, a));
            }
          }
        }
      }
    }
    return orders.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("orders")
  void leaseIsReleasedExactlyOnceWhateverTheOrderOfCalls(List<Ending> calls) {
    Lease lease = select();
    Ending first = calls.get(0);

    assertThat(first.apply(lease)).as("first call %s", first).isTrue();
    BackendStats afterFirst = backendStats();
    for (int i = 1; i < calls.size(); i++) {
      Ending again = calls.get(i);
      if (again == Ending.CLOSE) {
        lease.close(); // returns nothing; must change nothing
      } else {
        assertThat(again.apply(lease)).as("call %d: %s", i, again).isFalse();
      }
      assertThat(lease.isOpen()).as("after call %d: %s", i, again).isFalse();
      assertThat(backendStats()).as("after call %d: %s", i, again).isEqualTo(afterFirst);
    }

    BackendStats stats = backendStats();
    assertThat(stats.inFlight()).isZero();
    assertThat(stats.picks()).isEqualTo(1);
    assertThat(stats.completed()).as("completed").isEqualTo(first.completed);
    assertThat(stats.failures()).as("failures").isEqualTo(first.failures);
    assertThat(stats.cancelled()).as("cancelled").isEqualTo(first.cancelled);
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void statusOutOfRangeThrowsAndLeavesTheLeaseOpen() {
    try (Lease lease = select()) {
      assertThatThrownBy(() -> lease.complete(99))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("status: 99 (expected: 100..599)");
      assertThatThrownBy(() -> lease.complete(600))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("status: 600 (expected: 100..599)");

      assertThat(lease.isOpen()).isTrue();
      assertThat(lease.backend().inFlight()).isEqualTo(1);
      assertThat(backendStats().completed()).isZero();

      assertThat(lease.complete(200)).isTrue();
    }
    assertThat(backendStats().completed()).isEqualTo(1);
    assertThat(backendStats().cancelled()).isZero();
  }

  @Test
  void failWithNoneThrowsAndLeavesTheLeaseOpen() {
    try (Lease lease = select()) {
      assertThatThrownBy(() -> lease.fail(ErrorKind.NONE))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("error: NONE");

      assertThat(lease.isOpen()).isTrue();
      assertThat(lease.fail(ErrorKind.PROTOCOL)).isTrue();
    }
    assertThat(backendStats().failures()).isEqualTo(1);
  }

  @Test
  void latencyIsMeasuredWithTheInjectedTicker() {
    try (Lease lease = select()) {
      now.addAndGet(7_000_000);
      lease.complete(200);
    }

    assertThat(backendStats().latencyEwmaNanos())
        .as("the first sample is the estimate")
        .isEqualTo(7_000_000);
    assertThat(lb.stats().tickerNanos()).isEqualTo(now.get());
  }

  @Test
  void lowerLatencyIsBlendedInWithAWeightDecayingWithTimeSinceTheLastSample() {
    try (Lease lease = select()) {
      now.addAndGet(8_000_000);
      lease.complete(200);
    }
    now.addAndGet(5_000_000);
    try (Lease lease = select()) {
      now.addAndGet(1_000_000);
      lease.complete(200);
    }

    // 6 ms since the previous sample, decay time 10 ms: the old estimate keeps weight exp(-0.6).
    double w = Math.exp(-0.6);
    double expected = 8_000_000 * w + 1_000_000 * (1 - w);
    assertThat((double) backendStats().latencyEwmaNanos()).isCloseTo(expected, within(2.0));
  }

  @Test
  void higherLatencyReplacesTheEstimateAtOnce() {
    try (Lease lease = select()) {
      now.addAndGet(2_000_000);
      lease.complete(200);
    }
    try (Lease lease = select()) {
      now.addAndGet(30_000_000);
      lease.fail(ErrorKind.TIMEOUT);
    }

    assertThat(backendStats().latencyEwmaNanos())
        .as("a timeout's latency is measured too, and a peak replaces the estimate")
        .isEqualTo(30_000_000);
  }

  @Test
  void completeWithOutcomeUsesTheCallersLatencyNotTheTicker() {
    try (Lease lease = select()) {
      now.addAndGet(50_000_000);
      assertThat(lease.complete(Outcome.response(200, 4_000))).isTrue();
    }

    assertThat(backendStats().latencyEwmaNanos()).isEqualTo(4_000);
    assertThat(backendStats().completed()).isEqualTo(1);
  }

  @Test
  void tickerGoingBackwardsGivesZeroLatencyNotNegative() {
    try (Lease lease = select()) {
      now.addAndGet(-5_000);
      lease.complete(200);
    }

    // A zero latency is stored as 1 ns: an estimate of 0 means "no data yet" to peak EWMA.
    assertThat(backendStats().latencyEwmaNanos()).isEqualTo(1);
    assertThat(backendStats().completed()).isEqualTo(1);
  }

  @Test
  void noBackendLeaseOrThrowThrowsCarryingTheValue() {
    NoBackend none =
        new NoBackend("api", NoBackend.Reason.NO_BACKENDS, "pool 'api' has no backends");

    assertThat(none.pool()).isEqualTo("api");
    assertThat(none).hasToString("NoBackend[NO_BACKENDS: pool 'api' has no backends]");
    assertThatThrownBy(none::leaseOrThrow)
        .isInstanceOfSatisfying(
            NoBackendAvailableException.class, e -> assertThat(e.noBackend()).isSameAs(none))
        .hasMessage("pool 'api' has no backends");
  }

  @Test
  void concurrentEndingsOfTheSameLeasesReleaseEachExactlyOnce() throws Exception {
    int leases = 20_000;
    List<Lease> open = new ArrayList<>(leases);
    try (LoadBalancer pair =
        LoadBalancer.builder()
            .pool(
                "api",
                pool ->
                    pool.backend("http://a")
                        .backend("http://b")
                        .algorithm(Algorithms.leastRequest()))
            .build()) {
      for (int i = 0; i < leases; i++) {
        open.add(pair.select(REQUEST).leaseOrThrow());
      }
      List<Predicate<Lease>> endings =
          List.of(
              l -> l.complete(200),
              l -> l.fail(ErrorKind.RESET),
              l -> l.complete(Outcome.response(204, 1)),
              l -> {
                l.close(); // reports nothing; its releases show up as cancelled in the stats
                return false;
              });
      ExecutorService pool = Executors.newFixedThreadPool(endings.size());
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> wins = new ArrayList<>();
        for (Predicate<Lease> ending : endings) {
          wins.add(
              pool.submit(
                  () -> {
                    start.await();
                    long won = 0;
                    for (Lease l : open) {
                      if (ending.test(l)) {
                        won++;
                      }
                    }
                    return won;
                  }));
        }
        start.countDown();
        long completedByCalls = 0;
        for (Future<Long> f : wins) {
          completedByCalls += f.get(30, TimeUnit.SECONDS);
        }

        PoolStats stats = pair.stats().pool("api");
        assertThat(stats.inFlight()).isZero();
        long completed = 0;
        long cancelled = 0;
        for (BackendStats b : stats.backends()) {
          assertThat(b.inFlight()).as(b.id()).isZero();
          assertThat(b.picks()).as(b.id()).isEqualTo(b.completed() + b.cancelled());
          completed += b.completed();
          cancelled += b.cancelled();
        }
        assertThat(completed).isEqualTo(completedByCalls);
        assertThat(completed + cancelled).isEqualTo(leases);
      } finally {
        pool.shutdownNow();
      }
    } finally {
      open.forEach(Lease::close);
    }
  }
}
