package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.httpclient.RawBackend.Behaviour;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A backend that misbehaves (a raw {@link RawBackend}) beside two healthy ones, under the default
 * retry policy, for idempotent GETs with a request timeout: every call whose failure could still
 * be retried (nothing of the response reached the caller's body handler: a response whose status
 * went to the handler is the call's answer, never retried) succeeds on a healthy backend, and
 * every call ends within its request timeout plus {@link #SLACK}. The reset mid-body and the slow
 * body send a 200 first, so their calls may fail (the slow body with an {@code
 * HttpTimeoutException} at the timeout); the other four must never fail a call.
 *
 * <p>The misbehaving backend is always tried first ({@link InOrder}), so each call meets it. The
 * upper bound on a call's duration is generous on purpose (the timeout is what is tested, not the
 * machine's speed): without the whole-call bound a slow body takes 10 s, a hung backend the whole
 * timeout and then fails.
 */
@Timeout(120)
class MisbehavingBackendsTest extends WireMockPoolFixture {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  /** What a call may take beyond its timeout: scheduling, closing a connection, a loaded machine. */
  private static final Duration SLACK = Duration.ofMillis(1500);
  private static final int CALLS = 3;

  private final List<RawBackend> raw = new ArrayList<>();

  @AfterEach
  void closeRawBackends() throws Exception {
    for (RawBackend b : raw) {
      b.close();
    }
  }

  static List<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Behaviour b : Behaviour.values()) {
      for (CallMode m : CallMode.values()) {
        all.add(Arguments.of(b, m));
      }
    }
    return all;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void everyRetryableCallSucceedsElsewhereAndNoCallOutlastsItsTimeout(
      Behaviour behaviour, CallMode mode) throws Exception {
    RawBackend bad = new RawBackend(behaviour);
    raw.add(bad);
    WireMockServer good1 = healthy();
    WireMockServer good2 = healthy();
    LoadBalancedHttpClient client =
        balance(RetryPolicy.builder().build(), p -> p.algorithm(new InOrder()),
            List.of(bad.uri(), uri(good1), uri(good2)));

    List<String> unexpected = new ArrayList<>();
    for (int call = 0; call < CALLS; call++) {
      Recording handler = new Recording();
      long start = System.nanoTime();
      Throwable failure = null;
      HttpResponse<String> response = null;
      try {
        response = mode.call(client, request("/x", call).timeout(TIMEOUT).GET().build(), handler);
      } catch (Exception e) {
        failure = e;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).as("call %d took (failure: %s)", call, failure)
          .isLessThanOrEqualTo(TIMEOUT.plus(SLACK));
      if (failure == null) {
        assertThat(java.util.Objects.requireNonNull(response).statusCode()).as("call %d", call).isEqualTo(200);
        continue;
      }
      if (!handler.applied) {
        unexpected.add("call " + call + " failed although nothing of the response reached the"
            + " body handler: " + failure);
      } else if (behaviour == Behaviour.SLOW_BODY && !(failure instanceof HttpTimeoutException)) {
        unexpected.add("call " + call + ": a slow body ends with " + failure
            + " (expected: HttpTimeoutException)");
      }
    }
    assertThat(unexpected).as("calls that should have been retried elsewhere").isEmpty();
    assertThat(bad.accepted()).as("the misbehaving backend was tried").isPositive();
  }

  private WireMockServer healthy() {
    WireMockServer s = server();
    s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    return s;
  }

  /**
   * {@code ofString}, recording whether it got a response, whether any body byte reached it, and
   * how its body ended.
   */
  static final class Recording implements HttpResponse.BodyHandler<String> {
    volatile boolean applied;
    volatile boolean gotBytes;
    volatile @Nullable Throwable error;

    @Override
    public HttpResponse.BodySubscriber<String> apply(HttpResponse.ResponseInfo info) {
      applied = true;
      HttpResponse.BodySubscriber<String> inner =
          HttpResponse.BodySubscribers.ofString(java.nio.charset.StandardCharsets.UTF_8);
      return new HttpResponse.BodySubscriber<>() {
        @Override
        public CompletionStage<String> getBody() {
          return inner.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
          inner.onSubscribe(subscription);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
          if (item.stream().anyMatch(ByteBuffer::hasRemaining)) {
            gotBytes = true;
          }
          inner.onNext(item);
        }

        @Override
        public void onError(Throwable throwable) {
          error = throwable;
          inner.onError(throwable);
        }

        @Override
        public void onComplete() {
          inner.onComplete();
        }
      };
    }
  }
}
