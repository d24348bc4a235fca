package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;

/**
 * Real WireMock backends on loopback, one pool {@value #POOL} over them, a {@link
 * LoadBalancedHttpClient} over the load balancer, and the check every retry test ends with: no
 * lease is left open (pool and backends report 0 in flight). Everything started is stopped after
 * each test.
 */
abstract class WireMockPoolFixture {

  static final String POOL = "api";

  private final List<WireMockServer> servers = new ArrayList<>();
  private final List<HeldBackend> heldBackends = new ArrayList<>();
  private @Nullable LoadBalancer lb;
  private @Nullable LoadBalancedHttpClient client;

  /** Starts a WireMock server on loopback, on a free port; stopped after the test. */
  final WireMockServer server() {
    WireMockServer s = loopbackServer();
    servers.add(s);
    return s;
  }

  /** Starts a WireMock server on loopback, on a free port; the caller stops it. */
  static WireMockServer loopbackServer() {
    WireMockServer s = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    s.start();
    return s;
  }

  /** Starts {@code count} loopback servers into {@code servers}, for a whole test class. */
  static void startLoopbackServers(List<WireMockServer> servers, int count) {
    for (int i = 0; i < count; i++) {
      servers.add(loopbackServer());
    }
  }

  /** Stops and forgets the servers {@link #startLoopbackServers} started. */
  static void stopAll(List<WireMockServer> servers) {
    servers.forEach(WireMockServer::stop);
    servers.clear();
  }

  /**
   * Starts a WireMock server on loopback, on a free port, whose response delays are timers rather
   * than sleeping threads, so stopping it does not wait for a delayed answer; stopped after the test.
   */
  final WireMockServer asyncServer() {
    WireMockServer s =
        new WireMockServer(
            options().dynamicPort().bindAddress("127.0.0.1").asynchronousResponseEnabled(true));
    servers.add(s);
    s.start();
    return s;
  }

  /**
   * Starts a backend that holds each request until the test releases it, then answers {@code
   * status} with {@code body}; closed after the test.
   */
  final HeldBackend held(int status, String body) throws java.io.IOException {
    HeldBackend b = new HeldBackend(status, body);
    heldBackends.add(b);
    return b;
  }

  /**
   * Builds the load balancer and a client whose every timing decision is on {@code clock}: the
   * load balancer's ticker (latencies) and the client's ticker and scheduler (the request's
   * deadline, each attempt's timeout, back-offs, hedge delays). Nothing times out, and no back-off
   * ends, until the test moves the clock.
   */
  final LoadBalancedHttpClient balanceOn(
      ManualClock clock, RetryPolicy policy, Consumer<PoolBuilder> pool, List<String> backendUris) {
    return balance(policy, clock, pool, backendUris, http11(), b -> b.ticker(clock).scheduler(clock));
  }

  /**
   * A loopback port nothing listens on: a WireMock server's port after the server stopped, so a
   * connection to it is refused.
   */
  final int closedPort() {
    WireMockServer s = loopbackServer();
    int port = s.port();
    s.stop();
    return port;
  }

  static String uri(int port) {
    return "http://127.0.0.1:" + port;
  }

  static String uri(WireMockServer s) {
    return uri(s.port());
  }

  /** The backend id the engine gives {@code http://127.0.0.1:port}. */
  static String id(int port) {
    return "127.0.0.1:" + port;
  }

  static String id(WireMockServer s) {
    return id(s.port());
  }

  /** A retry policy with no back-off, so tests do not wait between attempts. */
  static RetryPolicy.Builder fastRetries() {
    return RetryPolicy.builder().backoff(Duration.ZERO, Duration.ZERO);
  }

  /**
   * Builds the load balancer (one pool over {@code backendUris}, in this order) and the client.
   *
   * @param policy the client's retry policy
   * @param ticker the load balancer's time source
   * @param pool more pool settings (algorithm, outlier detection)
   * @param backendUris the backends
   * @return the client; closed after the test
   */
  final LoadBalancedHttpClient balance(
      RetryPolicy policy, Ticker ticker, Consumer<PoolBuilder> pool, List<String> backendUris) {
    return balance(policy, ticker, pool, backendUris, http11());
  }

  /**
   * The JDK client the fixture sends through: HTTP/1.1, as WireMock accepts the JDK client's h2c
   * upgrade, then drops request bodies of unknown length (ofInputStream, fromPublisher) with an EOF;
   * not what these tests are about.
   */
  static HttpClient http11() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
  }

  /**
   * Builds the load balancer (one pool over {@code backendUris}, in this order) and a client that
   * sends through {@code wrapped}.
   *
   * @param policy the client's retry policy
   * @param ticker the load balancer's time source
   * @param pool more pool settings (algorithm, outlier detection)
   * @param backendUris the backends
   * @param wrapped the client the load-balanced client sends through
   * @return the client; closed after the test
   */
  final LoadBalancedHttpClient balance(
      RetryPolicy policy,
      Ticker ticker,
      Consumer<PoolBuilder> pool,
      List<String> backendUris,
      HttpClient wrapped) {
    return balance(policy, ticker, pool, backendUris, wrapped, b -> {});
  }

  /** As above, with further settings of the client's builder. */
  final LoadBalancedHttpClient balance(
      RetryPolicy policy,
      Ticker ticker,
      Consumer<PoolBuilder> pool,
      List<String> backendUris,
      HttpClient wrapped,
      Consumer<LoadBalancedHttpClient.Builder> settings) {
    LoadBalancer built =
        LoadBalancer.builder()
            .ticker(ticker)
            .pool(
                POOL,
                p -> {
                  backendUris.forEach(p::backend);
                  pool.accept(p);
                })
            .build();
    lb = built;
    LoadBalancedHttpClient.Builder builder =
        LoadBalancedHttpClient.builder(built)
            .client(wrapped)
            .retryPolicy(policy);
    settings.accept(builder);
    LoadBalancedHttpClient c = builder.build();
    client = c;
    return c;
  }

  final LoadBalancedHttpClient balance(
      RetryPolicy policy, Consumer<PoolBuilder> pool, List<String> backendUris) {
    return balance(policy, Ticker.system(), pool, backendUris);
  }

  final LoadBalancer lb() {
    LoadBalancer l = lb;
    if (l == null) {
      throw new IllegalStateException("balance(...) first");
    }
    return l;
  }

  final PoolStats poolStats() {
    return lb().stats().pool(POOL);
  }

  /**
   * The backend's stats once it reached {@code status}, waiting up to 10 s: an ejection is applied
   * on the load balancer's scheduler thread, a moment after the failure that triggered it.
   */
  final BackendStats awaitStatus(String backendId, dev.lb4j.core.BackendStatus status) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    BackendStats s = stats(backendId);
    while (s.status() != status && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      s = stats(backendId);
    }
    return s;
  }

  /**
   * Waits until {@code condition} holds, polling every millisecond for at most 10 s: for a state
   * another thread reaches (a call blocked in its back-off), never for time to pass.
   */
  static void awaitTrue(java.util.function.BooleanSupplier condition, String what) {
    awaitTrue(condition, what, 10);
  }

  /** As above, waiting at most {@code seconds}. */
  static void awaitTrue(java.util.function.BooleanSupplier condition, String what, int seconds) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("not within " + seconds + " s: " + what);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
  }

  final BackendStats stats(String backendId) {
    return poolStats().backend(backendId);
  }

  /** A request to the logical service {@value #POOL}, tagged so backends' journals tell calls apart. */
  static HttpRequest.Builder request(String path, int call) {
    return HttpRequest.newBuilder(URI.create("http://" + POOL + path + "?call=" + call))
        .timeout(Duration.ofSeconds(20));
  }

  /** Every request the server received, oldest first. */
  static List<LoggedRequest> received(WireMockServer s) {
    return s.findAll(anyRequestedFor(anyUrl()));
  }

  /** The requests of one call (see {@link #request}) the server received. */
  static List<LoggedRequest> received(WireMockServer s, int call) {
    List<LoggedRequest> out = new ArrayList<>();
    for (LoggedRequest r : received(s)) {
      if (r.getUrl().endsWith("?call=" + call)) {
        out.add(r);
      }
    }
    return out;
  }

  @AfterEach
  final void nothingInFlightThenStopEverything() {
    try {
      LoadBalancer l = lb;
      if (l != null) {
        PoolStats pool = l.stats().pool(POOL);
        assertThat(pool.inFlight()).as("leases still open in pool %s after the test", POOL)
            .isZero();
        for (BackendStats b : pool.backends()) {
          assertThat(b.inFlight()).as("leases still open on %s after the test", b.id()).isZero();
        }
      }
    } finally {
      LoadBalancedHttpClient c = client;
      if (c != null) {
        c.close();
      }
      LoadBalancer l = lb;
      if (l != null) {
        l.close();
      }
      servers.forEach(WireMockServer::stop);
      heldBackends.forEach(HeldBackend::close);
    }
  }

  /**
   * Picks the first backend not yet tried, in configuration order: the first attempt of every call
   * goes to the first available backend, its retry to the next. Makes "which backend got the first
   * attempt" deterministic.
   */
  static final class InOrder implements Algorithm {
    @Override
    public String name() {
      return "in_order_test";
    }

    @Override
    public Picker newPicker(BackendSet backends) {
      List<Backend> all = List.copyOf(backends.backends());
      return context -> {
        for (Backend b : all) {
          if (!context.isExcluded(b)) {
            return b;
          }
        }
        return null;
      };
    }
  }
}
