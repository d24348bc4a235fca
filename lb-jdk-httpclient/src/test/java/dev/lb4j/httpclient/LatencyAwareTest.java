package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.api.Algorithm;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Load- and latency-aware algorithms learn from the outcomes {@link LoadBalancedHttpClient} feeds
 * to its leases: with one slow backend among fast ones, the slow one gets far less traffic.
 *
 * <p>No timing assertions: only how many requests each backend got. The slow backend answers after
 * 200 ms, the fast ones at once (a millisecond or so on loopback, some tens on a busy machine), so
 * the slow one holds its requests much longer: least-request sees them pile up there, peak EWMA
 * sees its latency estimate. Either way it gets a small share; the assertion (less than half of the
 * smaller fast count) leaves a wide margin. With 10 callers, least-request keeps about as many in
 * flight to each backend, so each backend's share is its throughput, in inverse proportion to its
 * latency: the slow one gets ~ 1/10 to 1/100 of a fast one's. Peak EWMA gives the slow backend a
 * few requests while it has no estimate (an idle backend without data is tried), then about none.
 *
 * <p>Peak EWMA keeps a latency spike (a sample above the estimate replaces it) and lets it fade
 * with the load balancer's latency decay time: the first requests of a fresh JDK client (class
 * loading, connection set-up) on a busy machine can take as long as the slow backend. So the JDK
 * client is warmed up on every backend first, and the decay time is 1 s instead of the default 10
 * s, so that a spike fades within the test's second or so instead of lasting all of it.
 */
class LatencyAwareTest {

  private static final int REQUESTS = 300;
  private static final int CALLERS = 10;
  private static final int SLOW_MS = 200;

  private static final List<WireMockServer> servers = new ArrayList<>();
  private static WireMockServer slow;

  @BeforeAll
  static void startServers() {
    for (int i = 0; i < 3; i++) {
      WireMockServer s =
          new WireMockServer(
              options().dynamicPort().bindAddress("127.0.0.1").asynchronousResponseEnabled(true));
      servers.add(s);
      s.start();
    }
    slow = servers.get(0);
  }

  @AfterAll
  static void stopServers() {
    servers.forEach(WireMockServer::stop);
    servers.clear();
  }

  @BeforeEach
  void stub() {
    for (WireMockServer s : servers) {
      s.resetAll();
      s.stubFor(
          any(anyUrl())
              .willReturn(
                  s == slow
                      ? aResponse().withStatus(200).withBody("slow").withFixedDelay(SLOW_MS)
                      : aResponse().withStatus(200).withBody("fast")));
    }
  }

  @Test
  void peakEwmaSendsLessToTheSlowBackend() throws Exception {
    assertSlowGetsLess(Algorithms.peakEwma());
  }

  @Test
  void leastRequestSendsLessToTheSlowBackend() throws Exception {
    assertSlowGetsLess(Algorithms.leastRequest());
  }

  private static void assertSlowGetsLess(Algorithm algorithm) throws Exception {
    HttpClient jdk = HttpClient.newHttpClient();
    for (WireMockServer s : servers) { // warm-up, straight to each backend, then forgotten
      HttpResponse<Void> r =
          jdk.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/warm-up")).build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(r.statusCode()).isEqualTo(200);
      s.resetRequests();
    }
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .latencyDecay(Duration.ofSeconds(1))
                .pool(
                    "api",
                    p -> {
                      for (WireMockServer s : servers) {
                        p.backend("http://127.0.0.1:" + s.port());
                      }
                      p.algorithm(algorithm);
                    })
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.builder(lb).client(jdk).noRetries().build()) {
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      try {
        // CALLERS threads take request numbers from one counter until REQUESTS are sent, so at most
        // CALLERS requests are in flight at any time.
        AtomicInteger next = new AtomicInteger();
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < CALLERS; t++) {
          done.add(
              callers.submit(
                  () -> {
                    int mine = 0;
                    for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
                      HttpResponse<String> r =
                          client.send(
                              HttpRequest.newBuilder(URI.create("http://api/work/" + i)).build(),
                              HttpResponse.BodyHandlers.ofString());
                      assertThat(r.statusCode()).isEqualTo(200);
                      mine++;
                    }
                    return mine;
                  }));
        }
        int sent = 0;
        for (Future<Integer> f : done) {
          sent += f.get(30, TimeUnit.SECONDS);
        }
        assertThat(sent).isEqualTo(REQUESTS);
      } finally {
        callers.shutdownNow();
      }

      PoolStats pool = lb.stats().pool("api");
      assertThat(pool.inFlight()).isZero();
      long slowCount = requests(slow);
      List<Long> fastCounts = new ArrayList<>();
      for (WireMockServer s : servers) {
        if (s != slow) {
          fastCounts.add(requests(s));
        }
      }
      assertThat(slowCount + fastCounts.get(0) + fastCounts.get(1)).isEqualTo(REQUESTS);
      long smallerFast = Math.min(fastCounts.get(0), fastCounts.get(1));
      assertThat(slowCount)
          .as("requests to the slow backend (fast ones got %s) with %s", fastCounts, algorithm)
          .isPositive()
          .isLessThan(smallerFast / 2);
      // The engine's view agrees with the backends': the client completed one lease per request.
      for (WireMockServer s : servers) {
        BackendStats b = pool.backend("127.0.0.1:" + s.port());
        assertThat(b.completed()).as(b.id()).isEqualTo(requests(s));
      }
      // And it learnt the latencies: the slow backend's estimate is the highest.
      BackendStats slowStats = pool.backend("127.0.0.1:" + slow.port());
      for (BackendStats b : pool.backends()) {
        if (!b.id().equals(slowStats.id())) {
          assertThat(slowStats.latencyEwmaNanos())
              .as("latency estimate of the slow backend vs %s", b.id())
              .isGreaterThan(b.latencyEwmaNanos());
        }
      }
    }
  }

  private static long requests(WireMockServer s) {
    return s.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }
}
