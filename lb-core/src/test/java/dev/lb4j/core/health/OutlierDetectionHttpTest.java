package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Outlier detection against real HTTP backends: three JDK servers on loopback, one of which answers
 * 503. Requests go through the load balancer with the JDK's HTTP client, and each server counts what
 * it received, so "gets no requests" is measured where it matters. Ejection time runs on a {@link
 * ManualClock}.
 */
class OutlierDetectionHttpTest {

  private static final Duration BASE = OutlierDetection.DEFAULT_BASE_EJECTION_TIME;
  private static final int THRESHOLD = OutlierDetection.DEFAULT_CONSECUTIVE_FAILURES;

  private final List<HttpServer> servers = new ArrayList<>();
  private final Map<String, AtomicInteger> served = new LinkedHashMap<>(); // backend id -> requests
  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ExecutorService clientExecutor = Executors.newFixedThreadPool(2);
  private final HttpClient http =
      HttpClient.newBuilder().executor(clientExecutor).connectTimeout(Duration.ofSeconds(10)).build();
  private String bad = "";

  @BeforeEach
  void startServers() throws IOException {
    for (int i = 0; i < 3; i++) {
      int status = i == 0 ? 503 : 200;
      AtomicInteger count = new AtomicInteger();
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext(
          "/",
          exchange -> {
            count.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
          });
      server.start();
      servers.add(server);
      String id = "127.0.0.1:" + server.getAddress().getPort();
      served.put(id, count);
      if (i == 0) {
        bad = id;
      }
    }
  }

  /** Runs before the fixture closes the load balancer; with the manual clock nothing is scheduled meanwhile. */
  @AfterEach
  void stopAll() throws InterruptedException {
    for (HttpServer server : servers) {
      server.stop(0);
    }
    clientExecutor.shutdownNow();
    assertThat(clientExecutor.awaitTermination(10, TimeUnit.SECONDS))
        .as("HTTP client executor stopped")
        .isTrue();
  }

  /** Sends one GET through the load balancer; records the status, or the error kind, on the lease. */
  private void send(LoadBalancer lb) throws InterruptedException {
    RequestView request = RequestView.of("GET", "/work");
    try (Lease lease = lb.select(request).leaseOrThrow()) {
      URI target = lease.backend().uri().resolve(request.path());
      HttpRequest get = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(10)).GET().build();
      try {
        HttpResponse<Void> response = http.send(get, HttpResponse.BodyHandlers.discarding());
        lease.complete(response.statusCode());
      } catch (HttpTimeoutException e) {
        lease.fail(ErrorKind.TIMEOUT);
      } catch (IOException e) {
        lease.fail(ErrorKind.CONNECT);
      }
    }
    clock.runDue(); // the scheduler applies what the outcome triggered (an ejection) at once
  }

  private void send(LoadBalancer lb, int times) throws InterruptedException {
    for (int i = 0; i < times; i++) {
      send(lb);
    }
  }

  private int servedBy(String id) {
    return java.util.Objects.requireNonNull(served.get(id), id).get();
  }

  private BackendStats stats(LoadBalancer lb, String id) {
    return lb.stats().pool(POOL).backend(id);
  }

  @Test
  void failingServerIsEjectedStopsGettingRequestsAndComesBackForLongerEachTime()
      throws InterruptedException {
    LoadBalancer lb =
        engine.pool(
            POOL,
            p -> {
              for (String id : served.keySet()) {
                p.backend("http://" + id);
              }
              p.algorithm(Algorithms.roundRobin()).outlierDetection(OutlierDetection.defaults());
            });

    // Round robin: the 503 server gets every third request; it is ejected on its 5th 503, so it has
    // served exactly 5 within the first 3 * 5 requests.
    for (int i = 0; i < 3 * THRESHOLD && stats(lb, bad).status() != BackendStatus.EJECTED; i++) {
      send(lb);
    }
    assertThat(stats(lb, bad).status()).isEqualTo(BackendStatus.EJECTED);
    assertThat(servedBy(bad)).isEqualTo(THRESHOLD);
    assertThat(stats(lb, bad).statusReason())
        .isEqualTo(
            THRESHOLD + " consecutive failures (last: status 503); ejected for " + BASE
                + " (back-off step 1)");

    int goodBefore = 0;
    for (Map.Entry<String, AtomicInteger> e : served.entrySet()) {
      if (!e.getKey().equals(bad)) {
        goodBefore += e.getValue().get();
      }
    }
    send(lb, 60);
    assertThat(servedBy(bad)).as("requests to the ejected server").isEqualTo(THRESHOLD);
    int goodAfter = 0;
    for (Map.Entry<String, AtomicInteger> e : served.entrySet()) {
      if (!e.getKey().equals(bad)) {
        goodAfter += e.getValue().get();
        assertThat(stats(lb, e.getKey()).status()).isEqualTo(BackendStatus.HEALTHY);
      }
    }
    assertThat(goodAfter - goodBefore).isEqualTo(60);

    // After the base ejection time it is back and gets its share again...
    clock.advance(BASE);
    assertThat(stats(lb, bad).status()).isEqualTo(BackendStatus.HEALTHY);
    // ... and, still failing, is ejected again after another 5, now for twice as long.
    for (int i = 0; i < 3 * THRESHOLD && stats(lb, bad).status() != BackendStatus.EJECTED; i++) {
      send(lb);
    }
    assertThat(servedBy(bad)).isEqualTo(2 * THRESHOLD);
    assertThat(stats(lb, bad).status()).isEqualTo(BackendStatus.EJECTED);
    assertThat(stats(lb, bad).ejections()).isEqualTo(2);
    assertThat(stats(lb, bad).statusReason())
        .endsWith("ejected for " + BASE.multipliedBy(2) + " (back-off step 2)");

    clock.advance(BASE);
    assertThat(stats(lb, bad).status()).as("one base time into a double ejection").isEqualTo(BackendStatus.EJECTED);
    send(lb, 30);
    assertThat(servedBy(bad)).isEqualTo(2 * THRESHOLD);
    clock.advance(BASE);
    assertThat(stats(lb, bad).status()).isEqualTo(BackendStatus.HEALTHY);
    send(lb, 3);
    assertThat(servedBy(bad)).as("round robin reaches it within 3 requests").isEqualTo(2 * THRESHOLD + 1);

    assertThat(lb.stats().pool(POOL).inFlight()).isZero();
    assertThat(stats(lb, bad).failures()).isEqualTo(2L * THRESHOLD + 1);
  }
}
