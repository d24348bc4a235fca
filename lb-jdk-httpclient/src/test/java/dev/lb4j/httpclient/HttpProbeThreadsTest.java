package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The default {@link HttpProbe} owns no thread or client beyond its load balancer's life: building
 * and closing load balancers that probe a real loopback server leaves no lb4j thread and no new JDK
 * client thread behind once {@code close()} returns, and probing many backends at once stays on the
 * shared client's bounded threads.
 */
class HttpProbeThreadsTest {

  private static final int CYCLES = 1_000;

  private HttpServer server;
  private String uri;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // Four handler threads: hundreds of probes at once queue up behind them, a slow server.
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/healthz",
        exchange -> {
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    uri = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
    ((ExecutorService) server.getExecutor()).shutdownNow();
  }

  /** Names of the live threads lb4j or a JDK HTTP client started, sorted. */
  private static List<String> probeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("lb4j-") || n.startsWith("HttpClient-"))
        .sorted()
        .collect(Collectors.toList());
  }

  /** Builds a load balancer, waits (bounded) until its first HTTP probe passed, closes it. */
  private void probeOnceAndClose(HttpProbe probe) throws InterruptedException {
    CountDownLatch healthy = new CountDownLatch(1);
    LoadBalancer lb =
        LoadBalancer.builder()
            .healthListener(
                e -> {
                  if (e instanceof HealthEvent.StatusChanged c && c.to() == BackendStatus.HEALTHY) {
                    healthy.countDown();
                  }
                })
            .pool(
                "api",
                p ->
                    p.backend(uri)
                        .healthCheck(
                            HealthCheck.builder(probe)
                                // No jitter: the first probe starts at once.
                                .jitter(0)
                                .interval(Duration.ofSeconds(5))
                                .timeout(Duration.ofSeconds(5))
                                .initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
                                .build()))
            .build();
    try {
      assertThat(healthy.await(10, TimeUnit.SECONDS)).as("the first probe passed").isTrue();
    } finally {
      lb.close();
    }
  }

  @Test
  void closingLoadBalancersLeavesNoProbeThreadBehind() throws InterruptedException {
    // The first default probe in the JVM creates the shared client; its selector thread is the one
    // JDK thread that stays (see HttpProbe). Everything after must leave nothing behind.
    probeOnceAndClose(HttpProbe.of("/healthz"));
    List<String> before = probeThreads();

    for (int i = 0; i < CYCLES; i++) {
      probeOnceAndClose(HttpProbe.of("/healthz"));
    }

    // Names are unique (numbered), so a thread started during the cycles and still alive shows as
    // a name that was not there before. Threads of other tests may end meanwhile: a subset, then.
    assertThat(probeThreads())
        .as("lb4j and JDK client threads after %d load balancers with an HttpProbe were closed"
            + " (before: %s)", CYCLES, before)
        .isSubsetOf(before);
  }

  @Test
  void probingManyBackendsOnOneSlowServerUsesAtMostTwoProbeThreads() throws InterruptedException {
    probeOnceAndClose(HttpProbe.of("/healthz")); // the shared client exists from here on
    List<String> before = probeThreads();
    int backends = 500;
    CountDownLatch healthy = new CountDownLatch(backends);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    AtomicInteger events = new AtomicInteger();
    LoadBalancer lb =
        LoadBalancer.builder()
            .healthListener(
                e -> {
                  if (e instanceof HealthEvent.StatusChanged c && c.to() == BackendStatus.HEALTHY) {
                    if (events.incrementAndGet() % 100 == 0) {
                      seen.addAll(probeThreads()); // sampled while probes are in flight
                    }
                    healthy.countDown();
                  }
                })
            .pool(
                "api",
                p -> {
                  for (int i = 0; i < backends; i++) {
                    p.backend(BackendSpec.builder(uri).id("b" + i).build());
                  }
                  p.healthCheck(
                      HealthCheck.builder(HttpProbe.of("/healthz"))
                          .jitter(0) // every probe starts at once: 500 exchanges in flight
                          .interval(Duration.ofSeconds(30))
                          .timeout(Duration.ofSeconds(30))
                          .initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
                          .build());
                })
            .build();
    try {
      assertThat(healthy.await(60, TimeUnit.SECONDS)).as("every backend's first probe passed")
          .isTrue();
      seen.addAll(probeThreads());
    } finally {
      lb.close();
    }

    assertThat(seen.stream().filter(n -> n.startsWith("HttpClient-")))
        .as("JDK client threads seen: only those alive before (the shared client's selector)")
        .allMatch(before::contains);
    assertThat(seen.stream().filter(n -> n.startsWith("lb4j-http-probe-")))
        .as("HTTP probe threads seen while %d backends were probed", backends)
        .hasSizeBetween(1, 2);
    assertThat(probeThreads()).as("threads after close").isSubsetOf(before);
  }
}
