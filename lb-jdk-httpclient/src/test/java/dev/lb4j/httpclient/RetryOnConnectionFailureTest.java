package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.OutlierDetection;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Failover on connection-level failures (reset, empty response, refused connection): the GET is
 * retried on another backend and succeeds, and the failed attempt's lease records the failure with
 * the right {@link ErrorKind}. The kind is observed through outlier detection configured to count
 * only that kind (or every kind but it): the engine's only public view of the recorded kind.
 */
class RetryOnConnectionFailureTest extends WireMockPoolFixture {

  /** How the first backend fails, and the kind its lease must record. */
  enum Failure {
    RESET_BY_PEER(Fault.CONNECTION_RESET_BY_PEER, ErrorKind.RESET),
    EMPTY_RESPONSE(Fault.EMPTY_RESPONSE, ErrorKind.RESET),
    CONNECTION_REFUSED(null, ErrorKind.CONNECT);

    final @Nullable Fault fault;
    final ErrorKind kind;

    Failure(@Nullable Fault fault, ErrorKind kind) {
      this.fault = fault;
      this.kind = kind;
    }
  }

  /** The failing backend (no server when its port is closed) and two good ones, in that order. */
  private record Backends(@Nullable WireMockServer badServer, int badPort, WireMockServer good1,
      WireMockServer good2) {
    List<String> uris() {
      return List.of(uri(badPort), uri(good1), uri(good2));
    }
  }

  private Backends start(Failure failure) {
    Fault fault = failure.fault;
    WireMockServer bad = null;
    int badPort;
    if (fault == null) {
      badPort = closedPort();
    } else {
      bad = server();
      bad.stubFor(any(anyUrl()).willReturn(aResponse().withFault(fault)));
      badPort = bad.port();
    }
    WireMockServer good1 = server();
    good1.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("one")));
    WireMockServer good2 = server();
    good2.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("two")));
    return new Backends(bad, badPort, good1, good2);
  }

  private HttpResponse<String> get(LoadBalancedHttpClient client, int call) throws Exception {
    return client.send(request("/orders", call).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest
  @EnumSource(Failure.class)
  void getIsRetriedOnTheNextBackendAndSucceeds(Failure failure) throws Exception {
    Backends b = start(failure);
    // In order: every call's first attempt goes to the failing backend, its retry to good1.
    LoadBalancedHttpClient client =
        balance(fastRetries().build(), p -> p.algorithm(new InOrder()), b.uris());

    int calls = 5;
    for (int call = 0; call < calls; call++) {
      HttpResponse<String> r = get(client, call);
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(200);
      assertThat(r.body()).isEqualTo("one");
      assertThat(r.uri().getPort()).isEqualTo(b.good1().port());
      WireMockServer bad = b.badServer();
      if (bad != null) {
        // One attempt of the balancer; the JDK client itself re-sends a GET once when an HTTP/1.1
        // connection fails before the first byte of the response (MultiExchange), unseen by it.
        assertThat(received(bad, call)).as("call %s at the failing backend", call)
            .hasSizeBetween(1, 2);
      }
      assertThat(received(b.good1(), call)).as("call %s at the retry's backend", call).hasSize(1);
    }
    assertThat(received(b.good2())).isEmpty();
    assertThat(poolStats().retries()).isEqualTo(calls);
    BackendStats bad = stats(id(b.badPort()));
    assertThat(bad.picks()).isEqualTo(calls);
    assertThat(bad.completed()).isEqualTo(calls);
    assertThat(bad.failures()).isEqualTo(calls);
    assertThat(bad.cancelled()).isZero();
    assertThat(stats(id(b.good1())).failures()).isZero();
    assertThat(stats(id(b.good1())).completed()).isEqualTo(calls);
  }

  @ParameterizedTest
  @EnumSource(Failure.class)
  void theFailedAttemptCountsAsItsKind(Failure failure) throws Exception {
    Backends b = start(failure);
    LoadBalancedHttpClient client =
        balance(
            fastRetries().build(),
            p -> p.algorithm(new InOrder())
                .outlierDetection(
                    OutlierDetection.builder()
                        .failureStatuses() // no status counts: only the kind under test
                        .failureErrors(Set.of(failure.kind))
                        .consecutiveFailures(2)
                        .build()),
            b.uris());

    assertThat(get(client, 0).statusCode()).isEqualTo(200);
    assertThat(stats(id(b.badPort())).status()).as("one failure of two needed")
        .isEqualTo(BackendStatus.HEALTHY);
    assertThat(get(client, 1).statusCode()).isEqualTo(200);
    BackendStats bad = awaitStatus(id(b.badPort()), BackendStatus.EJECTED);
    assertThat(bad.status()).as("two %s failures in a row", failure.kind)
        .isEqualTo(BackendStatus.EJECTED);
    assertThat(bad.ejections()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(Failure.class)
  void theFailedAttemptCountsAsNoOtherKind(Failure failure) throws Exception {
    Backends b = start(failure);
    Set<ErrorKind> others = EnumSet.allOf(ErrorKind.class);
    others.removeIf(k -> !k.isBackendFailure() || k == failure.kind);
    LoadBalancedHttpClient client =
        balance(
            fastRetries().build(),
            p -> p.algorithm(new InOrder())
                .outlierDetection(
                    OutlierDetection.builder()
                        .failureStatuses()
                        .failureErrors(others)
                        .consecutiveFailures(1)
                        .build()),
            b.uris());

    int calls = 3;
    for (int call = 0; call < calls; call++) {
      assertThat(get(client, call).statusCode()).isEqualTo(200);
    }
    BackendStats bad = stats(id(b.badPort()));
    assertThat(bad.status()).as("its failures are %s, which is not counted", failure.kind)
        .isEqualTo(BackendStatus.HEALTHY);
    assertThat(bad.ejections()).isZero();
    assertThat(bad.failures()).as("still failures of the backend").isEqualTo(calls);
  }
}
