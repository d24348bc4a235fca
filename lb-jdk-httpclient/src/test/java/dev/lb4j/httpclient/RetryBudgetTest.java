package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An exhausted retry budget stops retries, and the response that ends the call is then the
 * backend's own 503: the client kept its body aside in case of a retry and replays it, byte for
 * byte, to whatever body handler the caller gave.
 *
 * <p>The budget allows one retry per second and nothing per request ({@link RetryBudget#of} refuses
 * a budget of 0% and 0 per second; {@code maxAttempts(1)} is how to have none), on a ticker the test
 * controls: the first retry spends it, and it stays spent until the test moves time on.
 */
class RetryBudgetTest extends WireMockPoolFixture {

  /** Several lines, non-ASCII characters, CRLF and LF endings, larger than one network read. */
  private static final String BODY = body();

  private static String body() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      b.append("line ").append(i).append(": überlastet, réessayez plus tard — 稍后重试")
          .append(i % 2 == 0 ? "\r\n" : "\n");
    }
    return b.append("last line without a newline").toString();
  }

  private final AtomicLong now = new AtomicLong();
  private WireMockServer bad;
  private WireMockServer good1;
  private WireMockServer good2;
  private RetryBudget budget;

  @BeforeEach
  void start() {
    bad = server();
    bad.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(503)
            .withHeader("Content-Type", "text/plain; charset=utf-8")
            .withHeader("X-Backend", "bad")
            .withBody(BODY)));
    good1 = server();
    good1.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("one")));
    good2 = server();
    good2.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("two")));
    budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), now::get);
  }

  private RetryPolicy policy() {
    return fastRetries().budget(budget).ticker(now::get).build();
  }

  /** Every first attempt goes to the 503 backend, every retry to good1. */
  private LoadBalancedHttpClient client() {
    return balance(policy(), p -> p.algorithm(new InOrder()),
        List.of(uri(bad), uri(good1), uri(good2)));
  }

  private static HttpResponse<String> get(LoadBalancedHttpClient client, int call)
      throws Exception {
    return client.send(request("/report", call).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anExhaustedBudgetReturnsThe503AfterOneAttemptUntilItRefills() throws Exception {
    LoadBalancedHttpClient client = client();

    HttpResponse<String> first = get(client, 0);
    assertThat(first.statusCode()).as("the budget's one retry").isEqualTo(200);
    assertThat(received(good1, 0)).hasSize(1);
    assertThat(budget.balance()).isLessThan(1.0);

    for (int call = 1; call <= 3; call++) {
      HttpResponse<String> r = get(client, call);
      assertThat(r.statusCode()).as("call %s, budget spent", call).isEqualTo(503);
      assertThat(r.body()).isEqualTo(BODY);
      assertThat(r.uri().getPort()).isEqualTo(bad.port());
      assertThat(received(bad, call)).hasSize(1);
      assertThat(received(good1, call)).isEmpty();
    }
    assertThat(received(good2)).isEmpty();
    assertThat(poolStats().retries()).isEqualTo(1);

    now.addAndGet(Duration.ofSeconds(2).toNanos()); // the spent retry leaves the 1 s window
    HttpResponse<String> later = get(client, 4);
    assertThat(later.statusCode()).as("the budget refilled").isEqualTo(200);
    assertThat(received(good1, 4)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(2);
  }

  @Test
  void clientsSharingAPolicyShareItsBudget() throws Exception {
    LoadBalancedHttpClient client = client();
    try (LoadBalancedHttpClient other =
        LoadBalancedHttpClient.builder(lb()).retryPolicy(policy()).build()) {
      // policy() builds a new policy over the same budget object: the budget is what is shared.
      assertThat(get(client, 0).statusCode()).isEqualTo(200);
      assertThat(other.send(request("/report", 1).GET().build(),
              HttpResponse.BodyHandlers.ofString()).statusCode())
          .as("the other client's retry finds the shared budget spent").isEqualTo(503);
    }
    assertThat(received(good1)).hasSize(1);
    assertThat(received(bad)).hasSize(2);
  }

  /** The JDK's body handlers. */
  enum Handler {
    STRING,
    BYTE_ARRAY,
    INPUT_STREAM,
    LINES
  }

  @ParameterizedTest
  @EnumSource(Handler.class)
  void theFinal503KeptAsideReachesTheCallersBodyHandlerIntact(Handler handler) throws Exception {
    LoadBalancedHttpClient client = client();
    assertThat(get(client, 0).statusCode()).as("spends the budget").isEqualTo(200);

    var req = request("/report", 1).GET().build();
    HttpResponse<?> r;
    byte[] utf8 = BODY.getBytes(StandardCharsets.UTF_8);
    switch (handler) {
      case STRING -> {
        HttpResponse<String> s = client.send(req, HttpResponse.BodyHandlers.ofString());
        r = s;
        assertThat(s.body()).isEqualTo(BODY);
      }
      case BYTE_ARRAY -> {
        HttpResponse<byte[]> s = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        r = s;
        assertThat(s.body()).isEqualTo(utf8);
      }
      case INPUT_STREAM -> {
        HttpResponse<InputStream> s = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        r = s;
        try (InputStream in = s.body()) {
          assertThat(in.readAllBytes()).isEqualTo(utf8);
        }
      }
      case LINES -> {
        HttpResponse<Stream<String>> s = client.send(req, HttpResponse.BodyHandlers.ofLines());
        r = s;
        try (Stream<String> lines = s.body()) {
          assertThat(lines.toList()).hasSize(2001).isEqualTo(BODY.lines().toList());
        }
      }
      default -> throw new AssertionError(handler);
    }

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue("X-Backend")).hasValue("bad");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
    assertThat(r.uri().getPort()).isEqualTo(bad.port());
    assertThat(received(bad, 1)).hasSize(1);
    assertThat(received(good1, 1)).isEmpty();
    assertThat(received(good2)).isEmpty();
  }
}
