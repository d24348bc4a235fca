package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.httpclient.RawBackend.Behaviour;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The request's timeout bounds the response's body too, not only its headers (where the JDK
 * client's own timeout stops): a backend that sends its 100-byte body 1 byte per 100 ms (10 s)
 * cannot hold a call with a 1 s timeout. The client's time is a {@link ManualClock}: once part of
 * the body has arrived the test moves the clock, and the body's deadline fires exactly at the
 * request's timeout (not 1 ms before), however fast the machine; nothing waits for real time but
 * the first byte.
 */
@Timeout(60)
class BodyTimeoutTest extends WireMockPoolFixture {

  private static final Duration TIMEOUT = Duration.ofSeconds(1);
  private static final Duration MS = Duration.ofMillis(1);

  private final ManualClock clock = new ManualClock();
  private @Nullable RawBackend slow;

  private LoadBalancedHttpClient client() throws IOException {
    RawBackend b = new RawBackend(Behaviour.SLOW_BODY);
    slow = b;
    return balanceOn(clock, RetryPolicy.builder().build(), p -> { }, List.of(b.uri()));
  }

  @AfterEach
  void closeBackend() throws IOException {
    RawBackend b = slow;
    if (b != null) {
      b.close();
    }
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBodyStillArrivingWhenTheTimeoutPassesFailsTheCallAndItsHandler(CallMode mode)
      throws Exception {
    LoadBalancedHttpClient client = client();
    MisbehavingBackendsTest.Recording handler = new MisbehavingBackendsTest.Recording();

    CallMode.Pending<String> call =
        mode.start(client, request("/slow", 0).timeout(TIMEOUT).GET().build(), handler);
    awaitTrue(() -> handler.gotBytes, "part of the body reaching the handler");
    clock.advance(TIMEOUT.minus(MS));
    assertThat(handler.error).as("the body's end 1 ms before the timeout").isNull();
    clock.advance(MS);
    assertThat(handler.error).as("the handler was told why its body ended")
        .isInstanceOf(HttpTimeoutException.class);

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    RawBackend b = java.util.Objects.requireNonNull(slow);
    BackendStats s = stats(id(b.port()));
    assertThat(s.inFlight()).isZero();
    assertThat(s.failures() + s.cancelled()).as("the lease ended as TIMEOUT or cancelled")
        .isEqualTo(1);
    assertThat(b.accepted()).as("no retry once the caller had part of the body").isEqualTo(1);
  }

  @Test
  void aStreamedBodyStopsWithAnHttpTimeoutExceptionWhenTheTimeoutPasses() throws Exception {
    LoadBalancedHttpClient client = client();
    HttpResponse<InputStream> r = client.send(request("/slow", 0).timeout(TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);

    try (InputStream in = r.body()) {
      assertThat(in.read()).as("the body's first byte").isNotNegative();
      clock.advance(TIMEOUT);
      assertThatThrownBy(in::readAllBytes)
          .isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(chain(e)).as("cause chain of %s", e)
              .anyMatch(HttpTimeoutException.class::isInstance));
    }
  }

  private static List<Throwable> chain(Throwable t) {
    List<Throwable> all = new java.util.ArrayList<>();
    for (Throwable c = t; c != null && all.size() < 20; c = c.getCause()) {
      all.add(c);
    }
    return all;
  }
}
