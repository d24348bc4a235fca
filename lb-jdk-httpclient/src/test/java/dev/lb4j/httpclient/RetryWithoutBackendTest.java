package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.policy.RetryBudget;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A retry the policy granted but that finds no backend is not sent, so it gives its retry budget
 * token back: the next call can still retry.
 *
 * <p>The budget allows exactly one retry (1 per second, nothing per request, over 1 s) on a ticker
 * the test never moves, so a token spent stays spent for the whole test. Every first attempt goes to
 * a backend that answers 503 ({@link InOrder}), a retry to one that answers 200. In the first call an
 * operator disables both backends while the 503 is on its way (the wrapped client runs the admin
 * calls once the exchange has ended, before the load-balanced client sees the response): the retry
 * is granted, finds no backend, and the 503 is the answer. With the token given back, the second
 * call, both backends enabled again, retries and gets the 200; had the first call kept the token,
 * the second would be refused by the budget and end with the 503.
 */
@Timeout(60)
class RetryWithoutBackendTest extends WireMockPoolFixture {

  private final AtomicLong now = new AtomicLong();
  private final RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), now::get);
  private final RecordingClient wrapped = new RecordingClient(http11());
  private WireMockServer busy;
  private WireMockServer good;
  private LoadBalancedHttpClient client;

  @BeforeEach
  void start() {
    busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    client = balance(fastRetries().budget(budget).ticker(now::get).build(), now::get,
        p -> p.algorithm(new InOrder()), List.of(uri(busy), uri(good)), wrapped);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRetryThatFindsNoBackendGivesItsBudgetTokenBack(CallMode mode) throws Exception {
    assertThat(budget.balance()).as("the budget's one retry").isEqualTo(1.0);
    wrapped.afterExchange(r -> {
      lb().admin().disable(POOL, id(busy));
      lb().admin().disable(POOL, id(good));
    });

    HttpResponse<String> first =
        mode.call(client, request("/orders", 0).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(first.statusCode()).as("no backend for the retry: the 503 stands").isEqualTo(503);
    assertThat(first.body()).isEqualTo("busy");
    assertThat(stats(id(good)).status()).isEqualTo(BackendStatus.DISABLED);
    assertThat(wrapped.sent()).as("attempts sent").hasSize(1);
    assertThat(received(good)).isEmpty();
    assertThat(poolStats().retries()).as("retries that got a backend").isZero();
    assertThat(budget.balance()).as("the unsent retry's token is back").isEqualTo(1.0);

    wrapped.afterExchange(r -> { });
    lb().admin().enable(POOL, id(busy));
    lb().admin().enable(POOL, id(good));

    HttpResponse<String> second =
        mode.call(client, request("/orders", 1).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(second.statusCode()).as("the second call's retry, paid by the token given back")
        .isEqualTo(200);
    assertThat(second.body()).isEqualTo("fine");
    assertThat(received(busy, 1)).hasSize(1);
    assertThat(received(good, 1)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(1);
    assertThat(budget.balance()).as("now spent").isEqualTo(0.0);
  }
}
