package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The request's own {@link HttpRequest#timeout()} bounds the whole call, retries included, as it
 * bounds a call of the JDK client: each attempt is given what is left of it (or its share of it,
 * or the retry policy's per-try timeout when shorter), and no retry starts once it has passed.
 *
 * <p>Both backends hold every request and never answer, and the client's ticker and scheduler are
 * a {@link ManualClock}: each attempt times out exactly when the test moves the clock to the end of
 * its timeout, never a moment before (the clock is moved to 1 ms short of it first), so every
 * attempt's timeout is asserted exactly, whatever the machine's load.
 */
@Timeout(60)
class RequestTimeoutBoundsTheCallTest extends WireMockPoolFixture {

  private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);
  private static final Duration MS = Duration.ofMillis(1);

  private final ManualClock clock = new ManualClock();
  private HeldBackend first;
  private HeldBackend second;

  @BeforeEach
  void silentBackends() throws Exception {
    first = held(200, "never sent");
    second = held(200, "never sent");
  }

  private LoadBalancedHttpClient client(RetryPolicy policy) {
    return balanceOn(clock, policy, p -> p.algorithm(new InOrder()),
        List.of(first.uri(), second.uri()));
  }

  private static HttpRequest get() {
    return request("/search", 0).timeout(REQUEST_TIMEOUT).GET().build();
  }

  /**
   * The attempt that {@code backend}'s {@code nth} request is times out exactly {@code timeout}
   * after it was sent: its timer is still armed 1 ms before, and gone at that moment.
   */
  private void timesOutAfter(HeldBackend backend, int nth, Duration timeout) throws Exception {
    backend.awaitReceived(nth);
    assertThat(clock.pendingTasks()).as("attempt %s: its timeout, armed", nth).isEqualTo(1);
    clock.advance(timeout.minus(MS));
    assertThat(clock.pendingTasks()).as("its timer 1 ms before %s", timeout).isEqualTo(1);
    clock.advance(MS);
  }

  private long sum(java.util.function.ToLongFunction<BackendStats> stat) {
    return poolStats().backends().stream().mapToLong(stat).sum();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void theFirstAttemptGetsAtMostTheRequestsTimeoutAndNoRetryStartsAfterIt(CallMode mode)
      throws Exception {
    // The default policy would retry a timeout (2 attempts). Not split: the first attempt may
    // take the whole timeout, which leaves nothing for a retry.
    LoadBalancedHttpClient client =
        client(fastRetries().splitRequestTimeout(false).build());

    CallMode.Pending<String> call = mode.start(client, get(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(first, 1, REQUEST_TIMEOUT);

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    assertThat(second.received()).as("no retry").isZero();
    assertThat(sum(BackendStats::picks)).as("backends picked").isEqualTo(1);
    assertThat(poolStats().retries()).isZero();
    assertThat(sum(BackendStats::failures)).as("the timed-out attempt is its backend's failure")
        .isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void byDefaultTheFirstAttemptGetsHalfTheRequestsTimeoutLeavingTheRestForARetry(CallMode mode)
      throws Exception {
    LoadBalancedHttpClient client = client(fastRetries().build());

    CallMode.Pending<String> call = mode.start(client, get(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(first, 1, REQUEST_TIMEOUT.dividedBy(2));
    timesOutAfter(second, 1, REQUEST_TIMEOUT.dividedBy(2));

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    // the call has ended; the thread that ended it cancels its timers, maybe a moment later
    WireMockPoolFixture.awaitTrue(
        () -> clock.pendingTasks() == 0, "no timer left once the call ended");
    assertThat(sum(BackendStats::picks)).isEqualTo(2);
    assertThat(poolStats().retries()).isEqualTo(1);
    assertThat(sum(BackendStats::failures))
        .as("each attempt had its even share: both timeouts are the backends' failures")
        .isEqualTo(2);
    assertThat(sum(BackendStats::cancelled)).isZero();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void retriesShareTheRequestsTimeoutWithTheFirstAttempt(CallMode mode) throws Exception {
    Duration perTry = Duration.ofMillis(200);
    LoadBalancedHttpClient client =
        client(fastRetries().maxAttempts(3).perTryTimeout(perTry).build());

    CallMode.Pending<String> call = mode.start(client, get(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(first, 1, perTry);
    timesOutAfter(second, 1, perTry);
    // Every backend was tried: the third attempt goes to any but the previous one, with only
    // what the first two left of the request's timeout.
    timesOutAfter(first, 2, REQUEST_TIMEOUT.minus(perTry.multipliedBy(2)));

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    // the call has ended; the thread that ended it cancels its timers, maybe a moment later
    WireMockPoolFixture.awaitTrue(
        () -> clock.pendingTasks() == 0, "no timer left once the call ended");
    assertThat(sum(BackendStats::picks)).isEqualTo(3);
    assertThat(poolStats().retries()).isEqualTo(2);
    assertThat(sum(BackendStats::failures)).as("the two attempts that had their per-try timeout")
        .isEqualTo(2);
    assertThat(sum(BackendStats::cancelled))
        .as("the third, cut short by the request's deadline (100 ms of a 500 ms timeout)")
        .isEqualTo(1);
  }
}
