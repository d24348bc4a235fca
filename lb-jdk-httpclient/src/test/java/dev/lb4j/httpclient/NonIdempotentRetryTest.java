package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Which requests are retried: a POST never by default (the backend may have acted on it); with
 * {@link RetryPolicy.Builder#retryNonIdempotentOnConnectFailure()} only after a refused connection
 * (the backend never saw it) and only with a body the client can send again; idempotent methods on
 * the usual failures, with the same body.
 */
class NonIdempotentRetryTest extends WireMockPoolFixture {

  private static final String BODY = "{\"order\":\"ä-42\",\"qty\":3}";

  /** How the first backend fails. */
  enum Bad {
    STATUS_503,
    RESET,
    REFUSED
  }

  /** The first backend (no server when its port is refused) and two good ones, in that order. */
  private record Backends(@Nullable WireMockServer bad, int badPort, WireMockServer good1,
      WireMockServer good2) {
    List<String> uris() {
      return List.of(uri(badPort), uri(good1), uri(good2));
    }

    List<LoggedRequest> atGood() {
      List<LoggedRequest> all = new java.util.ArrayList<>(received(good1));
      all.addAll(received(good2));
      return all;
    }

    List<LoggedRequest> atBad() {
      WireMockServer s = bad;
      return s == null ? List.of() : received(s);
    }
  }

  private Backends start(Bad how) {
    WireMockServer bad = null;
    int badPort;
    switch (how) {
      case STATUS_503 -> {
        bad = server();
        bad.stubFor(any(anyUrl()).willReturn(
            aResponse().withStatus(503).withHeader("Retry-After", "1").withBody("busy")));
        badPort = bad.port();
      }
      case RESET -> {
        bad = server();
        bad.stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        badPort = bad.port();
      }
      case REFUSED -> badPort = closedPort();
      default -> throw new AssertionError(how);
    }
    WireMockServer good1 = server();
    good1.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("one")));
    WireMockServer good2 = server();
    good2.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("two")));
    return new Backends(bad, badPort, good1, good2);
  }

  /** First attempts go to the bad backend (configured first), retries to good1. */
  private LoadBalancedHttpClient inOrder(RetryPolicy policy, Backends b) {
    return balance(policy, p -> p.algorithm(new InOrder()), b.uris());
  }

  private static HttpRequest post(HttpRequest.BodyPublisher body) {
    return request("/orders", 0).header("Content-Type", "application/json")
        .POST(body).build();
  }

  private static RetryPolicy connectFailureRetries() {
    return fastRetries().retryNonIdempotentOnConnectFailure().build();
  }

  // ------------------------------------------------------------ default policy: POST never retried

  @Test
  void postAnswered503IsNotRetriedByDefaultAndTheCallerGetsThe503() throws Exception {
    Backends b = start(Bad.STATUS_503);
    LoadBalancedHttpClient client = inOrder(fastRetries().build(), b);

    HttpResponse<String> r =
        client.send(post(BodyPublishers.ofString(BODY)), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atBad().get(0).getMethod().value()).isEqualTo("POST");
    assertThat(b.atBad().get(0).getBodyAsString()).isEqualTo(BODY);
    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(stats(id(b.badPort())).failures()).isEqualTo(1);
  }

  @Test
  void postResetIsNotRetriedByDefaultAndTheCallerGetsTheIoException() {
    Backends b = start(Bad.RESET);
    LoadBalancedHttpClient client = inOrder(fastRetries().build(), b);

    assertThatThrownBy(() -> client.send(post(BodyPublishers.ofString(BODY)),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class);

    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(stats(id(b.badPort())).failures()).isEqualTo(1);
  }

  @Test
  void postRefusedIsNotRetriedByDefault() {
    Backends b = start(Bad.REFUSED);
    LoadBalancedHttpClient client = inOrder(fastRetries().build(), b);

    assertThatThrownBy(() -> client.send(post(BodyPublishers.ofString(BODY)),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);

    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(stats(id(b.badPort())).failures()).isEqualTo(1);
  }

  // ------------------------------------------------------------ retryNonIdempotentOnConnectFailure

  /** The JDK's publishers over data they hold, marked replayable by {@link ReplayableBody}. */
  enum Replayable {
    STRING,
    BYTE_ARRAY,
    BYTE_ARRAY_RANGE;

    HttpRequest.BodyPublisher publisher() {
      byte[] bytes = BODY.getBytes(StandardCharsets.UTF_8);
      byte[] padded = new byte[bytes.length + 4];
      System.arraycopy(bytes, 0, padded, 2, bytes.length);
      return switch (this) {
        case STRING -> ReplayableBody.ofString(BODY);
        case BYTE_ARRAY -> ReplayableBody.ofByteArray(bytes);
        case BYTE_ARRAY_RANGE -> ReplayableBody.ofByteArray(padded, 2, bytes.length);
      };
    }
  }

  @ParameterizedTest
  @EnumSource(Replayable.class)
  void postWithAReplayableBodyIsRetriedAfterARefusedConnectionWithTheSameBody(Replayable body)
      throws Exception {
    Backends b = start(Bad.REFUSED);
    LoadBalancedHttpClient client = inOrder(connectFailureRetries(), b);

    HttpResponse<String> r =
        client.send(post(body.publisher()), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("one");
    List<LoggedRequest> atGood = received(b.good1());
    assertThat(atGood).hasSize(1);
    assertThat(atGood.get(0).getMethod().value()).isEqualTo("POST");
    assertThat(atGood.get(0).getBodyAsString()).isEqualTo(BODY);
    assertThat(atGood.get(0).getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(received(b.good2())).isEmpty();
    assertThat(poolStats().retries()).isEqualTo(1);
    assertThat(stats(id(b.badPort())).failures()).isEqualTo(1);
  }

  @Test
  void postAnswered503IsStillNotRetriedWhenConnectFailuresAreRetried() throws Exception {
    Backends b = start(Bad.STATUS_503);
    LoadBalancedHttpClient client = inOrder(connectFailureRetries(), b);

    HttpResponse<String> r =
        client.send(post(BodyPublishers.ofString(BODY)), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
  }

  @Test
  void postResetIsStillNotRetriedWhenConnectFailuresAreRetried() {
    // A reset may come after the backend read the request: retrying could apply it twice.
    Backends b = start(Bad.RESET);
    LoadBalancedHttpClient client = inOrder(connectFailureRetries(), b);

    assertThatThrownBy(() -> client.send(post(BodyPublishers.ofString(BODY)),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(IOException.class)
        .isNotInstanceOf(ConnectException.class);

    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
  }

  @Test
  void postWithANonReplayableBodyIsNotRetriedEvenAfterARefusedConnection() {
    Backends b = start(Bad.REFUSED);
    LoadBalancedHttpClient client = inOrder(connectFailureRetries(), b);

    assertThatThrownBy(() -> client.send(
            post(BodyPublishers.fromPublisher(BodyPublishers.ofString(BODY))),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
    int length = BODY.getBytes(StandardCharsets.UTF_8).length;
    assertThatThrownBy(() -> client.send(
            post(BodyPublishers.fromPublisher(BodyPublishers.ofString(BODY), length)),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
    // The supplier of an input stream, or an iterable, may hand out a used-up source the second
    // time: the client cannot tell, so it does not retry.
    byte[] bytes = BODY.getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> client.send(
            post(BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);
    assertThatThrownBy(() -> client.send(
            post(BodyPublishers.ofByteArrays(List.of(bytes))),
            HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(ConnectException.class);

    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertThat(stats(id(b.badPort())).failures()).isEqualTo(4);
  }

  // ------------------------------------------------------------ idempotent methods with a body

  @Test
  void putAnswered503IsRetriedByDefaultWithTheSameBody() throws Exception {
    Backends b = start(Bad.STATUS_503);
    LoadBalancedHttpClient client = inOrder(fastRetries().build(), b);

    HttpResponse<String> r = client.send(
        request("/orders/42", 0).header("Content-Type", "application/json")
            .PUT(ReplayableBody.ofString(BODY)).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atBad().get(0).getBodyAsString()).isEqualTo(BODY);
    List<LoggedRequest> atGood = received(b.good1());
    assertThat(atGood).hasSize(1);
    assertThat(atGood.get(0).getMethod().value()).isEqualTo("PUT");
    assertThat(atGood.get(0).getBodyAsString()).isEqualTo(BODY);
    assertThat(poolStats().retries()).isEqualTo(1);
  }

  @Test
  void putWithANonReplayableBodyIsNotRetried() throws Exception {
    // The client's Javadoc: a body is replayable when ReplayableBody made it, "not for
    // fromPublisher or custom publishers". This body can be read once, like a stream from a socket.
    Backends b = start(Bad.STATUS_503);
    LoadBalancedHttpClient client = inOrder(fastRetries().build(), b);

    HttpResponse<String> r = client.send(
        request("/orders/42", 0).header("Content-Type", "application/json")
            .PUT(BodyPublishers.fromPublisher(new OneShot(BODY))).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(b.atBad()).hasSize(1);
    assertThat(b.atBad().get(0).getBodyAsString()).isEqualTo(BODY);
    assertThat(b.atGood()).isEmpty();
    assertThat(poolStats().retries()).isZero();
  }

  @Test
  void aFailingRequestBodyIsTheCallersFailureNotTheBackends() {
    WireMockServer a = server();
    WireMockServer b = server();
    WireMockServer c = server();
    for (WireMockServer s : List.of(a, b, c)) {
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    }
    LoadBalancedHttpClient client =
        balance(
            fastRetries().build(),
            p -> p.algorithm(new InOrder())
                .outlierDetection(OutlierDetection.builder().consecutiveFailures(1).build()),
            List.of(uri(a), uri(b), uri(c)));
    Flow.Publisher<ByteBuffer> broken =
        subscriber -> subscriber.onSubscribe(
            new Flow.Subscription() {
              @Override
              public void request(long n) {
                subscriber.onError(new IllegalStateException("the caller's body source failed"));
              }

              @Override
              public void cancel() {}
            });

    assertThatThrownBy(() -> client.send(post(BodyPublishers.fromPublisher(broken)),
            HttpResponse.BodyHandlers.ofString()))
        .hasStackTraceContaining("the caller's body source failed");

    BackendStats first = stats(id(a));
    assertThat(first.failures()).as("not the backend's failure").isZero();
    assertThat(first.status()).isEqualTo(BackendStatus.HEALTHY);
  }

  /** A request body that can be read once; a second subscriber gets an error. */
  private static final class OneShot implements Flow.Publisher<ByteBuffer> {
    private final AtomicBoolean used = new AtomicBoolean();
    private final byte[] bytes;

    OneShot(String body) {
      this.bytes = body.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      boolean first = used.compareAndSet(false, true);
      subscriber.onSubscribe(
          new Flow.Subscription() {
            private boolean done;

            @Override
            public synchronized void request(long n) {
              if (done) {
                return;
              }
              done = true;
              if (first) {
                subscriber.onNext(ByteBuffer.wrap(bytes));
                subscriber.onComplete();
              } else {
                subscriber.onError(new IllegalStateException("the body was read already"));
              }
            }

            @Override
            public synchronized void cancel() {
              done = true;
            }
          });
    }
  }
}
