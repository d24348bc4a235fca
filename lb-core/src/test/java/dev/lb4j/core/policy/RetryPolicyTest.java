package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final ManualClock clock = new ManualClock();
  private static final RequestView GET = RequestView.of("GET", "/");
  private static final RequestView POST = RequestView.of("POST", "/");
  private static final Outcome UNAVAILABLE = Outcome.response(503, 1_000);

  private RetryPolicy.Builder policy() {
    return RetryPolicy.builder().ticker(clock).budget(RetryBudget.of(100, 100, Duration.ofSeconds(10), clock));
  }

  @Test
  void idempotentRequestsAreRetriedOnRetryableFailuresUntilTheAttemptsRunOut() {
    RetryPolicy p = policy().maxAttempts(3).build();
    RetryPolicy.Attempts a = p.begin(GET);

    RetryPolicy.Decision first = a.next(UNAVAILABLE);
    assertThat(first.retry()).isTrue();
    assertThat(first.delayNanos()).isBetween(0L, Duration.ofMillis(25).toNanos());
    assertThat(first.reason()).startsWith("retry 1 of 2 after ");
    RetryPolicy.Decision second = a.next(Outcome.error(ErrorKind.RESET, 1_000));
    assertThat(second.retry()).isTrue();
    assertThat(second.delayNanos()).isBetween(0L, Duration.ofMillis(50).toNanos());
    RetryPolicy.Decision third = a.next(UNAVAILABLE);
    assertThat(third.retry()).isFalse();
    assertThat(third.reason()).isEqualTo("attempts exhausted (3 of 3)");
    assertThat(a.attempts()).isEqualTo(3);
  }

  @Test
  void onlyRetryableOutcomesAndMethodsAreRetried() {
    RetryPolicy p = policy().build();
    assertThat(p.begin(GET).next(Outcome.response(500, 1)).reason())
        .isEqualTo("status 500 is not retryable");
    assertThat(p.begin(GET).next(Outcome.response(200, 1)).reason())
        .isEqualTo("status 200 is not a failure");
    assertThat(p.begin(GET).next(Outcome.error(ErrorKind.OTHER, 1)).reason())
        .isEqualTo("error OTHER is not retryable");
    assertThat(p.begin(GET).next(Outcome.error(ErrorKind.CANCELLED, 1)).reason())
        .isEqualTo("error CANCELLED is not a backend failure");
    assertThat(p.begin(POST).next(UNAVAILABLE).reason())
        .isEqualTo("method POST is not retried (not idempotent)");
    assertThat(p.begin(POST).next(Outcome.error(ErrorKind.CONNECT, 1), true).retry()).isFalse();

    RetryPolicy posts = policy().retryNonIdempotentOnConnectFailure().build();
    assertThat(posts.begin(POST).next(Outcome.error(ErrorKind.CONNECT, 1), true).retry()).isTrue();
    assertThat(posts.begin(POST).next(Outcome.error(ErrorKind.CONNECT, 1), false).reason())
        .isEqualTo("method POST is not retried without a replayable body");
    for (String m : RetryPolicy.IDEMPOTENT_METHODS) {
      assertThat(p.begin(RequestView.of(m, "/")).next(UNAVAILABLE).retry()).as(m).isTrue();
    }
  }

  @Test
  void mayRetryAgreesWithNextAndSpendsNothing() {
    RetryBudget budget = RetryBudget.of(20, 0, Duration.ofSeconds(10), clock);
    RetryPolicy p = RetryPolicy.builder().ticker(clock).budget(budget).maxAttempts(2).build();
    for (int i = 0; i < 5; i++) {
      p.begin(GET); // 5 requests earn one retry
    }
    RetryPolicy.Attempts a = p.begin(GET);
    double before = budget.balance();
    assertThat(a.mayRetry(UNAVAILABLE, false)).isTrue();
    assertThat(a.mayRetry(Outcome.response(500, 1), false)).isFalse();
    assertThat(a.mayRetry(Outcome.response(200, 1), false)).isFalse();
    assertThat(p.begin(POST).mayRetry(UNAVAILABLE, true)).isFalse();
    assertThat(budget.balance()).isEqualTo(before + 0.2); // only the POST request's deposit
    assertThat(a.attempts()).isEqualTo(1);

    assertThat(a.next(UNAVAILABLE).retry()).isTrue();
    assertThat(a.mayRetry(UNAVAILABLE, false)).isFalse(); // 2 of 2 attempts made
    assertThat(a.next(UNAVAILABLE).reason()).isEqualTo("attempts exhausted (2 of 2)");
  }

  @Test
  void aRetryThatWasNotSentGivesItsAttemptAndTokenBack() {
    RetryBudget budget = RetryBudget.of(20, 0, Duration.ofSeconds(10), clock);
    RetryPolicy p = RetryPolicy.builder().ticker(clock).budget(budget).maxAttempts(2).build();
    for (int i = 0; i < 4; i++) {
      p.begin(GET);
    }
    RetryPolicy.Attempts a = p.begin(GET); // 5 requests: one retry earned
    assertThatThrownBy(a::retryNotSent).isInstanceOf(IllegalStateException.class);
    assertThat(a.next(UNAVAILABLE).retry()).isTrue();
    assertThat(budget.balance()).isLessThan(1.0);
    a.retryNotSent(); // e.g. no backend left for it
    assertThat(a.attempts()).isEqualTo(1);
    assertThat(budget.balance()).isGreaterThanOrEqualTo(1.0);
    assertThat(a.next(UNAVAILABLE).retry()).isTrue();
  }

  @Test
  void anExhaustedBudgetStopsRetriesAndRefillsAsRequestsFlow() {
    RetryBudget budget = RetryBudget.of(20, 0, Duration.ofSeconds(10), clock);
    RetryPolicy p = RetryPolicy.builder().ticker(clock).budget(budget).maxAttempts(10).build();
    List<RetryPolicy.Attempts> requests = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      requests.add(p.begin(GET)); // 10 requests earn 20% of 10 = 2 retries
    }
    assertThat(requests.get(0).next(UNAVAILABLE).retry()).isTrue();
    assertThat(requests.get(1).next(UNAVAILABLE).retry()).isTrue();
    RetryPolicy.Decision refused = requests.get(2).next(UNAVAILABLE);
    assertThat(refused.retry()).isFalse();
    assertThat(refused.reason()).startsWith("retry budget exhausted");
    for (int i = 0; i < 5; i++) {
      p.begin(GET);
    }
    assertThat(requests.get(3).next(UNAVAILABLE).retry()).as("5 more requests earn one").isTrue();
    clock.advance(Duration.ofSeconds(11));
    assertThat(budget.balance()).as("deposits expire with the window").isZero();
  }

  @Test
  void theMinimumPerSecondAllowsRetriesWithoutTraffic() {
    RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(10), clock);
    int allowed = 0;
    for (int i = 0; i < 100; i++) {
      allowed += budget.tryWithdraw() ? 1 : 0;
    }
    assertThat(allowed).isEqualTo(10);
    clock.advance(Duration.ofSeconds(10));
    assertThat(budget.tryWithdraw()).as("withdrawals expire too").isTrue();
  }

  @Test
  void backoffIsFullJitterUnderAnExponentialCap() {
    RetryPolicy p =
        policy().backoff(Duration.ofMillis(10), Duration.ofMillis(100)).build();
    long[] caps = {10, 20, 40, 80, 100, 100, 100};
    for (int n = 1; n <= caps.length; n++) {
      long cap = Duration.ofMillis(caps[n - 1]).toNanos();
      long max = 0;
      double sum = 0;
      for (int i = 0; i < 20_000; i++) {
        long d = p.backoff(n);
        assertThat(d).isBetween(0L, cap);
        max = Math.max(max, d);
        sum += d;
      }
      // Uniform on [0, cap]: the mean is cap/2 with a standard error of cap/sqrt(12 * 20000).
      assertThat(sum / 20_000).isCloseTo(cap / 2.0, org.assertj.core.data.Offset.offset(cap * 0.02));
      assertThat(max).isGreaterThan((long) (cap * 0.99));
    }
    assertThat(p.backoff(100)).isBetween(0L, Duration.ofMillis(100).toNanos());
  }

  @Test
  void timeoutsCutTheAttempts() {
    RetryPolicy p =
        policy()
            .maxAttempts(5)
            .perTryTimeout(Duration.ofMillis(300))
            .totalTimeout(Duration.ofSeconds(1))
            .backoff(Duration.ZERO, Duration.ZERO)
            .build();
    RetryPolicy.Attempts a = p.begin(GET);
    assertThat(a.tryTimeout()).isEqualTo(Duration.ofMillis(300));
    clock.advance(Duration.ofMillis(800));
    assertThat(a.tryTimeout()).as("cut to what is left of the total").isEqualTo(Duration.ofMillis(200));
    assertThat(a.next(UNAVAILABLE).retry()).isTrue();
    clock.advance(Duration.ofMillis(200));
    RetryPolicy.Decision late = a.next(UNAVAILABLE);
    assertThat(late.retry()).isFalse();
    assertThat(late.reason()).isEqualTo("total timeout PT1S would pass before the retry");
  }

  @Test
  void retriesNeverRepeatABackendWhileAnotherIsAvailable() {
    RetryPolicy p = policy().maxAttempts(4).build();
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", b -> b.backend("http://a:1").backend("http://b:1").backend("http://c:1"))
            .build()) {
      RetryPolicy.Attempts a = p.begin(GET);
      List<Backend> tried = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      RetryPolicy.Decision d;
      do {
        Lease lease = lb.select(GET, tried).leaseOrThrow();
        assertThat(ids.add(lease.backend().id())).as("a new backend each attempt").isTrue();
        tried.add(lease.backend());
        lease.complete(503);
        d = a.next(UNAVAILABLE);
      } while (d.retry() && tried.size() < 3);
      assertThat(ids).hasSize(3);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void badSettingsAreRejectedWithTheField() {
    assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0))
        .hasMessage("retry.maxAttempts: 0 (expected: 1..10, the first attempt included)");
    assertThatThrownBy(() -> RetryPolicy.builder().statuses(99))
        .hasMessage("retry.statuses: 99 (expected: HTTP statuses 100..599)");
    assertThatThrownBy(() -> RetryPolicy.builder().errors(Set.of(ErrorKind.CANCELLED)))
        .hasMessage("retry.errors: CANCELLED (expected: kinds that blame the backend, not NONE or CANCELLED)");
    assertThatThrownBy(() -> RetryPolicy.builder().backoff(Duration.ofMillis(50), Duration.ofMillis(10)))
        .hasMessage("retry.backoff.max: PT0.01S (expected: at least the base PT0.05S, at most PT1H)");
    assertThatThrownBy(
            () -> RetryPolicy.builder().perTryTimeout(Duration.ofSeconds(2)).totalTimeout(Duration.ofSeconds(1)).build())
        .hasMessage("retry.perTryTimeout: PT2S (expected: at most retry.totalTimeout, PT1S)");
    assertThatThrownBy(() -> RetryPolicy.builder().statuses().errors(Set.of()).build())
        .hasMessage(
            "retry: 2 attempts but no retryable status or error (expected: statuses(...) or"
                + " errors(...), or maxAttempts(1))");
    assertThatThrownBy(() -> RetryBudget.of(0, 0, Duration.ofSeconds(10), clock))
        .hasMessage(
            "retry.budget: 0 percent and 0 per second (expected: a budget that allows some"
                + " retries; use maxAttempts(1) for none)");
    assertThatThrownBy(() -> RetryBudget.of(20, 10, Duration.ofMillis(10), clock))
        .hasMessage("retry.budget.window: PT0.01S (expected: PT1S..PT1H)");
  }

  @Test
  void nonIdempotentRequestsAreRetriedOnlyWhenTheBackendNeverSawThem() {
    RetryPolicy posts = policy().retryNonIdempotentOnConnectFailure().build();
    assertThat(posts.begin(POST).next(UNAVAILABLE, true).reason())
        .isEqualTo("method POST is retried only when the connection failed (the backend never saw"
            + " it), not after status 503");
    assertThat(posts.begin(POST).next(Outcome.error(ErrorKind.RESET, 1), true).retry()).isFalse();
    assertThat(posts.begin(POST).next(Outcome.error(ErrorKind.TIMEOUT, 1), true).retry()).isFalse();
    assertThat(posts.begin(POST).next(Outcome.error(ErrorKind.CONNECT, 1), true).retry()).isTrue();
  }

  @Test
  void aBackendsProtocolViolationIsRetriedByDefaultLikeAConnectionFailure() {
    RetryPolicy p = policy().build();
    for (ErrorKind kind : List.of(
        ErrorKind.CONNECT, ErrorKind.RESET, ErrorKind.TIMEOUT, ErrorKind.PROTOCOL)) {
      assertThat(p.begin(GET).next(Outcome.error(kind, 1)).retry()).as(kind.name()).isTrue();
    }
    assertThat(RetryPolicy.DEFAULT_ERRORS).containsExactlyInAnyOrder(
        ErrorKind.CONNECT, ErrorKind.RESET, ErrorKind.TIMEOUT, ErrorKind.PROTOCOL);
    assertThat(p.begin(POST).next(Outcome.error(ErrorKind.PROTOCOL, 1), true).retry())
        .as("a POST the backend may have processed").isFalse();
  }

  @Test
  void withoutAPerTryTimeoutTheRequestsTimeoutIsSplitOverTheAttemptsLeft() {
    Duration left = Duration.ofSeconds(6);
    RetryPolicy.Attempts two = policy().build().begin(GET);
    assertThat(two.requestTimeoutShare(left, true)).isEqualTo(Duration.ofSeconds(3));
    assertThat(two.splitsRequestTimeout(true)).isTrue();
    assertThat(two.next(UNAVAILABLE).retry()).isTrue();
    assertThat(two.requestTimeoutShare(left, true)).as("the last attempt: all that is left")
        .isNull();

    RetryPolicy.Attempts three = policy().maxAttempts(3).build().begin(GET);
    assertThat(three.requestTimeoutShare(left, true)).isEqualTo(Duration.ofSeconds(2));
    three.next(UNAVAILABLE);
    assertThat(three.requestTimeoutShare(Duration.ofSeconds(4), true))
        .isEqualTo(Duration.ofSeconds(2));

    assertThat(policy().build().begin(POST).requestTimeoutShare(left, true))
        .as("a request that is not retried").isNull();
    assertThat(policy().build().begin(GET).requestTimeoutShare(left, false))
        .as("a body that cannot be sent again").isNull();
    assertThat(policy().perTryTimeout(Duration.ofSeconds(1)).build().begin(GET)
        .requestTimeoutShare(left, true)).as("the caller's per-try timeout wins").isNull();
    assertThat(policy().splitRequestTimeout(false).build().begin(GET)
        .requestTimeoutShare(left, true)).as("turned off").isNull();
    assertThatThrownBy(() -> policy().splitRequestTimeout(false).splitRequestTimeout(true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("splitRequestTimeout was already set to false");
  }

  @Test
  void theBackoffsJitterComesFromTheGivenGenerator() {
    RetryPolicy p = policy().backoff(Duration.ofMillis(10), Duration.ofMillis(100))
        .random(new java.util.random.RandomGenerator() {
          @Override
          public long nextLong() {
            return 0;
          }

          @Override
          public long nextLong(long bound) {
            return bound - 1; // the longest back-off
          }
        })
        .build();
    assertThat(p.backoff(1)).isEqualTo(Duration.ofMillis(10).toNanos());
    assertThat(p.backoff(3)).isEqualTo(Duration.ofMillis(40).toNanos());
  }

  @Test
  void aListedStatusBelow500IsRetried() {
    RetryPolicy p = policy().statuses(429, 503).build();
    assertThat(p.begin(GET).next(Outcome.response(429, 1)).retry()).isTrue();
    assertThat(p.begin(GET).next(Outcome.response(404, 1)).reason())
        .isEqualTo("status 404 is not a failure");
  }

  @Test
  void backoffNeverOverflowsForLargeRetryNumbers() {
    RetryPolicy p = policy().backoff(Duration.ofMillis(25), Duration.ofSeconds(10)).build();
    for (int n = 30; n < 80; n++) {
      long cap = Duration.ofSeconds(10).toNanos();
      long max = 0;
      for (int i = 0; i < 200; i++) {
        long d = p.backoff(n);
        assertThat(d).isBetween(0L, cap);
        max = Math.max(max, d);
      }
      assertThat(max).as("retry %d is capped at the maximum, not wrapped to a tiny value", n)
          .isGreaterThan(cap / 2);
    }
  }
}
