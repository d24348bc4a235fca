package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A retry whose back-off would outlast the request's own timeout is refused: the call ends at once
 * with the last attempt's answer instead of sleeping past its timeout, and the refused retry's
 * budget token is given back. The back-off is made known (30 s, the jitter's longest draw), so the
 * refusal is certain whatever the machine's speed; a client that slept it would not end within
 * the test's wait of {@value CallMode#WAIT_SECONDS} s.
 */
@Timeout(60)
class BackoffBeyondTheTimeoutTest extends WireMockPoolFixture {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  /** Always the longest back-off the policy allows. */
  private static final RandomGenerator LONGEST = new RandomGenerator() {
    @Override
    public long nextLong() {
      return 0;
    }

    @Override
    public long nextLong(long bound) {
      return bound - 1;
    }
  };

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRetryWhoseBackoffOutlastsTheTimeoutIsRefusedAndItsTokenGivenBack(CallMode mode)
      throws Exception {
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    WireMockServer good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    // One retry, nothing per request, on a ticker that does not move: a token spent by this call
    // stays spent, a token given back shows in the balance.
    RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), () -> 0L);
    RetryPolicy policy = RetryPolicy.builder()
        .backoff(Duration.ofSeconds(30), Duration.ofSeconds(30))
        .random(LONGEST)
        .budget(budget)
        .build();
    LoadBalancedHttpClient client = balance(policy, Ticker.system(),
        p -> p.algorithm(new InOrder()), List.of(uri(busy), uri(good)));
    double before = budget.balance();
    assertThat(before).as("the budget's one retry").isEqualTo(1.0);
    long start = System.nanoTime();

    HttpResponse<String> r = mode.call(client,
        request("/orders", 0).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the call's duration")
        .isLessThanOrEqualTo(TIMEOUT.plusMillis(1500));
    assertThat(r.statusCode()).as("the first backend's answer stands").isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(budget.balance()).as("the refused retry's token is back").isEqualTo(before);
  }
}
