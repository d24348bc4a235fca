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
import org.junit.jupiter.api.Timeout;

/**
 * Timeouts of the retry policy: a per-try timeout turns a backend that does not answer into a
 * retry elsewhere (recorded as {@link ErrorKind#TIMEOUT}); a total timeout ends the call with an
 * {@link HttpTimeoutException} when every backend is slow. Slow backends hold their requests and
 * never answer; the client's and the retry policy's time is a {@link ManualClock}, so each attempt
 * times out exactly when the test moves the clock to its end (its timer is still armed 1 ms before).
 */
@Timeout(60)
class RetryTimeoutTest extends WireMockPoolFixture {

  private static final Duration MS = Duration.ofMillis(1);

  private final ManualClock clock = new ManualClock();

  private WireMockServer fast(String body) {
    WireMockServer s = server();
    s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody(body)));
    return s;
  }

  /** The {@code nth} request {@code backend} got times out exactly {@code timeout} after it went. */
  private void timesOutAfter(HeldBackend backend, int nth, Duration timeout) throws Exception {
    backend.awaitReceived(nth);
    clock.advance(timeout.minus(MS));
    assertThat(clock.pendingTasks()).as("the attempt's timer 1 ms before %s", timeout)
        .isEqualTo(1);
    clock.advance(MS);
  }

  @Test
  void aBackendSlowerThanThePerTryTimeoutIsLeftForAnotherAndTheGetSucceeds() throws Exception {
    HeldBackend slow = held(200, "never sent");
    WireMockServer good1 = fast("one");
    WireMockServer good2 = fast("two");
    LoadBalancedHttpClient client =
        balanceOn(clock,
            fastRetries().perTryTimeout(Duration.ofMillis(300)).ticker(clock).build(),
            p -> p.algorithm(new InOrder())
                .outlierDetection(
                    OutlierDetection.builder()
                        .failureStatuses()
                        .failureErrors(Set.of(ErrorKind.TIMEOUT)) // only a timeout ejects
                        .consecutiveFailures(1)
                        .build()),
            List.of(slow.uri(), uri(good1), uri(good2)));

    CallMode.Pending<String> call = CallMode.SEND.start(client,
        request("/search", 0).GET().build(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(slow, 1, Duration.ofMillis(300));
    HttpResponse<String> r = call.await();

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("one");
    assertThat(slow.received()).as("the first attempt").isEqualTo(1);
    assertThat(received(good1, 0)).as("the retry").hasSize(1);
    assertThat(received(good2)).isEmpty();
    assertThat(poolStats().retries()).isEqualTo(1);
    BackendStats s = awaitStatus(slow.id(), BackendStatus.EJECTED);
    assertThat(s.failures()).isEqualTo(1);
    assertThat(s.status()).as("its one failure was a TIMEOUT").isEqualTo(BackendStatus.EJECTED);
  }

  @Test
  void whenEveryBackendIsSlowTheTotalTimeoutEndsTheCallWithHttpTimeoutException()
      throws Exception {
    List<HeldBackend> all =
        List.of(held(200, "never sent"), held(200, "never sent"), held(200, "never sent"));
    LoadBalancedHttpClient client =
        balanceOn(clock,
            fastRetries().maxAttempts(3).perTryTimeout(Duration.ofMillis(200))
                .totalTimeout(Duration.ofMillis(500)).ticker(clock).build(),
            p -> p.algorithm(new InOrder()),
            all.stream().map(HeldBackend::uri).toList());

    CallMode.Pending<String> call = CallMode.SEND.start(client,
        request("/search", 0).GET().build(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(all.get(0), 1, Duration.ofMillis(200));
    timesOutAfter(all.get(1), 1, Duration.ofMillis(200));
    timesOutAfter(all.get(2), 1, Duration.ofMillis(100)); // what the total has left

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    // the call has ended; the thread that ended it cancels its timers, maybe a moment later
    WireMockPoolFixture.awaitTrue(
        () -> clock.pendingTasks() == 0, "no timer left once the call ended");
    for (HeldBackend b : all) {
      assertThat(b.received()).as("requests at %s", b.id()).isEqualTo(1);
      assertThat(stats(b.id()).failures()).as("the TIMEOUT at %s", b.id()).isEqualTo(1);
    }
    assertThat(poolStats().retries()).isEqualTo(2);
  }

  @Test
  void aTotalTimeoutAloneGivesTheFirstAttemptAllOfItAndLeavesNothingForARetry()
      throws Exception {
    List<HeldBackend> all =
        List.of(held(200, "never sent"), held(200, "never sent"), held(200, "never sent"));
    LoadBalancedHttpClient client =
        balanceOn(clock,
            fastRetries().maxAttempts(3).totalTimeout(Duration.ofMillis(300)).ticker(clock)
                .build(),
            p -> p.algorithm(new InOrder()), all.stream().map(HeldBackend::uri).toList());

    CallMode.Pending<String> call = CallMode.SEND.start(client,
        request("/search", 0).GET().build(), HttpResponse.BodyHandlers.ofString());
    timesOutAfter(all.get(0), 1, Duration.ofMillis(300));

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    assertThat(all.get(1).received() + all.get(2).received())
        .as("the first attempt's timeout is the whole total: no retry").isZero();
    assertThat(poolStats().retries()).isZero();
  }
}
