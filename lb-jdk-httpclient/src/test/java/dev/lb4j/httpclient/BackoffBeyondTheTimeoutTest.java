package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A retry whose back-off would outlast the request's own timeout is refused: the call ends at once
 * with the last attempt's answer instead of waiting past its timeout, and the refused retry's
 * budget token is given back; a back-off that ends before the deadline is waited out, exactly.
 * The client's ticker and scheduler are a {@link ManualClock} and the back-off is made known (the
 * jitter's longest draw), so no real time decides anything: a refused retry ends the call while the
 * clock stands still, and a granted one waits until the test moves the clock to its end.
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

  private final ManualClock clock = new ManualClock();
  // One retry, nothing per request, on a clock that only the test moves: a token spent by this
  // call stays spent, a token given back shows in the balance.
  private final RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), clock);
  private WireMockServer busy;
  private WireMockServer good;

  @BeforeEach
  void backends() {
    busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
  }

  private LoadBalancedHttpClient client(Duration backoff) {
    RetryPolicy policy = RetryPolicy.builder()
        .backoff(backoff, backoff)
        .random(LONGEST)
        .budget(budget)
        .ticker(clock)
        .build();
    return balanceOn(clock, policy, p -> p.algorithm(new InOrder()),
        List.of(uri(busy), uri(good)));
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRetryWhoseBackoffOutlastsTheTimeoutIsRefusedAndItsTokenGivenBack(CallMode mode)
      throws Exception {
    LoadBalancedHttpClient client = client(Duration.ofSeconds(30));
    assertThat(budget.balance()).as("the budget's one retry").isEqualTo(1.0);

    // The clock never moves: a client that waited out the back-off would never answer.
    HttpResponse<String> r = mode.call(client,
        request("/orders", 0).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as("the first backend's answer stands").isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    // the call has ended; its timers are cancelled by the thread that ended it, maybe a moment
    // later; a back-off would stay (the clock never moves)
    WireMockPoolFixture.awaitTrue(() -> clock.pendingTasks() == 0, "no back-off waiting");
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(budget.balance()).as("the refused retry's token is back").isEqualTo(1.0);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBackoffThatEndsWhenTheTimeoutDoesIsRefusedToo(CallMode mode) throws Exception {
    // The retry would start at the very moment the request times out: nothing left to send it.
    LoadBalancedHttpClient client = client(TIMEOUT);

    HttpResponse<String> r = mode.call(client,
        request("/orders", 0).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(budget.balance()).as("the refused retry's token is back").isEqualTo(1.0);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBackoffThatEndsBeforeTheTimeoutIsWaitedOutExactly(CallMode mode) throws Exception {
    Duration backoff = TIMEOUT.minusMillis(1);
    LoadBalancedHttpClient client = client(backoff);

    CallMode.Pending<String> call = mode.start(client,
        request("/orders", 0).timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
    // The retry was granted (its token taken) and its back-off is the one timer on the clock.
    awaitTrue(() -> budget.balance() == 0.0 && clock.pendingTasks() == 1,
        "the call waiting out its back-off");
    clock.advance(backoff.minusMillis(1));
    assertThat(clock.pendingTasks()).as("the back-off, 1 ms before its end").isEqualTo(1);
    assertThat(received(good)).as("no retry before the back-off ends").isEmpty();
    clock.advance(Duration.ofMillis(1));

    HttpResponse<String> r = call.await();
    assertThat(r.statusCode()).as("the retry's answer").isEqualTo(200);
    assertThat(r.body()).isEqualTo("fine");
    assertThat(received(good)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(1);
  }
}
