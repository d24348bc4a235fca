package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.OutlierDetection;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Timeouts of the retry policy: a per-try timeout turns a backend that does not answer into a
 * retry elsewhere (recorded as {@link ErrorKind#TIMEOUT}); a total timeout ends the call with an
 * {@link HttpTimeoutException} when every backend is slow. No timing is asserted: only outcomes and
 * which backends got requests.
 */
class RetryTimeoutTest extends WireMockPoolFixture {

  /** Far beyond the timeouts below: an attempt on such a backend can only end by timing out. */
  private static final int SLOW_MS = 3000;

  private WireMockServer slow() {
    WireMockServer s = server();
    s.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(200).withBody("late").withFixedDelay(SLOW_MS)));
    return s;
  }

  private WireMockServer fast(String body) {
    WireMockServer s = server();
    s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody(body)));
    return s;
  }

  @Test
  void aBackendSlowerThanThePerTryTimeoutIsLeftForAnotherAndTheGetSucceeds() throws Exception {
    WireMockServer slow = slow();
    WireMockServer good1 = fast("one");
    WireMockServer good2 = fast("two");
    LoadBalancedHttpClient client =
        balance(
            fastRetries().perTryTimeout(Duration.ofMillis(300)).build(),
            p -> p.algorithm(new InOrder())
                .outlierDetection(
                    OutlierDetection.builder()
                        .failureStatuses()
                        .failureErrors(Set.of(ErrorKind.TIMEOUT)) // only a timeout ejects
                        .consecutiveFailures(1)
                        .build()),
            List.of(uri(slow), uri(good1), uri(good2)));

    HttpResponse<String> r =
        client.send(request("/search", 0).GET().build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("one");
    assertThat(received(slow, 0)).as("the first attempt").hasSize(1);
    assertThat(received(good1, 0)).as("the retry").hasSize(1);
    assertThat(received(good2)).isEmpty();
    assertThat(poolStats().retries()).isEqualTo(1);
    BackendStats s = awaitStatus(id(slow), BackendStatus.EJECTED);
    assertThat(s.failures()).isEqualTo(1);
    assertThat(s.status()).as("its one failure was a TIMEOUT").isEqualTo(BackendStatus.EJECTED);
  }

  @Test
  void whenEveryBackendIsSlowTheTotalTimeoutEndsTheCallWithHttpTimeoutException() {
    List<WireMockServer> all = List.of(slow(), slow(), slow());
    LoadBalancedHttpClient client =
        balance(
            fastRetries().maxAttempts(3).perTryTimeout(Duration.ofMillis(200))
                .totalTimeout(Duration.ofMillis(500)).build(),
            p -> { },
            all.stream().map(WireMockPoolFixture::uri).toList());

    assertThatThrownBy(() -> client.send(request("/search", 0).GET().build(),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);

    // How many attempts fit in the total depends on timing; each went to a different backend and
    // each was recorded as a failure of the backend it went to.
    int attempts = 0;
    for (WireMockServer s : all) {
      List<?> got = received(s, 0);
      assertThat(got).as("requests at %s", id(s)).hasSizeLessThanOrEqualTo(1);
      attempts += got.size();
      assertThat(stats(id(s)).failures()).isEqualTo(got.size());
    }
    assertThat(attempts).isBetween(1, 3);
  }

  @Test
  void aTotalTimeoutAloneGivesTheFirstAttemptAllOfItAndLeavesNothingForARetry() {
    List<WireMockServer> all = List.of(slow(), slow(), slow());
    LoadBalancedHttpClient client =
        balance(fastRetries().maxAttempts(3).totalTimeout(Duration.ofMillis(300)).build(),
            p -> { }, all.stream().map(WireMockPoolFixture::uri).toList());

    assertThatThrownBy(() -> client.send(request("/search", 0).GET().build(),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(HttpTimeoutException.class);

    int attempts = 0;
    for (WireMockServer s : all) {
      attempts += received(s, 0).size();
    }
    assertThat(attempts).as("the first attempt's timeout is the whole total").isEqualTo(1);
  }
}
