package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Giving up on a call (cancelling its future, timing it out, interrupting a blocked {@code send})
 * releases the backend's lease, against real WireMock backends on loopback.
 */
class CancelTest {

  /** Long enough that no test ever sees the answer: every test gives up on the call first. */
  private static final int SLOW_MS = 10_000;

  private static final List<WireMockServer> servers = new ArrayList<>();

  @BeforeAll
  static void startServers() {
    for (int i = 0; i < 3; i++) {
      WireMockServer s =
          new WireMockServer(
              options()
                  .dynamicPort()
                  .bindAddress("127.0.0.1")
                  // Delays are timers, not sleeping threads: stopping does not wait for them.
                  .asynchronousResponseEnabled(true));
      servers.add(s);
      s.start();
    }
  }

  @AfterAll
  static void stopServers() {
    servers.forEach(WireMockServer::stop);
    servers.clear();
  }

  @BeforeEach
  void resetServers() {
    servers.forEach(WireMockServer::resetAll);
  }

  private static void stubAll(ResponseDefinitionBuilder response) {
    for (WireMockServer s : servers) {
      s.stubFor(any(anyUrl()).willReturn(response));
    }
  }

  private static LoadBalancer balancer() {
    return LoadBalancer.builder()
        .pool(
            "api",
            p -> {
              for (WireMockServer s : servers) {
                p.backend("http://127.0.0.1:" + s.port());
              }
              p.algorithm(Algorithms.roundRobin());
            })
        .build();
  }

  private static HttpRequest get(String path) {
    return HttpRequest.newBuilder(URI.create("http://api" + path)).build();
  }

  private static int received() {
    int n = 0;
    for (WireMockServer s : servers) {
      n += s.countRequestsMatching(anyRequestedFor(anyUrl()).build()).getCount();
    }
    return n;
  }

  /** Waits (at most 10 s) until the backends' journals hold {@code n} requests in all. */
  private static void awaitReceived(int n) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the backends received " + received() + " of " + n
            + " requests within 10 s");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }

  /** The pool stats once {@code done} holds, polling for at most 10 s. */
  private static PoolStats await(LoadBalancer lb, Predicate<PoolStats> done, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    PoolStats pool = lb.stats().pool("api");
    while (!done.test(pool)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not " + what + " within 10 s: " + pool);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
      pool = lb.stats().pool("api");
    }
    return pool;
  }

  /** The one backend with a request in flight. */
  private static BackendStats busy(PoolStats pool) {
    List<BackendStats> busy = pool.backends().stream().filter(b -> b.inFlight() > 0).toList();
    assertThat(busy).as("backends with a request in flight").hasSize(1);
    assertThat(busy.get(0).inFlight()).isEqualTo(1);
    return busy.get(0);
  }

  private static void assertReleasedAsCancelled(PoolStats pool, String backendId) {
    assertThat(pool.inFlight()).as("pool in flight").isZero();
    BackendStats b = pool.backend(backendId);
    assertThat(b.inFlight()).as("in flight to %s", backendId).isZero();
    assertThat(b.cancelled()).as("cancelled leases of %s", backendId).isEqualTo(1);
    // Giving up is the caller's decision: it must not count against the backend.
    assertThat(b.completed()).as("completed leases of %s", backendId).isZero();
    assertThat(b.failures()).as("failures of %s", backendId).isZero();
  }

  @Test
  void cancellingTheFutureReleasesTheLeaseAtOnce() throws Exception {
    stubAll(aResponse().withStatus(200).withFixedDelay(SLOW_MS));
    try (LoadBalancer lb = balancer();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      CompletableFuture<HttpResponse<String>> call =
          client.sendAsync(get("/slow"), HttpResponse.BodyHandlers.ofString());
      String backend = busy(lb.stats().pool("api")).id();
      awaitReceived(1); // the request is on the wire, the backend is sitting on it

      assertThat(call.cancel(true)).isTrue();

      // No waiting: the client closes the lease in the cancellation's own callback.
      assertReleasedAsCancelled(lb.stats().pool("api"), backend);
      assertThat(call.isCancelled()).isTrue();
    }
  }

  @Test
  void aCallerTimeoutOnTheFutureReleasesTheLease() throws Exception {
    stubAll(aResponse().withStatus(200).withFixedDelay(SLOW_MS));
    try (LoadBalancer lb = balancer();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      CompletableFuture<HttpResponse<String>> call =
          client
              .sendAsync(get("/slow"), HttpResponse.BodyHandlers.ofString())
              .orTimeout(200, TimeUnit.MILLISECONDS);
      String backend = busy(lb.stats().pool("api")).id();

      assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(TimeoutException.class);

      // The client's future releases the lease before it completes, even when the caller (here
      // the timeout) completes it: no wait needed.
      PoolStats pool = lb.stats().pool("api");
      assertReleasedAsCancelled(pool, backend);
    }
  }

  @Test
  void interruptingAThreadBlockedInSendThrowsInterruptedExceptionAndReleasesTheLease()
      throws Exception {
    stubAll(aResponse().withStatus(200).withFixedDelay(SLOW_MS));
    try (LoadBalancer lb = balancer();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      AtomicReference<@Nullable Throwable> thrown = new AtomicReference<>();
      AtomicReference<@Nullable HttpResponse<String>> answered = new AtomicReference<>();
      Thread caller =
          new Thread(
              () -> {
                try {
                  answered.set(client.send(get("/slow"), HttpResponse.BodyHandlers.ofString()));
                } catch (IOException | InterruptedException | RuntimeException e) {
                  thrown.set(e);
                }
              },
              "blocked-in-send");
      caller.start();
      try {
        PoolStats pool = await(lb, p -> p.inFlight() == 1, "in flight");
        String backend = busy(pool).id();
        awaitReceived(1);
        awaitWaiting(caller);

        caller.interrupt();
        caller.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(caller.isAlive()).as("send() still blocked 10 s after the interrupt").isFalse();

        assertThat(answered.get()).isNull();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        // send() cancels the call before it throws: nothing to wait for.
        assertReleasedAsCancelled(lb.stats().pool("api"), backend);
      } finally {
        caller.interrupt();
        caller.join(TimeUnit.SECONDS.toMillis(10));
      }
    }
  }

  /** Waits (at most 10 s) until {@code t} is parked, i.e. blocked in {@code send}. */
  private static void awaitWaiting(Thread t) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (t.getState() != Thread.State.WAITING) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(t.getName() + " not blocked within 10 s: " + t.getState());
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  @Test
  void cancellingDuringTheRetryBackOffSendsNoRetryAndLeavesNothingInFlight() throws Exception {
    stubAll(aResponse().withStatus(503).withBody("busy"));
    // The client runs a delayed retry on the wrapped client's executor. This wrapped client sends
    // through a plain JDK client and offers an executor that holds what it is given, so the test
    // decides when the retry may run: whether the back-off timer fires before or after the
    // cancel, the retry starts only after it.
    HoldingExecutor executor = new HoldingExecutor();
    HttpClient jdk = HttpClient.newHttpClient();
    CountingClient wrapped = new CountingClient(jdk, executor);
    RetryPolicy retry =
        RetryPolicy.builder()
            .maxAttempts(2)
            .backoff(Duration.ofSeconds(1), Duration.ofSeconds(1))
            .build();
    try (LoadBalancer lb = balancer();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).client(wrapped).retryPolicy(retry).build()) {
      CompletableFuture<HttpResponse<String>> call =
          client.sendAsync(get("/flaky"), HttpResponse.BodyHandlers.ofString());
      // The first attempt got its 503 and the client recorded it: now it waits to retry.
      PoolStats first =
          await(lb, p -> p.backends().stream().mapToLong(BackendStats::completed).sum() == 1,
              "the first attempt completed");
      assertThat(first.inFlight()).isZero();
      assertThat(call.isDone()).isFalse();

      assertThat(call.cancel(true)).isTrue();
      PoolStats afterCancel = lb.stats().pool("api");
      assertThat(afterCancel.inFlight()).as("pool in flight").isZero();
      afterCancel.backends().forEach(b -> assertThat(b.inFlight()).as(b.id()).isZero());

      // Let the back-off end (it is at most 1 s, waited for twice over): the cancel stopped its
      // timer, so no retry task reaches the executor; one that did must see the call is over and
      // send nothing.
      Runnable retryTask = executor.poll(2, TimeUnit.SECONDS);
      if (retryTask != null) {
        retryTask.run();
      }

      PoolStats end = lb.stats().pool("api");
      assertThat(wrapped.sent.get()).as("attempts sent").isEqualTo(1);
      assertThat(received()).as("requests the backends received").isEqualTo(1);
      assertThat(end.retries()).as("retries").isZero();
      assertThat(end.inFlight()).as("pool in flight").isZero();
      assertThat(end.backends().stream().mapToLong(BackendStats::picks).sum()).isEqualTo(1);
      assertThat(call.isCancelled()).isTrue();
    }
  }

  /** An executor that keeps what it is given until the test takes it. */
  private static final class HoldingExecutor implements Executor {
    private final ConcurrentLinkedQueue<Runnable> held = new ConcurrentLinkedQueue<>();
    private final CountDownLatch given = new CountDownLatch(1);

    @Override
    public void execute(Runnable command) {
      held.add(command);
      given.countDown();
    }

    /** The task given, waiting at most this long for it, or {@code null} when none came. */
    @Nullable Runnable poll(long timeout, TimeUnit unit) throws InterruptedException {
      if (!given.await(timeout, unit)) {
        return null;
      }
      Runnable r = held.poll();
      assertThat(held).as("tasks given to the executor besides the retry").isEmpty();
      return Objects.requireNonNull(r);
    }
  }

  /** Sends through a JDK client and counts the attempts; reports {@code executor} as its own. */
  private static final class CountingClient extends ForwardingHttpClient {
    private final Executor executor;
    final AtomicInteger sent = new AtomicInteger();

    CountingClient(HttpClient jdk, Executor executor) {
      super(jdk);
      this.executor = executor;
    }

    @Override
    public Optional<Executor> executor() {
      return Optional.of(executor);
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
        throws IOException, InterruptedException {
      sent.incrementAndGet();
      return jdk.send(request, handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(
        HttpRequest request,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.@Nullable PushPromiseHandler<T> push) {
      sent.incrementAndGet();
      return jdk.sendAsync(request, handler, push);
    }
  }
}
