package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many calls at once through {@link LoadBalancedHttpClient}, against real WireMock backends on
 * loopback, some of which fail so that retries run concurrently with first attempts: every call
 * completes, and no lease is left open afterwards.
 */
class ConcurrencyTest {

  private static final int CALLS = 200;
  private static final int SUBMITTERS = 8;

  /** Five backends for every test (starting WireMock is the slow part); stubs are per test. */
  private static final List<WireMockServer> servers = new ArrayList<>();

  private final List<ExecutorService> pools = new ArrayList<>();

  @BeforeAll
  static void startServers() {
    WireMockPoolFixture.startLoopbackServers(servers, 5);
  }

  @AfterAll
  static void stopServers() {
    WireMockPoolFixture.stopAll(servers);
  }

  @BeforeEach
  void resetServers() {
    servers.forEach(WireMockServer::resetAll);
  }

  @AfterEach
  void stopThreads() {
    pools.forEach(ExecutorService::shutdownNow);
  }

  /** Backend {@code i} answers every request with {@code response}. */
  private static WireMockServer stub(int i, ResponseDefinitionBuilder response) {
    WireMockServer s = servers.get(i);
    s.stubFor(any(anyUrl()).willReturn(response));
    return s;
  }

  private static String id(WireMockServer s) {
    return "127.0.0.1:" + s.port();
  }

  private static int served(WireMockServer s) {
    return s.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
  }

  private static LoadBalancer balancer(List<WireMockServer> backends) {
    return LoadBalancer.builder()
        .pool(
            "api",
            p -> {
              for (WireMockServer s : backends) {
                p.backend("http://" + id(s));
              }
              p.algorithm(Algorithms.roundRobin());
            })
        .build();
  }

  /**
   * Three attempts, no back-off, and a budget that never refuses: with two failing backends out of
   * five and every retry going to a backend not tried yet, the third attempt at the latest reaches
   * a good backend, so every call must succeed.
   */
  private static RetryPolicy threeAttempts() {
    return RetryPolicy.builder()
        .maxAttempts(3)
        .backoff(Duration.ZERO, Duration.ZERO)
        .budget(RetryBudget.of(1000, 1_000_000, Duration.ofSeconds(10), Ticker.system()))
        .build();
  }

  /** Calls {@code sendAsync} {@code CALLS} times from several threads released together. */
  private List<CompletableFuture<HttpResponse<String>>> sendAll(
      LoadBalancedHttpClient client, String pathPrefix) throws Exception {
    ExecutorService submitters = Executors.newFixedThreadPool(SUBMITTERS);
    pools.add(submitters);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<List<CompletableFuture<HttpResponse<String>>>>> batches = new ArrayList<>();
    for (int t = 0; t < SUBMITTERS; t++) {
      int thread = t;
      batches.add(
          submitters.submit(
              () -> {
                go.await();
                List<CompletableFuture<HttpResponse<String>>> mine = new ArrayList<>();
                for (int i = thread; i < CALLS; i += SUBMITTERS) {
                  mine.add(
                      client.sendAsync(
                          // The call's deadline: an exchange the JDK client never ends (seen
                          // rarely under reset faults) becomes a timed-out attempt, retried,
                          // instead of a call that never completes.
                          HttpRequest.newBuilder(URI.create("http://api" + pathPrefix + i))
                              .timeout(Duration.ofSeconds(12))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()));
                }
                return mine;
              }));
    }
    go.countDown();
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    for (Future<List<CompletableFuture<HttpResponse<String>>>> b : batches) {
      all.addAll(b.get(30, TimeUnit.SECONDS));
    }
    assertThat(all).hasSize(CALLS);
    return all;
  }

  private static void awaitAll(List<? extends CompletableFuture<?>> futures, LoadBalancer lb)
      throws Exception {
    CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0]));
    try {
      all.get(30, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      long pending = futures.stream().filter(f -> !f.isDone()).count();
      throw new AssertionError(
          pending + " of " + futures.size() + " calls still running after 30 s; "
              + "in flight now (open leases: exchanges the transport never ended; none: "
              + "completions lost in the client): " + lb.stats().pool("api"), e);
    } catch (ExecutionException | CancellationException expected) {
      // some calls may fail or be cancelled on purpose; every one is done now
    }
  }

  private static void assertNothingInFlight(PoolStats pool) {
    assertThat(pool.inFlight()).as("pool in flight").isZero();
    for (BackendStats b : pool.backends()) {
      assertThat(b.inFlight()).as("in flight to %s", b.id()).isZero();
    }
  }

  @Test
  void everyConcurrentCallCompletesAndReleasesItsLeasesBeforeTheCallerSeesTheResult()
      throws Exception {
    List<WireMockServer> good = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      good.add(stub(i, aResponse().withStatus(200).withBody("ok")));
    }
    WireMockServer unavailable = stub(3, aResponse().withStatus(503).withBody("busy"));
    WireMockServer resetting = stub(4, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

    try (LoadBalancer lb = balancer(servers);
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).retryPolicy(threeAttempts()).build()) {
      List<CompletableFuture<HttpResponse<String>>> calls = sendAll(client, "/c/");
      awaitAll(calls, lb);

      // No waiting: the client releases each lease before it completes the caller's future.
      PoolStats pool = lb.stats().pool("api");
      assertNothingInFlight(pool);

      for (CompletableFuture<HttpResponse<String>> call : calls) {
        HttpResponse<String> r = call.join();
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
      }
      // Each call ended on exactly one good backend; the failing ones were retried away.
      assertThat(good.stream().mapToInt(ConcurrencyTest::served).sum()).isEqualTo(CALLS);
      assertThat(pool.retries()).as("retries").isPositive();
      assertThat(pool.backend(id(unavailable)).failures()).isPositive();
      assertThat(pool.backend(id(resetting)).failures()).isPositive();
      // One selection per attempt: the first of each call plus the retries; every one of them
      // ended with an outcome (success or failure), none was dropped as cancelled.
      long picks = pool.backends().stream().mapToLong(BackendStats::picks).sum();
      long cancelled = pool.backends().stream().mapToLong(BackendStats::cancelled).sum();
      assertThat(picks).isEqualTo(CALLS + pool.retries());
      assertThat(cancelled).isZero();
      // The failures the backends saw are exactly the attempts that were retried.
      long failures = pool.backends().stream().mapToLong(BackendStats::failures).sum();
      assertThat(failures).isEqualTo(pool.retries());
    }
  }

  @Test
  void callsCancelledAtRandomMomentsLeaveNoLeaseOpen() throws Exception {
    for (int i = 0; i < 3; i++) {
      stub(i, aResponse().withStatus(200).withBody("ok").withFixedDelay(5 * i));
    }
    stub(3, aResponse().withStatus(503).withFixedDelay(3));
    stub(4, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));

    try (LoadBalancer lb = balancer(servers);
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).retryPolicy(threeAttempts()).build()) {
      List<CompletableFuture<HttpResponse<String>>> calls = sendAll(client, "/x/");
      // Cancel every other call after a random pause of up to 10 ms: some before their first
      // attempt answered, some between an attempt and its retry, some after they completed.
      ExecutorService cancellers = Executors.newFixedThreadPool(4);
      pools.add(cancellers);
      List<Future<Boolean>> cancels = new ArrayList<>();
      for (int i = 0; i < CALLS; i += 2) {
        CompletableFuture<HttpResponse<String>> call = calls.get(i);
        cancels.add(
            cancellers.submit(
                () -> {
                  LockSupport.parkNanos(
                      TimeUnit.MICROSECONDS.toNanos(ThreadLocalRandom.current().nextInt(10_000)));
                  return call.cancel(true);
                }));
      }
      int cancelledByUs = 0;
      for (Future<Boolean> c : cancels) {
        cancelledByUs += c.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      awaitAll(calls, lb);

      // A cancel can race with a retry that is just taking its lease on another thread; that
      // thread sees the call is done and closes the lease. So allow that thread a bounded moment.
      PoolStats pool = awaitNothingInFlight(lb);
      assertNothingInFlight(pool);

      int cancelled = 0;
      for (CompletableFuture<HttpResponse<String>> call : calls) {
        if (call.isCancelled()) {
          cancelled++;
          continue;
        }
        assertThat(call.isCompletedExceptionally()).as("a call that was not cancelled failed").isFalse();
        assertThat(call.join().statusCode()).isEqualTo(200);
      }
      assertThat(cancelled).isEqualTo(cancelledByUs);
      // A cancelled call gives up at most its current lease; the others never drop one.
      long leasesCancelled = pool.backends().stream().mapToLong(BackendStats::cancelled).sum();
      assertThat(leasesCancelled).isLessThanOrEqualTo(cancelledByUs);
    }
  }

  /** The pool stats once nothing is in flight, polling for at most 10 s. */
  private static PoolStats awaitNothingInFlight(LoadBalancer lb) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    PoolStats pool = lb.stats().pool("api");
    while (pool.inFlight() != 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      pool = lb.stats().pool("api");
    }
    return pool;
  }
}
