package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Load- and latency-aware algorithms learn from the outcomes {@link LoadBalancedHttpClient} feeds
 * to its leases: with one slow backend among fast ones, the slow one gets far less traffic. Neither
 * test depends on how fast the machine is.
 *
 * <p>Peak EWMA learns latencies, so its test decides them: the load balancer's ticker is a {@link
 * ManualClock} that each backend moves forward while it handles a request (1 ms for the fast ones,
 * 200 ms for the slow one), and requests go one at a time, so every lease's latency is exactly its
 * backend's: the estimates differ 200-fold, whatever the real time taken.
 *
 * <p>Least request learns from requests in flight, so its test has the slow backend hold every
 * request until the fast ones have answered all the others: with {@value #CALLERS} callers, a
 * backend holding {@code k} requests is the least loaded only while each fast one has at least
 * {@code k} in flight, which the callers left ({@code CALLERS - 1 - k} at a pick) allow only for
 * {@code k < CALLERS / 2}. So the slow backend gets at most {@code CALLERS / 2} of the {@value
 * #REQUESTS} requests, however the threads are scheduled.
 */
@Timeout(120)
class LatencyAwareTest {

  private static final int REQUESTS = 300;
  private static final int CALLERS = 10;
  private static final Duration FAST = Duration.ofMillis(1);
  private static final Duration SLOW = Duration.ofMillis(200);

  private final List<HttpServer> servers = new ArrayList<>();
  private final List<HeldBackend> held = new ArrayList<>();
  private final ExecutorService serverThreads = Executors.newCachedThreadPool();

  @AfterEach
  void stopServers() throws InterruptedException {
    servers.forEach(s -> s.stop(0));
    held.forEach(HeldBackend::close);
    serverThreads.shutdownNow();
    assertThat(serverThreads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** A backend on loopback that moves {@code clock} by {@code latency}, then answers 200. */
  private String backend(ManualClock clock, Duration latency) throws IOException {
    return backend(() -> clock.advance(latency));
  }

  /** A backend on loopback that runs {@code onRequest}, then answers 200 without a body. */
  private String backend(Runnable onRequest) throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    s.setExecutor(serverThreads);
    s.createContext("/", exchange -> {
      try (exchange) {
        exchange.getRequestBody().readAllBytes();
        onRequest.run();
        // No body: the headers go in one write (a second write would wait for the delayed ACK).
        exchange.sendResponseHeaders(200, -1);
      }
    });
    s.start();
    servers.add(s);
    return "http://127.0.0.1:" + s.getAddress().getPort();
  }

  private static HttpRequest work(int i) {
    return HttpRequest.newBuilder(URI.create("http://api/work/" + i))
        .timeout(Duration.ofSeconds(20))
        .build();
  }

  @Test
  void peakEwmaSendsLessToTheSlowBackendAndLearnsItsLatency() throws Exception {
    ManualClock clock = new ManualClock();
    String slow = backend(clock, SLOW);
    List<String> fast = List.of(backend(clock, FAST), backend(clock, FAST));
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .ticker(clock)
                .pool("api", p -> {
                  p.backend(slow);
                  fast.forEach(p::backend);
                  p.algorithm(Algorithms.peakEwma());
                })
                .build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).client(HttpClient.newHttpClient()).noRetries()
                .build()) {
      for (int i = 0; i < REQUESTS; i++) {
        assertThat(client.send(work(i), HttpResponse.BodyHandlers.ofString()).statusCode())
            .isEqualTo(200);
      }

      PoolStats pool = lb.stats().pool("api");
      assertThat(pool.inFlight()).isZero();
      BackendStats slowStats = pool.backend(slow.substring("http://".length()));
      long fastCompleted = pool.backends().stream().filter(b -> !b.id().equals(slowStats.id()))
          .mapToLong(BackendStats::completed).sum();
      assertThat(slowStats.completed() + fastCompleted).isEqualTo(REQUESTS);
      assertThat(slowStats.completed())
          .as("requests to the slow backend (the fast ones got %s)", fastCompleted)
          .isPositive() // tried while it had no estimate
          .isLessThan(REQUESTS / 10);
      for (BackendStats b : pool.backends()) {
        if (!b.id().equals(slowStats.id())) {
          assertThat(slowStats.latencyEwmaNanos())
              .as("latency estimate of the slow backend vs %s", b.id())
              .isGreaterThanOrEqualTo(10 * b.latencyEwmaNanos());
        }
      }
    }
  }

  @Test
  void leastRequestSendsAtMostHalfTheCallersToABackendThatHoldsItsRequests() throws Exception {
    HeldBackend slow = new HeldBackend(200, "slow");
    held.add(slow);
    List<String> fast = List.of(backend(() -> {}), backend(() -> {}));
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", p -> {
                  p.backend(slow.uri());
                  fast.forEach(p::backend);
                  p.algorithm(Algorithms.leastRequest());
                })
                .build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).client(HttpClient.newHttpClient()).noRetries()
                .build()) {
      ExecutorService callers = Executors.newFixedThreadPool(CALLERS);
      try {
        // CALLERS threads take request numbers from one counter until REQUESTS are taken, so at
        // most CALLERS requests are in flight at any time.
        AtomicInteger next = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < CALLERS; t++) {
          done.add(callers.submit(() -> {
            int mine = 0;
            for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
              assertThat(client.send(work(i), HttpResponse.BodyHandlers.ofString()).statusCode())
                  .isEqualTo(200);
              answered.incrementAndGet();
              mine++;
            }
            return mine;
          }));
        }
        // Every request but those the slow backend holds is answered; then it lets them go.
        WireMockPoolFixture.awaitTrue(
            () -> answered.get() + slow.received() == REQUESTS,
            "every request answered or held by the slow backend", 60);
        slow.release();
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
      BackendStats slowStats = pool.backend(slow.id());
      assertThat(slowStats.completed()).as("the engine saw each request the backend held")
          .isEqualTo(slow.received());
      assertThat(slow.received()).as("requests held by the slow backend")
          .isLessThanOrEqualTo(CALLERS / 2);
      assertThat(pool.backends().stream().mapToLong(BackendStats::completed).sum())
          .as("one lease completed per request").isEqualTo(REQUESTS);
    }
  }
}
