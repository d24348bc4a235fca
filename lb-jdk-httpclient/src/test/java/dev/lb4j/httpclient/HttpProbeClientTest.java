package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link HttpProbe} as the active health check of a pool that {@link LoadBalancedHttpClient}
 * balances over, against real WireMock backends on loopback: a backend whose health path fails
 * stops getting traffic, and gets it again once the path passes.
 */
class HttpProbeClientTest {

  private static final int ROUNDS = 30;

  private final List<WireMockServer> servers = new ArrayList<>();

  @BeforeEach
  void start() {
    for (int i = 0; i < 3; i++) {
      WireMockServer s = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
      servers.add(s);
      s.start();
      s.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(200)));
      s.stubFor(get(urlPathMatching("/work/.*")).willReturn(aResponse().withStatus(200).withBody("b" + i)));
    }
  }

  @AfterEach
  void stop() {
    servers.forEach(WireMockServer::stop);
  }

  private static int work(WireMockServer s) {
    return s.countRequestsMatching(getRequestedFor(urlPathMatching("/work/.*")).build()).getCount();
  }

  /** The health path answers {@code status} from now on (WireMock prefers the newest stub). */
  private static void health(WireMockServer s, int status) {
    s.stubFor(get(urlPathEqualTo("/healthz")).willReturn(aResponse().withStatus(status)));
  }

  /** Sends {@code n} requests one after another; each must succeed. */
  private static void send(LoadBalancedHttpClient client, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/work/" + i)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aBackendFailingItsHealthPathGetsNoTrafficUntilItPassesAgain() throws Exception {
    BlockingQueue<HealthEvent.StatusChanged> changes = new LinkedBlockingQueue<>();
    WireMockServer sick = servers.get(0);
    // The probes share one JDK client, warmed up on every backend first: the first request of a
    // cold client (class loading, connection set-up) on a busy machine can outlast the short probe
    // timeout and mark a healthy backend unhealthy.
    HttpClient probeClient = HttpClient.newHttpClient();
    for (WireMockServer s : servers) {
      HttpResponse<Void> r =
          probeClient.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + "/healthz")).build(),
              HttpResponse.BodyHandlers.discarding());
      assertThat(r.statusCode()).isEqualTo(200);
    }
    String sickId = "127.0.0.1:" + sick.port();
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .healthListener(
                    e -> {
                      if (e instanceof HealthEvent.StatusChanged c) {
                        changes.add(c);
                      }
                    })
                .pool(
                    "api",
                    p -> {
                      for (WireMockServer s : servers) {
                        p.backend("http://127.0.0.1:" + s.port());
                      }
                      p.algorithm(Algorithms.roundRobin())
                          // Never balance over unhealthy backends, whatever the share of them.
                          .panicThreshold(0)
                          .healthCheck(
                              HealthCheck.builder(HttpProbe.builder("/healthz").client(probeClient).build())
                                  // Real time. A healthy backend turns unhealthy only if three
                                  // probes in a row each take over a second (a busy 2-core
                                  // machine once stalled two 300 ms probes in a row). The
                                  // timeout is as long as the interval allows.
                                  .interval(Duration.ofSeconds(1))
                                  .timeout(Duration.ofSeconds(1))
                                  .unhealthyThreshold(3)
                                  .healthyThreshold(2)
                                  .build());
                    })
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      // Everyone healthy: round robin reaches every backend.
      send(client, ROUNDS);
      for (WireMockServer s : servers) {
        assertThat(work(s)).as("requests to %s while healthy", s.port()).isEqualTo(ROUNDS / 3);
      }

      health(sick, 500);
      HealthEvent.StatusChanged down = next(changes, sickId);
      assertThat(down.to()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(down.reason()).contains("answered 500");
      assertThat(lb.stats().pool("api").backend(sickId).status()).isEqualTo(BackendStatus.UNHEALTHY);

      servers.forEach(WireMockServer::resetRequests);
      send(client, ROUNDS);
      assertThat(work(sick)).as("requests to the unhealthy backend").isZero();
      assertThat(work(servers.get(1)) + work(servers.get(2))).isEqualTo(ROUNDS);
      assertThat(work(servers.get(1))).isPositive();
      assertThat(work(servers.get(2))).isPositive();

      health(sick, 200);
      HealthEvent.StatusChanged up = next(changes, sickId);
      assertThat(up.to()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(lb.stats().pool("api").backend(sickId).status()).isEqualTo(BackendStatus.HEALTHY);

      servers.forEach(WireMockServer::resetRequests);
      send(client, ROUNDS);
      for (WireMockServer s : servers) {
        assertThat(work(s)).as("requests to %s after the recovery", s.port()).isEqualTo(ROUNDS / 3);
      }
      // The other backends never changed state.
      assertThat(changes).allSatisfy(c -> assertThat(c.backendId()).isEqualTo(sickId));
    }
  }

  /** The next state change of backend {@code id}, waiting (at most 30 s) for the probes' verdict. */
  private static HealthEvent.StatusChanged next(
      BlockingQueue<HealthEvent.StatusChanged> q, String id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      HealthEvent.StatusChanged c = q.poll(1, TimeUnit.SECONDS);
      if (c != null) {
        assertThat(c.backendId()).as("a state change of a backend that stayed healthy: %s", c)
            .isEqualTo(id);
        return c;
      }
    }
    throw new AssertionError("no state change of " + id + " within 30 s");
  }
}
