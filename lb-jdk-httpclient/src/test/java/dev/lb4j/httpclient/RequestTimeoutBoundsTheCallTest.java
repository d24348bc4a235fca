package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.Ticker;
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
 * bounds a call of the JDK client: each attempt is given what is left of it (or the retry policy's
 * per-try timeout when shorter), and no retry starts once it has passed.
 *
 * <p>Both backends answer after 3 s, far beyond the request's timeout, so every attempt ends by
 * timing out. No wall time is asserted: the wrapped client records the timeout each attempt was
 * sent with, and since an attempt that times out lasts at least its own timeout, the attempts'
 * timeouts can add up to at most the request's.
 */
@Timeout(60)
class RequestTimeoutBoundsTheCallTest extends WireMockPoolFixture {

  private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);

  private List<WireMockServer> slow;
  private final RecordingClient wrapped = new RecordingClient(http11());

  @BeforeEach
  void slowBackends() {
    slow = List.of(asyncServer(), asyncServer());
    for (WireMockServer s : slow) {
      s.stubFor(any(anyUrl()).willReturn(
          aResponse().withStatus(200).withBody("late").withFixedDelay(3000)));
    }
  }

  private LoadBalancedHttpClient client(RetryPolicy policy) {
    return balance(policy, Ticker.system(), p -> { },
        slow.stream().map(WireMockPoolFixture::uri).toList(), wrapped);
  }

  private static HttpRequest get() {
    return request("/search", 0).timeout(REQUEST_TIMEOUT).GET().build();
  }

  private long picks() {
    return poolStats().backends().stream().mapToLong(BackendStats::picks).sum();
  }

  private List<Duration> attemptTimeouts() {
    return wrapped.sent().stream()
        .map(r -> r.timeout().orElseThrow(() -> new AssertionError("attempt without timeout: " + r)))
        .toList();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void theFirstAttemptGetsAtMostTheRequestsTimeoutAndNoRetryStartsAfterIt(CallMode mode) {
    // The default policy would retry a timeout (2 attempts); small back-off so a retry, if the
    // client sent one, would go at once. Not split: the first attempt may take the whole timeout.
    LoadBalancedHttpClient client =
        client(RetryPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(5))
            .splitRequestTimeout(false).build());

    assertThatThrownBy(() -> mode.call(client, get(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);

    List<Duration> timeouts = attemptTimeouts();
    assertThat(timeouts).as("attempts sent: the first used up the request's timeout").hasSize(1);
    assertThat(timeouts.get(0)).isPositive().isLessThanOrEqualTo(REQUEST_TIMEOUT);
    assertThat(picks()).as("backends picked").isEqualTo(1);
    assertThat(poolStats().retries()).isZero();
    assertThat(poolStats().backends().stream().mapToLong(BackendStats::failures).sum())
        .as("the timed-out attempt is its backend's failure").isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void byDefaultTheFirstAttemptGetsHalfTheRequestsTimeoutLeavingTheRestForARetry(CallMode mode) {
    LoadBalancedHttpClient client =
        client(RetryPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(5)).build());

    assertThatThrownBy(() -> mode.call(client, get(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);

    List<Duration> timeouts = attemptTimeouts();
    // Typically two attempts of about 250 ms each; on a slow machine the first attempt's timeout
    // may fire so late that no time is left for the retry. Whatever the count, the first gets at
    // most half, and together they stay within the request's timeout.
    assertThat(timeouts).hasSizeBetween(1, 2);
    assertThat(timeouts.get(0)).isPositive().isLessThanOrEqualTo(REQUEST_TIMEOUT.dividedBy(2));
    assertThat(timeouts.stream().reduce(Duration.ZERO, Duration::plus))
        .as("the attempts' timeouts %s added up", timeouts).isLessThanOrEqualTo(REQUEST_TIMEOUT);
    assertThat(picks()).isEqualTo(timeouts.size());
    assertThat(poolStats().backends().stream()
            .mapToLong(b -> b.failures() + b.cancelled()).sum())
        .as("every attempt's lease ended as a failure or cancelled").isEqualTo(timeouts.size());
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void retriesShareTheRequestsTimeoutWithTheFirstAttempt(CallMode mode) {
    Duration perTry = Duration.ofMillis(200);
    LoadBalancedHttpClient client =
        client(fastRetries().maxAttempts(3).perTryTimeout(perTry).build());

    assertThatThrownBy(() -> mode.call(client, get(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);

    List<Duration> timeouts = attemptTimeouts();
    // How many attempts fit depends on timing: 200 + 200 + what is left (about 100 ms) typically,
    // fewer on a slow machine. Whatever the count, the first gets the per-try timeout (shorter than
    // the request's), none gets more, and together they stay within the request's timeout: each
    // later attempt got only what the earlier ones left.
    assertThat(timeouts).hasSizeBetween(1, 3);
    assertThat(timeouts.get(0)).isEqualTo(perTry);
    assertThat(timeouts).allSatisfy(t -> assertThat(t).isPositive().isLessThanOrEqualTo(perTry));
    Duration sum = timeouts.stream().reduce(Duration.ZERO, Duration::plus);
    assertThat(sum).as("the attempts' timeouts %s added up", timeouts)
        .isLessThanOrEqualTo(REQUEST_TIMEOUT);
    if (timeouts.size() == 3) {
      assertThat(timeouts.get(2)).as("the third attempt gets only what is left").isLessThan(perTry);
    }
    assertThat(picks()).isEqualTo(timeouts.size());
    assertThat(poolStats().retries()).isEqualTo(timeouts.size() - 1);
  }
}
