package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.admitted;
import static dev.lb4j.core.policy.PolicyTestSupport.assertProceeds;
import static dev.lb4j.core.policy.PolicyTestSupport.assertRejected;
import static dev.lb4j.core.policy.PolicyTestSupport.fromClient;
import static dev.lb4j.core.policy.PolicyTestSupport.responseHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A single (global) {@link RateLimit} bucket under a fake ticker: exact admit and reject sequences
 * for a token bucket of {@code burst} tokens refilled at {@code permits / period}, and the 429
 * rejection with its {@code Retry-After} and {@code RateLimit-*} headers.
 */
class RateLimitTest {

  private static final long MS = 1_000_000L;
  private static final long S = 1_000_000_000L;

  private final ManualClock clock = new ManualClock();
  private final RequestView request = fromClient("192.0.2.1");

  private RateLimit.Builder limit(long permits, Duration period) {
    return RateLimit.builder("api").rate(permits, period).ticker(clock);
  }

  // ------------------------------------------------------------------ exact sequences

  @Test
  void tenPerSecondWithBurstTen() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(10).build();

    for (int i = 0; i < 10; i++) {
      assertProceeds(limit.onRequest(request));
    }
    assertRejected(limit.onRequest(request), 429);

    // Rejected requests take nothing: hammering while limited does not push the next permit away.
    assertThat(admitted(limit, request, 1_000)).isZero();

    // One token every 100 ms: not one nanosecond earlier.
    clock.advanceNanos(100 * MS - 1);
    assertRejected(limit.onRequest(request), 429);
    clock.advanceNanos(1);
    assertProceeds(limit.onRequest(request));
    assertRejected(limit.onRequest(request), 429);

    // One second after that the bucket is full again: ten, not more.
    clock.advance(Duration.ofSeconds(1));
    assertThat(admitted(limit, request, 20)).isEqualTo(10);

    // A long quiet spell does not save up more than the burst either.
    clock.advance(Duration.ofHours(1));
    assertThat(admitted(limit, request, 20)).isEqualTo(10);
  }

  @Test
  void partialRefillGivesWholeTokensOnly() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(10).build();
    assertThat(admitted(limit, request, 10)).isEqualTo(10);

    clock.advanceNanos(350 * MS); // 3.5 tokens
    assertThat(admitted(limit, request, 10)).isEqualTo(3);
    clock.advanceNanos(50 * MS); // the half token plus half a token: one more
    assertThat(admitted(limit, request, 10)).isEqualTo(1);
  }

  @Test
  void burstOneIsSmoothOneRequestPerEmissionInterval() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(1).build();

    assertProceeds(limit.onRequest(request));
    for (int i = 0; i < 5; i++) {
      assertRejected(limit.onRequest(request), 429);
      clock.advanceNanos(100 * MS - 1);
      assertRejected(limit.onRequest(request), 429);
      clock.advanceNanos(1);
      assertProceeds(limit.onRequest(request));
    }
  }

  @Test
  void burstOneUnderConstantDemandAdmitsExactlyTheRate() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(1).build();
    // A request every millisecond for ten seconds (t = 0 .. 9.999 s): admitted at 0, 100 ms,
    // 200 ms, ... that is ten a second.
    int admitted = 0;
    for (int ms = 0; ms < 10_000; ms++) {
      if (limit.onRequest(request) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
      clock.advanceNanos(MS);
    }
    assertThat(admitted).isEqualTo(100);
  }

  @Test
  void burstFiveAtOnePerSecond() {
    RateLimit limit = limit(1, Duration.ofSeconds(1)).burst(5).build();

    assertThat(admitted(limit, request, 5)).isEqualTo(5);
    PolicyDecision sixth = limit.onRequest(request);
    assertRejected(sixth, 429);
    assertThat(responseHeader(sixth, "Retry-After")).isEqualTo("1");
    assertThat(responseHeader(sixth, "RateLimit-Limit")).isEqualTo("5");

    clock.advance(Duration.ofSeconds(1));
    assertThat(admitted(limit, request, 5)).isEqualTo(1);

    clock.advance(Duration.ofMillis(2_500)); // 2.5 tokens: two now, the third in 0.5 s
    assertThat(admitted(limit, request, 2)).isEqualTo(2);
    PolicyDecision third = limit.onRequest(request);
    assertRejected(third, 429);
    assertThat(responseHeader(third, "Retry-After")).isEqualTo("1");
    clock.advance(Duration.ofMillis(500));
    assertThat(admitted(limit, request, 5)).isEqualTo(1);

    clock.advance(Duration.ofMinutes(10));
    assertThat(admitted(limit, request, 10)).isEqualTo(5);
  }

  @Test
  void defaultBurstIsThePermitsOfOnePeriod() {
    RateLimit seven = limit(7, Duration.ofSeconds(1)).build();
    assertThat(admitted(seven, request, 7)).isEqualTo(7);
    PolicyDecision eighth = seven.onRequest(request);
    assertThat(assertRejected(eighth, 429)).contains("burst 7");
    assertThat(responseHeader(eighth, "RateLimit-Limit")).isEqualTo("7");

    RateLimit perMinute = limit(1_000, Duration.ofMinutes(1)).build();
    assertThat(admitted(perMinute, request, 1_001)).isEqualTo(1_000);
  }

  @Test
  void oneBillionPerDay() {
    // Emission interval: 86,400 s / 1e9 = 86,400 ns.
    RateLimit smooth = limit(1_000_000_000L, Duration.ofDays(1)).burst(1).build();
    assertProceeds(smooth.onRequest(request));
    clock.advanceNanos(86_399);
    assertRejected(smooth.onRequest(request), 429);
    clock.advanceNanos(1);
    assertProceeds(smooth.onRequest(request));

    // The default burst is a day's worth (1e9): a spike of 100,000 is nowhere near it.
    RateLimit bursty = limit(1_000_000_000L, Duration.ofDays(1)).build();
    assertThat(admitted(bursty, request, 100_000)).isEqualTo(100_000);
  }

  @Test
  void onePermitPerNanosecond() {
    RateLimit limit = limit(1_000_000_000L, Duration.ofSeconds(1)).burst(1).build();
    assertProceeds(limit.onRequest(request));
    PolicyDecision sameNanosecond = limit.onRequest(request);
    assertRejected(sameNanosecond, 429);
    assertThat(responseHeader(sameNanosecond, "Retry-After")).isEqualTo("1");
    clock.advanceNanos(1);
    assertProceeds(limit.onRequest(request));
  }

  /**
   * Rates whose emission interval is not a whole number of nanoseconds. With constant demand (a
   * request every {@code step}) the bucket never fills up again after the initial burst, so the
   * k-th admission (k from 0) happens as soon as {@code k * T - (burst - 1) * T <= elapsed}: over
   * {@code [0, D]} exactly {@code burst + floor(D / T)} requests get through, {@code T = period /
   * permits}.
   */
  @Test
  void ratesThatDoNotDivideThePeriodEvenly() {
    // 3 per second (T = 333,333,333.3 ns), a request every millisecond for 100 s inclusive.
    RateLimit three = limit(3, Duration.ofSeconds(1)).build();
    assertThat(constantDemand(three, MS, 100 * S)).isEqualTo(3 + 300);

    // 7 per day (T = 3.43 h), a request every minute for 7 days inclusive.
    ManualClock days = new ManualClock();
    RateLimit seven =
        RateLimit.builder("daily").rate(7, Duration.ofDays(1)).ticker(days).build();
    int admitted = 0;
    for (long t = 0; t <= Duration.ofDays(7).toMinutes(); t++) {
      if (seven.onRequest(request) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
      days.advance(Duration.ofMinutes(1));
    }
    assertThat(admitted).isEqualTo(7 + 49);
  }

  private int constantDemand(RateLimit limit, long step, long duration) {
    int admitted = 0;
    for (long t = 0; t <= duration; t += step) {
      if (limit.onRequest(request) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
      clock.advanceNanos(step);
    }
    return admitted;
  }

  /**
   * 600 million per second is an emission interval of 1.67 ns; kept in whole nanoseconds it would
   * admit 1e9 per second, 67% too many. Such rates are refused; exact ones are kept.
   */
  @Test
  void ratesThatWholeNanosecondsCannotRepresentAreRefused() {
    assertThatThrownBy(() -> limit(600_000_000L, Duration.ofSeconds(1)).burst(1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.api.rate: 600000000 per PT1S (expected: a rate whose interval between"
                + " permits, period / permits, is a whole number of nanoseconds or at least 1"
                + " microsecond)");
    RateLimit exact = limit(500_000_000L, Duration.ofSeconds(1)).burst(1).build(); // 2 ns
    int admitted = 0;
    for (int ns = 0; ns < 10_000; ns++) {
      if (exact.onRequest(request) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
      clock.advanceNanos(1);
    }
    assertThat(admitted).isEqualTo(5_000);
  }

  @Test
  void oneBucketForEveryRequestWithoutAKey() {
    RateLimit limit = limit(3, Duration.ofSeconds(1)).build();
    assertProceeds(limit.onRequest(fromClient("192.0.2.1")));
    assertProceeds(limit.onRequest(fromClient("198.51.100.2")));
    assertProceeds(limit.onRequest(fromClient(null)));
    assertRejected(limit.onRequest(fromClient("203.0.113.3")), 429);
    assertThat(limit.keyCapacity()).isZero();
    assertThat(limit.trackedKeys()).isZero();
  }

  @ParameterizedTest
  @ValueSource(longs = {0L, -1_000_000_000_000_000L, 4_000_000_000_000_000_000L})
  void anyTickerOriginBehavesTheSame(long origin) {
    AtomicLong now = new AtomicLong(origin);
    RateLimit limit =
        RateLimit.builder("api").rate(10, Duration.ofSeconds(1)).ticker(now::get).build();
    assertThat(admitted(limit, request, 20)).isEqualTo(10);
    now.addAndGet(100 * MS);
    assertThat(admitted(limit, request, 20)).isEqualTo(1);
  }

  @Test
  void tickerReadingsBelowMinValueHalf() {
    AtomicLong now = new AtomicLong(Long.MIN_VALUE + 1);
    RateLimit limit =
        RateLimit.builder("api").rate(10, Duration.ofSeconds(1)).ticker(now::get).build();
    assertThat(admitted(limit, request, 20)).isEqualTo(10);
  }

  /**
   * 1 per day with a burst of 1e9 needs a tolerance {@code (burst - 1) * T} of 8.6e22 ns, beyond a
   * long: refused with a message; a burst that refills within the limit works.
   */
  @Test
  void aBurstTooLargeToRepresentIsRefusedAndALargeOneWorks() {
    assertThatThrownBy(() -> limit(1, Duration.ofDays(1)).burst(1_000_000_000).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.api.burst: 1000000000 at 1 per PT24H (expected: a burst that refills within"
                + " about 73 years: burst * period / permits below 2^61 ns)");
    RateLimit large = limit(1, Duration.ofDays(1)).burst(20_000).build(); // 55 years
    assertThat(admitted(large, request, 1_000)).isEqualTo(1_000);
  }

  // ------------------------------------------------------------------ the rejection response

  @Test
  void rejectionIs429WithRateLimitHeaders() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(10).build();
    assertThat(admitted(limit, request, 10)).isEqualTo(10);

    PolicyDecision rejected = limit.onRequest(request);
    assertRejected(rejected, 429);
    // The next token comes in 100 ms: Retry-After rounds up to a whole second.
    assertThat(responseHeader(rejected, "Retry-After")).isEqualTo("1");
    assertThat(responseHeader(rejected, "RateLimit-Limit")).isEqualTo("10");
    assertThat(responseHeader(rejected, "RateLimit-Remaining")).isEqualTo("0");
    String reset = Objects.requireNonNull(responseHeader(rejected, "RateLimit-Reset"));
    assertThat(reset).matches("[0-9]+");
    // The quota cannot be back to the limit before the next token is (exact value: see
    // resetIsWhenTheBucketIsFullAgain).
    assertThat(Long.parseLong(reset))
        .isGreaterThanOrEqualTo(
            Long.parseLong(Objects.requireNonNull(responseHeader(rejected, "Retry-After"))));
  }

  @Test
  void reasonNamesThePolicyTheRateAndTheBurst() {
    RateLimit limit = limit(10, Duration.ofSeconds(1)).burst(4).build();
    assertThat(admitted(limit, request, 4)).isEqualTo(4);
    String reason = assertRejected(limit.onRequest(request), 429);
    assertThat(reason).contains("'api'").contains("10 per PT1S").contains("burst 4");
  }

  @Test
  void retryAfterIsWholeSecondsRoundedUp() {
    // Burst 1 at one per 5 s: the second request 2.5 s later waits 2.5 s -> "3".
    RateLimit fiveSeconds = limit(1, Duration.ofSeconds(5)).burst(1).build();
    assertProceeds(fiveSeconds.onRequest(request));
    clock.advance(Duration.ofMillis(2_500));
    PolicyDecision rejected = fiveSeconds.onRequest(request);
    assertRejected(rejected, 429);
    assertThat(responseHeader(rejected, "Retry-After")).isEqualTo("3");
    assertThat(responseHeader(rejected, "RateLimit-Limit")).isEqualTo("1");
    assertThat(responseHeader(rejected, "RateLimit-Remaining")).isEqualTo("0");

    // Exactly one second to wait -> "1"; one nanosecond more -> "2".
    ManualClock c = new ManualClock();
    RateLimit twoSeconds =
        RateLimit.builder("api").rate(1, Duration.ofSeconds(2)).burst(1).ticker(c).build();
    assertProceeds(twoSeconds.onRequest(request));
    c.advanceNanos(S - 1);
    assertThat(responseHeader(twoSeconds.onRequest(request), "Retry-After")).isEqualTo("2");
    c.advanceNanos(1);
    assertThat(responseHeader(twoSeconds.onRequest(request), "Retry-After")).isEqualTo("1");
  }

  /** A client that waits as long as Retry-After says is admitted, whatever the configuration. */
  @ParameterizedTest
  @CsvSource({"10, PT1S, 10", "1, PT5S, 1", "1, PT1S, 5", "3, PT1S, 3", "100, PT1M, 1", "7, P1D, 2"})
  void waitingRetryAfterSecondsIsEnough(long permits, String period, int burst) {
    RateLimit limit = limit(permits, Duration.parse(period)).burst(burst).build();
    for (int round = 0; round < 5; round++) {
      admitted(limit, request, burst); // takes whatever the bucket holds
      PolicyDecision decision = limit.onRequest(request);
      assertRejected(decision, 429);
      String retryAfter = Objects.requireNonNull(responseHeader(decision, "Retry-After"));
      assertThat(Long.parseLong(retryAfter)).isPositive();
      clock.advance(Duration.ofSeconds(Long.parseLong(retryAfter)));
      assertProceeds(limit.onRequest(request));
      clock.advance(Duration.ofMillis(round * 333L)); // vary the phase
    }
  }

  /**
   * RateLimit-Reset (IETF rate-limit headers draft) is the number of seconds until the quota is back
   * to RateLimit-Limit, i.e. until the token bucket is full again.
   */
  @Test
  void resetIsWhenTheBucketIsFullAgain() {
    // 10 per second, burst 10, exhausted at t=0: full again at t=1 s -> "1" (says "2").
    RateLimit tenPerSecond = limit(10, Duration.ofSeconds(1)).burst(10).build();
    assertThat(admitted(tenPerSecond, request, 10)).isEqualTo(10);
    assertThat(responseHeader(tenPerSecond.onRequest(request), "RateLimit-Reset")).isEqualTo("1");

    // Burst 1 at one per 5 s, 2.5 s after the only token was taken: the next token is also a full
    // bucket, so Reset equals Retry-After, "3" (says "8").
    ManualClock c = new ManualClock();
    RateLimit fiveSeconds =
        RateLimit.builder("api").rate(1, Duration.ofSeconds(5)).burst(1).ticker(c).build();
    assertProceeds(fiveSeconds.onRequest(request));
    c.advance(Duration.ofMillis(2_500));
    PolicyDecision rejected = fiveSeconds.onRequest(request);
    assertThat(responseHeader(rejected, "RateLimit-Reset")).isEqualTo("3");
    assertThat(responseHeader(rejected, "RateLimit-Reset"))
        .isEqualTo(responseHeader(rejected, "Retry-After"));
  }
}
