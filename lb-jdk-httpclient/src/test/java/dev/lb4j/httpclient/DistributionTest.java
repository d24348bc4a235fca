package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder.allRequests;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How {@link LoadBalancedHttpClient} spreads real requests over real backends: each algorithm's
 * share, checked on both sides (what each WireMock server received, and the load balancer's own
 * per-backend counters).
 */
class DistributionTest {

  private static final int BACKENDS = 3;
  private static final List<WireMockServer> SERVERS = new ArrayList<>();

  @BeforeAll
  static void startServers() {
    WireMockPoolFixture.startLoopbackServers(SERVERS, BACKENDS);
  }

  @AfterAll
  static void stopServers() {
    WireMockPoolFixture.stopAll(SERVERS);
  }

  @BeforeEach
  void resetServers() {
    for (int i = 0; i < BACKENDS; i++) {
      WireMockServer s = SERVERS.get(i);
      s.resetAll();
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("b" + i)));
    }
  }

  private static String id(int server) {
    return "127.0.0.1:" + SERVERS.get(server).port();
  }

  private static int received(int server) {
    return SERVERS.get(server).findAll(allRequests()).size();
  }

  /** A load balancer with one pool "api" over the three servers, with these weights. */
  private static LoadBalancer lb(Algorithm algorithm, int... weights) {
    return LoadBalancer.builder()
        .pool("api", p -> {
          for (int i = 0; i < BACKENDS; i++) {
            p.backend("http://127.0.0.1:" + SERVERS.get(i).port(), weights[i]);
          }
          p.algorithm(algorithm);
        })
        .build();
  }

  /** Sends {@code n} GETs one after the other; returns the index of the server that answered each. */
  private static List<Integer> sendSequentially(LoadBalancedHttpClient client, int n)
      throws Exception {
    List<Integer> answeredBy = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/items/" + i)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      int server = Integer.parseInt(r.body().substring(1));
      // The response says where it went, and it is where the body came from.
      assertThat(r.uri().getPort()).isEqualTo(SERVERS.get(server).port());
      answeredBy.add(server);
    }
    return answeredBy;
  }

  /**
   * Sends {@code n} GETs with {@code sendAsync}, {@code batch} at a time; returns the index of the
   * server that answered each, in the order sent.
   */
  private static List<Integer> sendConcurrently(LoadBalancedHttpClient client, int n, int batch)
      throws Exception {
    List<Integer> answeredBy = new ArrayList<>(n);
    for (int sent = 0; sent < n; sent += batch) {
      List<CompletableFuture<HttpResponse<String>>> futures = new ArrayList<>(batch);
      for (int i = sent; i < Math.min(n, sent + batch); i++) {
        futures.add(
            client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://api/items/" + i)).build(),
                HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : futures) {
        HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        int server = Integer.parseInt(r.body().substring(1));
        assertThat(r.uri().getPort()).isEqualTo(SERVERS.get(server).port());
        answeredBy.add(server);
      }
    }
    return answeredBy;
  }

  /** Checks the pool's counters for one backend: picked and completed {@code n} times, no failure. */
  private static void assertBackendCounted(PoolStats pool, int server, long n) {
    assertThat(pool.backend(id(server)).picks()).as("picks of backend %s", id(server)).isEqualTo(n);
    assertThat(pool.backend(id(server)).completed())
        .as("completed leases of backend %s", id(server))
        .isEqualTo(n);
    assertThat(pool.backend(id(server)).failures()).isZero();
    assertThat(pool.backend(id(server)).inFlight()).isZero();
  }

  @Test
  void roundRobinGivesEachBackendExactlyItsTurn() throws Exception {
    try (LoadBalancer lb = lb(Algorithms.roundRobin(), 1, 1, 1);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<Integer> answeredBy = sendSequentially(client, 30);

      for (int i = 0; i < BACKENDS; i++) {
        assertThat(received(i)).as("requests server %d received", i).isEqualTo(10);
      }
      // Each backend in turn: any three consecutive requests went to three different backends.
      for (int start = 0; start + BACKENDS <= answeredBy.size(); start++) {
        Set<Integer> window = new HashSet<>(answeredBy.subList(start, start + BACKENDS));
        assertThat(window).as("backends of requests %d..%d in %s", start, start + 2, answeredBy)
            .hasSize(BACKENDS);
      }
      PoolStats pool = lb.stats().pool("api");
      for (int i = 0; i < BACKENDS; i++) {
        assertBackendCounted(pool, i, 10);
      }
      assertThat(pool.inFlight()).isZero();
      assertThat(pool.retries()).isZero();
    }
  }

  @Test
  void weightedRoundRobinGivesExactProportionsInEveryCycle() throws Exception {
    try (LoadBalancer lb = lb(Algorithms.weightedRoundRobin(), 1, 2, 3);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<Integer> answeredBy = sendSequentially(client, 60);

      assertThat(received(0)).isEqualTo(10);
      assertThat(received(1)).isEqualTo(20);
      assertThat(received(2)).isEqualTo(30);
      // Smooth weighted round robin repeats a cycle of 6 (the sum of the weights): whatever the
      // starting point, every 6 consecutive requests hold each backend exactly its weight's times.
      for (int start = 0; start + 6 <= answeredBy.size(); start++) {
        List<Integer> window = answeredBy.subList(start, start + 6);
        for (int i = 0; i < BACKENDS; i++) {
          int server = i;
          assertThat(window.stream().filter(s -> s == server).count())
              .as("requests to server %d among requests %d..%d of %s", i, start, start + 5,
                  answeredBy)
              .isEqualTo(i + 1);
        }
      }
      PoolStats pool = lb.stats().pool("api");
      assertBackendCounted(pool, 0, 10);
      assertBackendCounted(pool, 1, 20);
      assertBackendCounted(pool, 2, 30);
    }
  }

  @Test
  void leastRequestSendsEverythingToTheOnlyIdleBackend() throws Exception {
    try (LoadBalancer lb = lb(Algorithms.leastRequest(), 1, 1, 1);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<Backend> backends = lb.pool("api").backends();
      RequestView hold = RequestView.of("GET", "/hold");
      // Keep one request in flight on backends 0 and 1 (steered there by excluding the others).
      Selection s0 = lb.pool("api").select(hold, List.of(backends.get(1), backends.get(2)));
      Selection s1 = lb.pool("api").select(hold, List.of(backends.get(0), backends.get(2)));
      try (Lease held0 = s0.leaseOrThrow();
          Lease held1 = s1.leaseOrThrow()) {
        assertThat(held0.backend().id()).isEqualTo(id(0));
        assertThat(held1.backend().id()).isEqualTo(id(1));

        // Backend 2 has nothing in flight, so least request picks it; the client completes each
        // lease before returning, so it is idle again for the next request. Had the client leaked
        // a lease, backend 2 would tie with the others and some requests would go elsewhere.
        List<Integer> answeredBy = sendSequentially(client, 9);

        assertThat(answeredBy).containsOnly(2);
        assertThat(received(0)).isZero();
        assertThat(received(1)).isZero();
        assertThat(received(2)).isEqualTo(9);
        PoolStats pool = lb.stats().pool("api");
        assertBackendCounted(pool, 2, 9);
        assertThat(pool.backend(id(0)).inFlight()).isEqualTo(1);
        assertThat(pool.backend(id(1)).inFlight()).isEqualTo(1);
        assertThat(pool.inFlight()).isEqualTo(2);
      }
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void randomSpreadsUniformlyWithinSixSigma() throws Exception {
    int n = 300;
    try (LoadBalancer lb = lb(Algorithms.random(), 1, 1, 1);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<Integer> answeredBy = sendConcurrently(client, n, 20);

      // Each backend's count is Binomial(n = 300, p = 1/3): mean 100, sigma = sqrt(n p (1 - p))
      // = sqrt(66.7) = 8.2. Six sigma is 49, so each count lies in [51, 149]; a correct algorithm
      // falls outside with probability about 2e-9 per backend.
      long sixSigma = Math.round(6 * Math.sqrt(n * (1.0 / 3) * (2.0 / 3)));
      PoolStats pool = lb.stats().pool("api");
      for (int i = 0; i < BACKENDS; i++) {
        int server = i;
        long count = answeredBy.stream().filter(s -> s == server).count();
        assertThat(count).as("requests to server %d", i).isBetween(100 - sixSigma, 100 + sixSigma);
        assertThat(received(i)).isEqualTo((int) count);
        assertBackendCounted(pool, i, count);
      }
    }
  }

  @Test
  void weightedRandomFollowsTheWeightsWithinSixSigma() throws Exception {
    int n = 300;
    try (LoadBalancer lb = lb(Algorithms.weightedRandom(), 1, 2, 3);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<Integer> answeredBy = sendConcurrently(client, n, 20);

      // Backend i gets Binomial(n = 300, p_i = w_i / 6) requests: means 50, 100, 150; sigmas
      // sqrt(n p (1 - p)) = 6.5, 8.2, 8.7. Each count must lie within six sigmas of its mean (a
      // correct algorithm misses with probability about 2e-9 per backend); ignoring the weights
      // (100 each) would put backend 0 at 100, far above 50 + 39.
      int[] weights = {1, 2, 3};
      for (int i = 0; i < BACKENDS; i++) {
        int server = i;
        double p = weights[i] / 6.0;
        double mean = n * p;
        double sixSigma = 6 * Math.sqrt(n * p * (1 - p));
        long count = answeredBy.stream().filter(s -> s == server).count();
        assertThat((double) count)
            .as("requests to server %d (weight %d)", i, weights[i])
            .isBetween(mean - sixSigma, mean + sixSigma);
        assertThat(received(i)).isEqualTo((int) count);
      }
    }
  }
}
