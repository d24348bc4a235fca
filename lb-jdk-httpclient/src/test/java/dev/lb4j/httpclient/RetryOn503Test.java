package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.OutlierDetection;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Failover on 503: a GET answered 503 by one backend is retried on another, the pool counts the
 * retries, outlier detection takes the failing backend out of rotation, and retries never repeat a
 * backend while one not yet tried is left.
 */
class RetryOn503Test extends WireMockPoolFixture {

  private WireMockServer answering(int status, String body) {
    WireMockServer s = server();
    s.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(status).withHeader("X-Backend", String.valueOf(s.port()))
            .withBody(body)));
    return s;
  }

  @Test
  void everyGetSucceedsWhenOneBackendAnswers503TheBadBackendGettingTheFirstAttemptOnly()
      throws Exception {
    WireMockServer bad = answering(503, "down");
    WireMockServer good1 = answering(200, "one");
    WireMockServer good2 = answering(200, "two");
    List<WireMockServer> goods = List.of(good1, good2);
    LoadBalancedHttpClient client =
        balance(fastRetries().build(), p -> p.algorithm(Algorithms.roundRobin()),
            List.of(uri(bad), uri(good1), uri(good2)));

    int calls = 12;
    for (int call = 0; call < calls; call++) {
      HttpResponse<String> r =
          client.send(request("/items", call).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(200);
      assertThat(r.uri().getPort()).as("call %s answered by", call).isNotEqualTo(bad.port());
      assertThat(r.body()).isEqualTo(r.uri().getPort() == good1.port() ? "one" : "two");

      // Where this call went: the good backend that answered, and the bad one if it came first.
      WireMockServer answered = r.uri().getPort() == good1.port() ? good1 : good2;
      WireMockServer other = answered == good1 ? good2 : good1;
      List<LoggedRequest> atBad = received(bad, call);
      assertThat(received(answered, call)).as("call %s at the backend that answered", call)
          .hasSize(1);
      assertThat(received(other, call)).as("call %s at the other good backend", call).isEmpty();
      assertThat(atBad).as("call %s at the 503 backend", call).hasSizeLessThanOrEqualTo(1);
      if (!atBad.isEmpty()) {
        assertThat(atBad.get(0).getLoggedDate())
            .as("call %s: the 503 backend had the first attempt", call)
            .isBeforeOrEqualTo(received(answered, call).get(0).getLoggedDate());
      }
    }

    // Round robin on one thread visits every backend within three calls, so the bad one had
    // several first attempts; each was retried exactly once, and only those were.
    int badAttempts = received(bad).size();
    assertThat(badAttempts).isGreaterThanOrEqualTo(calls / 3);
    assertThat(received(good1).size() + received(good2).size()).isEqualTo(calls);
    assertThat(poolStats().retries()).isEqualTo(badAttempts);
    assertThat(stats(id(bad)).failures()).isEqualTo(badAttempts);
    assertThat(stats(id(bad)).completed()).isEqualTo(badAttempts);
    for (WireMockServer g : goods) {
      BackendStats s = stats(id(g));
      assertThat(s.failures()).isZero();
      assertThat(s.completed()).isEqualTo(received(g).size());
    }
  }

  @Test
  void outlierDetectionEjectsThe503BackendAfterThreeFailuresAndItThenGetsNoTraffic()
      throws Exception {
    WireMockServer bad = answering(503, "down");
    WireMockServer good1 = answering(200, "one");
    WireMockServer good2 = answering(200, "two");
    AtomicLong now = new AtomicLong(); // frozen: the ejection cannot end during the test
    LoadBalancedHttpClient client =
        balance(
            fastRetries().build(),
            now::get,
            p -> p.algorithm(Algorithms.roundRobin())
                .outlierDetection(OutlierDetection.builder().consecutiveFailures(3).build()),
            List.of(uri(bad), uri(good1), uri(good2)));

    int call = 0;
    // Round robin reaches the bad backend at least once every three calls: 3 failures within 9.
    for (; call < 30 && received(bad).size() < 3; call++) {
      assertThat(stats(id(bad)).status()).as("before its third failure").isEqualTo(
          BackendStatus.HEALTHY);
      HttpResponse<String> r =
          client.send(request("/items", call).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(200);
    }
    assertThat(received(bad)).as("attempts the bad backend got").hasSize(3);
    BackendStats ejected = awaitStatus(id(bad), BackendStatus.EJECTED);
    assertThat(ejected.status()).isEqualTo(BackendStatus.EJECTED);
    assertThat(ejected.ejections()).isEqualTo(1);
    assertThat(ejected.failures()).isEqualTo(3);
    assertThat(poolStats().retries()).isEqualTo(3);

    for (int i = 0; i < 12; i++, call++) {
      HttpResponse<String> r =
          client.send(request("/items", call).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(200);
    }
    assertThat(received(bad)).as("attempts the ejected backend got").hasSize(3);
    assertThat(stats(id(bad)).status()).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(id(bad)).picks()).isEqualTo(3);
    assertThat(poolStats().retries()).as("no call needed a retry once it was ejected").isEqualTo(3);
    assertThat(received(good1).size() + received(good2).size()).isEqualTo(call);
  }

  @Test
  void threeAttemptsOnThreeFailingBackendsGoToThreeDifferentBackends() throws Exception {
    List<WireMockServer> all =
        List.of(answering(503, "down a"), answering(503, "down b"), answering(503, "down c"));
    // Random picks would repeat a backend within three picks in 21 of 27 cases without the
    // exclusion of tried backends: 20 calls cannot pass by luck.
    LoadBalancedHttpClient client =
        balance(fastRetries().maxAttempts(3).build(), p -> p.algorithm(Algorithms.random()),
            all.stream().map(WireMockPoolFixture::uri).toList());

    int calls = 20;
    for (int call = 0; call < calls; call++) {
      HttpResponse<String> r =
          client.send(request("/items", call).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(503);
      WireMockServer last = byPort(all, r.uri().getPort());
      assertThat(r.body()).as("the final 503 is the last backend's own")
          .isEqualTo("down " + "abc".charAt(all.indexOf(last)));
      assertThat(r.headers().firstValue("X-Backend")).hasValue(String.valueOf(last.port()));
      for (WireMockServer s : all) {
        assertThat(received(s, call)).as("call %s at %s", call, id(s)).hasSize(1);
      }
    }
    assertThat(poolStats().retries()).isEqualTo(2L * calls);
    for (WireMockServer s : all) {
      assertThat(stats(id(s)).failures()).isEqualTo(calls);
    }
  }

  @Test
  void threeAttemptsOnTwoFailingBackendsTryBothBeforeRepeatingAndNeverOneTwiceInARow()
      throws Exception {
    List<WireMockServer> all = List.of(answering(503, "down a"), answering(503, "down b"));
    LoadBalancedHttpClient client =
        balance(fastRetries().maxAttempts(3).build(), p -> p.algorithm(Algorithms.random()),
            all.stream().map(WireMockPoolFixture::uri).toList());

    int calls = 10;
    for (int call = 0; call < calls; call++) {
      HttpResponse<String> r =
          client.send(request("/items", call).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("call %s", call).isEqualTo(503);
      WireMockServer last = byPort(all, r.uri().getPort());
      assertThat(r.body()).as("the final 503 is the last backend's own, body intact")
          .isEqualTo("down " + "ab".charAt(all.indexOf(last)));
      // Attempts 1 and 2 go to different backends; attempt 3, with both tried, to any but the
      // previous one: the first again. So the backend that answered last got 2 of the 3.
      WireMockServer other = all.get(1 - all.indexOf(last));
      assertThat(received(last, call)).as("call %s at %s", call, id(last)).hasSize(2);
      assertThat(received(other, call)).as("call %s at %s", call, id(other)).hasSize(1);
      java.time.Instant a = received(last, call).get(0).getLoggedDate().toInstant();
      java.time.Instant b = received(last, call).get(1).getLoggedDate().toInstant();
      assertThat(received(other, call).get(0).getLoggedDate().toInstant())
          .as("the other backend had the second attempt")
          .isBetween(a.isBefore(b) ? a : b, a.isBefore(b) ? b : a);
    }
    assertThat(poolStats().retries()).isEqualTo(2L * calls);
    assertThat(stats(id(all.get(0))).failures() + stats(id(all.get(1))).failures())
        .isEqualTo(3L * calls);
  }

  private static WireMockServer byPort(List<WireMockServer> servers, int port) {
    return servers.stream().filter(s -> s.port() == port).findFirst()
        .orElseThrow(() -> new AssertionError("no backend on port " + port));
  }
}
