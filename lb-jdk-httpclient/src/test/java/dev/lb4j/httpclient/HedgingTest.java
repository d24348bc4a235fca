package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.HedgingPolicy;
import dev.lb4j.core.policy.RetryBudget;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hedging against real backends: every first attempt goes to a backend that answers after 2 s
 * ({@link InOrder}), a hedge after 100 ms to one that answers at once. The margins are wide (20
 * times the hedge delay) so a busy machine does not change the outcome.
 */
@Timeout(60)
class HedgingTest extends WireMockPoolFixture {

  private static final Duration HEDGE_DELAY = Duration.ofMillis(100);

  private final RetryBudget budget = RetryBudget.of(20, 10, Duration.ofMinutes(10), Ticker.system());
  private WireMockServer slow;
  private WireMockServer fast;
  private LoadBalancedHttpClient client;

  @BeforeEach
  void start() {
    slow = asyncServer();
    slow.stubFor(
        any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("slow").withFixedDelay(2000)));
    fast = server();
    fast.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fast")));
    client =
        balance(
            fastRetries().budget(budget).build(),
            Ticker.system(),
            p -> p.algorithm(new InOrder()),
            List.of(uri(slow), uri(fast)),
            http11(),
            b -> b.hedging(HedgingPolicy.builder(HEDGE_DELAY).build()));
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void theFastBackendAnswersAHedgedRequestAndTheSlowAttemptIsReleasedAsCancelled(CallMode mode)
      throws Exception {
    double before = budget.balance();

    HttpResponse<String> r =
        mode.call(client, request("/items/7", 0).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.body()).isEqualTo("fast");
    assertThat(r.uri().getPort()).isEqualTo(fast.port());
    assertThat(received(slow)).as("the first attempt reached the slow backend").hasSize(1);
    BackendStats loser = stats(id(slow));
    assertThat(loser.inFlight()).isZero();
    assertThat(loser.cancelled()).as("the losing attempt counts as cancelled").isEqualTo(1);
    assertThat(loser.failures()).as("not as a failure of its backend").isZero();
    assertThat(stats(id(fast)).completed()).isEqualTo(1);
    assertThat(poolStats().inFlight()).isZero();
    assertThat(poolStats().retries()).as("the hedge's selection").isEqualTo(1);
    assertThat(budget.balance())
        .as("the request deposited 0.2 of a retry; the hedge took 1")
        .isCloseTo(before + 0.2 - 1, within(1e-9));
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aHedgeAnswered503LeavesTheSlowAttemptToAnswer(CallMode mode) throws Exception {
    fast.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));

    HttpResponse<String> r =
        mode.call(client, request("/items/7", 0).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).as("the 503 was kept aside, not handed over").isEqualTo("slow");
    assertThat(received(fast)).hasSize(1);
    assertThat(stats(id(fast)).failures()).as("the hedge's 503").isEqualTo(1);
    assertThat(stats(id(slow)).completed()).isEqualTo(1);
    assertThat(poolStats().inFlight()).isZero();
  }

  @Test
  void aPostIsNeverHedged() throws Exception {
    HttpResponse<String> r =
        client.send(
            request("/orders", 0).POST(ReplayableBody.ofString("{}")).build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(r.body()).isEqualTo("slow");
    assertThat(received(fast)).isEmpty();
    assertThat(poolStats().retries()).isZero();
  }

  @Test
  void hedgingNeedsRetriesForItsBudget() {
    try (LoadBalancer lb = LoadBalancer.builder().pool("api", p -> p.backend(uri(fast))).build()) {
      assertThatThrownBy(
              () ->
                  LoadBalancedHttpClient.builder(lb)
                      .noRetries()
                      .hedging(HedgingPolicy.builder(HEDGE_DELAY).build())
                      .build())
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("hedging");
      assertThatThrownBy(
              () ->
                  LoadBalancedHttpClient.builder(lb)
                      .hedging(HedgingPolicy.builder(HEDGE_DELAY).build())
                      .hedging(HedgingPolicy.builder(HEDGE_DELAY).build()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("hedging was already set");
    }
  }
}
