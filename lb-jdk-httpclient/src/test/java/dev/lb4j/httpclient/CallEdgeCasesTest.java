package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Edge cases of one call (timeouts, a refused retry, dependent stages, the caller's failing
 * handlers, interrupts, the deadline rule), each against real WireMock backends on loopback:
 *
 * <ol>
 *   <li>a request timeout too large for nanosecond arithmetic is no deadline: the call succeeds,
 *       retries included, and leaks no lease;
 *   <li>an asynchronous retry that the wrapped client's executor refuses (shut down during the
 *       back-off) ends the call with the last attempt's response and gives the budget token back;
 *   <li>cancelling a stage that depends on the call's future ({@code thenApply}, {@code copy},
 *       ...) cancels the call and releases its lease at once; {@code completeAsync} is the
 *       caller's completion (the lease is released before the future completes); {@code
 *       obtrude*} are refused;
 *   <li>a body handler that throws when the kept-aside final response is replayed to it is an
 *       {@link IOException} for {@code send}, its own exception for {@code sendAsync};
 *   <li>a body handler or its subscriber that throws (even an {@link Error}) is the caller's
 *       failure, not the backend's;
 *   <li>an interrupted {@code send} during the retry back-off gives the budget token back;
 *   <li>an attempt cut short by the request's own deadline is not held against its backend.
 * </ol>
 *
 * <p>The fixture checks after every test that no lease is left open.
 */
@Timeout(60)
class CallEdgeCasesTest extends WireMockPoolFixture {

  /** How long a test waits for a condition before it fails. */
  private static final long WAIT_SECONDS = 10;

  private final AtomicLong now = new AtomicLong();

  // ------------------------------------------------------------------ 1. a huge request timeout

  /**
   * A thousand years: more than {@link Duration#toNanos()} can express (about 292 years), so no
   * deadline in nanoseconds can be computed from it; the JDK 17 client itself handles it.
   */
  private static final Duration HUGE = Duration.ofDays(365_000);

  /**
   * About 292 million years ({@code Long.MAX_VALUE / 1000} seconds): the JDK 17 client's own
   * timer overflows on it (see the disabled test).
   */
  private static final Duration HUGEST = Duration.ofSeconds(Long.MAX_VALUE / 1000);

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRequestTimeoutBeyondNanosecondsIsNoDeadlineAndLeaksNoLease(CallMode mode)
      throws Exception {
    succeedsToAFastBackendWithTimeout(mode, HUGE);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRequestTimeoutOfLongMaxValueMillisecondsIsNoDeadlineAndLeaksNoLease(CallMode mode)
      throws Exception {
    succeedsToAFastBackendWithTimeout(mode, HUGEST);
  }

  private void succeedsToAFastBackendWithTimeout(CallMode mode, Duration timeout)
      throws Exception {
    WireMockServer fast = server();
    fast.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fast")));
    LoadBalancedHttpClient client = balance(fastRetries().build(), p -> { }, List.of(uri(fast)));

    HttpResponse<String> r = mode.call(client, request("/quick", 0).timeout(timeout).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("fast");
    PoolStats pool = poolStats();
    assertThat(pool.inFlight()).as("leases open after the call").isZero();
    BackendStats b = pool.backend(id(fast));
    assertThat(b.inFlight()).isZero();
    assertThat(b.completed()).as("the attempt's outcome was recorded").isEqualTo(1);
    assertThat(b.failures()).isZero();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRequestTimeoutBeyondNanosecondsStillAllowsTheRetry(CallMode mode) throws Exception {
    // The retry path checks the deadline again (before the back-off, before the next attempt,
    // when the attempt's timeout is computed): none of it may overflow or refuse the retry.
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    WireMockServer good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    LoadBalancedHttpClient client = balance(fastRetries().build(), p -> p.algorithm(new InOrder()),
        List.of(uri(busy), uri(good)));

    HttpResponse<String> r = mode.call(client, request("/quick", 0).timeout(HUGE).GET().build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as("the retry's answer").isEqualTo(200);
    assertThat(r.body()).isEqualTo("fine");
    assertThat(received(busy)).hasSize(1);
    assertThat(received(good)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(1);
    assertThat(poolStats().inFlight()).isZero();
  }

  // ------------------------------------------------------ 2. the executor refuses the retry

  @Test
  void aRetryTheShutDownExecutorRefusesEndsTheCallWithTheLastResponseAndRefundsTheBudget()
      throws Exception {
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(503).withHeader("X-Backend", "busy").withBody("try later")));
    WireMockServer good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    // One retry per second, nothing per request, on a ticker that does not move: a token spent
    // by this call stays spent, a token given back shows in the balance.
    RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), now::get);
    RetryPolicy policy =
        RetryPolicy.builder()
            .backoff(Duration.ofMillis(200), Duration.ofMillis(200))
            .budget(budget)
            .ticker(now::get)
            .build();
    ExecutorService executor = Executors.newFixedThreadPool(2);
    try {
      HttpClient jdk = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5)).executor(executor).build();
      RecordingClient wrapped = new RecordingClient(jdk);
      LoadBalancedHttpClient client = balance(policy, Ticker.system(),
          p -> p.algorithm(new InOrder()), List.of(uri(busy), uri(good)), wrapped);
      // The executor is shut down once the first exchange has ended, before the client decides
      // to retry: whatever the back-off drawn, the delayed retry is handed to a shut-down
      // executor. (A back-off of exactly 0, probability 1 in 2e8, would retry at once.)
      wrapped.afterExchange(request -> executor.shutdown());
      double before = budget.balance();
      assertThat(before).as("the budget's one retry").isEqualTo(1.0);

      CompletableFuture<HttpResponse<String>> call =
          client.sendAsync(request("/orders", 0).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      HttpResponse<String> r = call.get(WAIT_SECONDS, TimeUnit.SECONDS);

      assertThat(executor.isShutdown()).isTrue();
      assertThat(r.statusCode()).as("the first backend's answer stands").isEqualTo(503);
      assertThat(r.body()).isEqualTo("try later");
      assertThat(r.headers().firstValue("X-Backend")).hasValue("busy");
      assertThat(r.uri().getPort()).isEqualTo(busy.port());
      assertThat(wrapped.sent()).as("attempts sent").hasSize(1);
      assertThat(received(good)).isEmpty();
      assertThat(poolStats().retries()).as("retries that got a backend").isZero();
      assertThat(poolStats().inFlight()).isZero();
      assertThat(budget.balance()).as("the refused retry's token is back").isEqualTo(before);
    } finally {
      executor.shutdownNow();
    }
  }

  // ------------------------------------------------- 3. dependent stages, completeAsync, obtrude

  /** A backend that answers after 10 s, and the client over it. */
  private record Slow(WireMockServer server, LoadBalancedHttpClient client) { }

  /** A backend that answers after 10 s, so the caller always gives up first. */
  private Slow slow() {
    WireMockServer slow = asyncServer();
    slow.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(200).withBody("late").withFixedDelay(10_000)));
    return new Slow(slow, balance(fastRetries().build(), p -> { }, List.of(uri(slow))));
  }

  private CompletableFuture<HttpResponse<String>> slowCall(Slow slow) {
    CompletableFuture<HttpResponse<String>> call =
        slow.client().sendAsync(request("/slow", 0).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(poolStats().inFlight()).as("the attempt is on its way").isEqualTo(1);
    return call;
  }

  /** Stages that depend on the call's future, as a caller builds them. */
  enum Stage {
    THEN_APPLY,
    COPY,
    HANDLE,
    TWO_LEVELS_DOWN;

    CompletableFuture<?> on(CompletableFuture<HttpResponse<String>> call) {
      return switch (this) {
        case THEN_APPLY -> call.thenApply(HttpResponse::body);
        case COPY -> call.copy();
        case HANDLE -> call.handle((r, e) -> r);
        case TWO_LEVELS_DOWN -> call.thenApply(HttpResponse::body).thenApply(String::length);
      };
    }
  }

  @ParameterizedTest
  @EnumSource(Stage.class)
  void cancellingADependentStageCancelsTheCallAndReleasesItsLeaseAtOnce(Stage stage) {
    Slow slow = slow();
    CompletableFuture<HttpResponse<String>> call = slowCall(slow);
    CompletableFuture<?> dependent = stage.on(call);

    assertThat(dependent.cancel(true)).isTrue();

    // No wait: the cancel releases the lease before it returns.
    PoolStats pool = poolStats();
    assertThat(pool.inFlight()).as("pool in flight right after the cancel").isZero();
    BackendStats b = pool.backend(id(slow.server()));
    assertThat(b.inFlight()).isZero();
    assertThat(b.cancelled()).as("the lease counted as cancelled").isEqualTo(1);
    assertThat(b.failures()).as("giving up is not the backend's failure").isZero();
    assertThat(dependent.isCancelled()).isTrue();
    assertThat(call.isCancelled()).as("the call's own future is cancelled too").isTrue();
    assertThatThrownBy(call::join).isInstanceOf(CancellationException.class);
  }

  /** What a callback registered on the call's future saw when it ran. */
  private static final class Seen {
    final CountDownLatch ran = new CountDownLatch(1);
    final AtomicReference<@Nullable PoolStats> pool = new AtomicReference<>();
    final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
    final AtomicBoolean valueWasNull = new AtomicBoolean();

    PoolStats await() throws InterruptedException {
      assertThat(ran.await(WAIT_SECONDS, TimeUnit.SECONDS))
          .as("the callback ran within %s s", WAIT_SECONDS).isTrue();
      return Objects.requireNonNull(pool.get(), "stats taken by the callback");
    }
  }

  private Seen watch(CompletableFuture<HttpResponse<String>> call) {
    Seen seen = new Seen();
    @SuppressWarnings("unused") // the callback is what is watched, not the stage after it
    CompletableFuture<?> unused =
        call.whenComplete(
            (r, e) -> {
              seen.pool.set(poolStats());
              seen.valueWasNull.set(r == null);
              seen.error.set(e);
              seen.ran.countDown();
            });
    return seen;
  }

  private void assertReleasedAsCancelled(PoolStats pool, Slow slow) {
    assertThat(pool.inFlight()).as("pool in flight, seen by the callback").isZero();
    BackendStats b = pool.backend(id(slow.server()));
    assertThat(b.inFlight()).as("backend in flight, seen by the callback").isZero();
    assertThat(b.cancelled()).as("the lease counted as cancelled").isEqualTo(1);
    assertThat(b.failures()).isZero();
    assertThat(b.completed()).isZero();
  }

  @Test
  void completeAsyncReleasesTheLeaseBeforeTheFutureCompletes() throws Exception {
    Slow slow = slow();
    CompletableFuture<HttpResponse<String>> call = slowCall(slow);
    Seen seen = watch(call);

    CompletableFuture<HttpResponse<String>> same = call.completeAsync(() -> null);

    assertThat(same).isSameAs(call);
    assertReleasedAsCancelled(seen.await(), slow);
    assertThat(seen.error.get()).isNull();
    assertThat(seen.valueWasNull).as("the supplier's value").isTrue();
    assertThat(call.isCancelled()).isFalse();
  }

  @Test
  void completeAsyncWithASupplierThatThrowsReleasesTheLeaseBeforeTheFutureFails()
      throws Exception {
    Slow slow = slow();
    CompletableFuture<HttpResponse<String>> call = slowCall(slow);
    Seen seen = watch(call);
    IllegalStateException thrown = new IllegalStateException("no fallback response");
    ExecutorService fallback = Executors.newSingleThreadExecutor(r -> new Thread(r, "fallback"));
    try {
      CompletableFuture<HttpResponse<String>> same =
          call.completeAsync(
              () -> {
                throw thrown;
              },
              fallback);

      assertThat(same).isSameAs(call);
      assertReleasedAsCancelled(seen.await(), slow);
      assertThat(rootOrSelf(Objects.requireNonNull(seen.error.get()))).isSameAs(thrown);
      assertThat(call).isCompletedExceptionally();
    } finally {
      fallback.shutdownNow();
    }
  }

  @Test
  void obtrudingAValueOrAnExceptionIsRefused() {
    Slow slow = slow();
    CompletableFuture<HttpResponse<String>> call = slowCall(slow);

    assertThatThrownBy(() -> call.obtrudeValue(null))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> call.obtrudeException(new IOException("replaced")))
        .isInstanceOf(UnsupportedOperationException.class);

    assertThat(call.isDone()).as("the call goes on").isFalse();
    assertThat(poolStats().inFlight()).as("its attempt still on its way").isEqualTo(1);
    assertThat(call.cancel(true)).isTrue();
    assertThat(poolStats().inFlight()).isZero();
  }

  // ------------------------------------------- 4. a handler that throws on the replayed response

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aHandlerThatThrowsOnTheReplayedFinalResponseFailsTheCallAsTheJdkWould(CallMode mode) {
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    WireMockServer other = server();
    other.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("also busy")));
    // 1% per request and no floor: a call's own deposit earns 0.01 of a retry, so the budget
    // refuses the retry. The 503 may be retried as far as status, method and attempts go, so its
    // body was kept aside; the budget's refusal makes it final, and it is replayed to the
    // caller's handler, which throws.
    RetryBudget budget = RetryBudget.of(1, 0, Duration.ofSeconds(1), now::get);
    LoadBalancedHttpClient client =
        balance(fastRetries().maxAttempts(2).budget(budget).ticker(now::get).build(),
            p -> p.algorithm(new InOrder()), List.of(uri(busy), uri(other)));
    IllegalStateException thrown = new IllegalStateException("the handler refuses this response");
    HttpResponse.BodyHandler<String> refusing =
        info -> {
          throw thrown;
        };

    Throwable failure =
        catchThrowable(
            () -> mode.call(client, request("/orders", 0).GET().build(), refusing));

    if (mode == CallMode.SEND) {
      // The JDK's send turns what a handler throws into an IOException.
      assertThat(failure).isInstanceOf(IOException.class).hasCause(thrown);
    } else {
      assertThat(failure).as("the future fails with the handler's exception").isSameAs(thrown);
    }
    assertThat(received(busy)).hasSize(1);
    assertThat(received(other)).as("the budget refused the retry").isEmpty();
    BackendStats b = stats(id(busy));
    assertThat(b.completed()).as("the 503 counted by its status").isEqualTo(1);
    assertThat(b.inFlight()).isZero();
    assertThat(poolStats().inFlight()).isZero();
  }

  // ----------------------------------- 5. a body handler or subscriber that throws, even an Error

  /** What the caller's body handler or subscriber throws: an {@link Error} of the caller's code. */
  static final class HandlerBug extends Error {
    private static final long serialVersionUID = 1L;

    HandlerBug() {
      super("the caller's body handler broke");
    }
  }

  /** Subscribes, requests everything, and throws {@link HandlerBug} on the first bytes. */
  private static final class ThrowingSubscriber implements HttpResponse.BodySubscriber<String> {
    private final CompletableFuture<String> body = new CompletableFuture<>();

    @Override
    public CompletionStage<String> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      subscription.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      throw new HandlerBug();
    }

    @Override
    public void onError(Throwable throwable) {
      body.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      body.complete("never: onNext threw");
    }
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void anErrorThrownByTheCallersSubscriberIsNotTheBackendsFailure(CallMode mode) {
    failsInTheCallersCodeOnly(mode, info -> new ThrowingSubscriber(), HandlerBug.class);
  }

  @Test
  void anErrorThrownByTheCallersBodyHandlerIsNotTheBackendsFailureForSendAsync() {
    failsInTheCallersCodeOnly(CallMode.SEND_ASYNC,
        info -> {
          throw new HandlerBug();
        },
        HandlerBug.class);
  }

  @Test
  void anErrorThrownByTheCallersBodyHandlerIsNotTheBackendsFailureForSend() {
    failsInTheCallersCodeOnly(CallMode.SEND,
        info -> {
          throw new HandlerBug();
        },
        HandlerBug.class);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRuntimeExceptionThrownByTheCallersBodyHandlerIsNotTheBackendsFailure(CallMode mode) {
    failsInTheCallersCodeOnly(mode,
        info -> {
          throw new IllegalStateException("the caller's handler broke");
        },
        IllegalStateException.class);
  }

  /**
   * Sends to a backend that answers 200 (a second one would take a retry) with a body handler
   * that fails in the caller's code: the call fails with that failure, the backend's answer
   * counts by its status, nothing is retried.
   */
  private void failsInTheCallersCodeOnly(
      CallMode mode, HttpResponse.BodyHandler<String> handler, Class<? extends Throwable> marker) {
    WireMockServer good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("a body")));
    WireMockServer other = server();
    other.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("other")));
    LoadBalancedHttpClient client = balance(fastRetries().build(), p -> p.algorithm(new InOrder()),
        List.of(uri(good), uri(other)));

    Throwable failure =
        catchThrowable(
            () -> mode.call(client, request("/page", 0).GET().build(), handler));

    assertThat(failure).as("the call fails").isNotNull();
    assertThat(chainHas(failure, marker)).as("with the caller's failure: %s", failure).isTrue();
    BackendStats b = stats(id(good));
    assertThat(b.failures()).as("the caller's failure is not the backend's").isZero();
    assertThat(b.completed()).as("the backend's 200 counted by its status").isEqualTo(1);
    assertThat(b.inFlight()).isZero();
    assertThat(received(other)).as("not retried").isEmpty();
    assertThat(poolStats().retries()).isZero();
  }

  // ------------------------------------------- 6. an interrupted send() during the back-off

  @Test
  void anInterruptDuringTheBackOffThrowsInterruptedExceptionAndRefundsTheBudget()
      throws Exception {
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    WireMockServer good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("fine")));
    ManualClock clock = new ManualClock();
    RetryBudget budget = RetryBudget.of(0, 1, Duration.ofSeconds(1), clock);
    RetryPolicy policy =
        RetryPolicy.builder()
            .backoff(Duration.ofSeconds(2), Duration.ofSeconds(2))
            .budget(budget)
            .ticker(clock)
            .build();
    LoadBalancedHttpClient client =
        balanceOn(clock, policy, p -> p.algorithm(new InOrder()), List.of(uri(busy), uri(good)));
    assertThat(budget.balance()).as("the budget's one retry").isEqualTo(1.0);
    AtomicReference<@Nullable Throwable> thrown = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        client.send(request("/orders", 0).GET().build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException | InterruptedException | RuntimeException e) {
        thrown.set(e);
      }
    }, "blocked-in-back-off");
    caller.start();
    try {
      // The retry was granted (its token taken) and its back-off is the one timer on the clock,
      // which never moves: the caller is in the back-off, however slow the machine.
      awaitTrue(() -> budget.balance() == 0.0 && clock.pendingTasks() == 1,
          "the caller waiting out its back-off");

      caller.interrupt();
      caller.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    } finally {
      caller.interrupt();
      caller.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    }

    assertThat(caller.isAlive()).as("send() still blocked after the interrupt").isFalse();
    assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
    WireMockPoolFixture.awaitTrue(
        () -> clock.pendingTasks() == 0, "the back-off's timer, cancelled");
    assertThat(received(busy)).hasSize(1);
    assertThat(received(good)).as("no retry after the interrupt").isEmpty();
    PoolStats pool = poolStats();
    assertThat(pool.inFlight()).isZero();
    assertThat(pool.retries()).isZero();
    assertThat(pool.backend(id(busy)).completed()).as("the 503 was recorded").isEqualTo(1);
    assertThat(budget.balance()).as("the retry never sent gave its token back").isEqualTo(1.0);
  }

  // ------------------------------------ 7. an attempt cut short by the request's own deadline

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void anAttemptCutShortByTheRequestsDeadlineIsNotHeldAgainstItsBackend(CallMode mode)
      throws Exception {
    // The first backend answers 503 after 1.2 s of the request's 2 s (on the manual clock); the
    // retry goes at once (no back-off) to a backend that never answers, with the 0.8 s left: less
    // than half of the request's timeout, so it times out because the call's deadline passes,
    // not because the backend is slower than the request allows.
    ManualClock clock = new ManualClock();
    HeldBackend busy = held(503, "busy");
    HeldBackend silent = held(200, "never sent");
    // Not split: the first attempt may use the whole timeout, so the retry is what gets cut.
    LoadBalancedHttpClient client = balanceOn(clock, fastRetries().splitRequestTimeout(false)
        .build(), p -> p.algorithm(new InOrder()), List.of(busy.uri(), silent.uri()));

    CallMode.Pending<String> call = mode.start(client,
        request("/search", 0).timeout(Duration.ofSeconds(2)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    busy.awaitReceived(1);
    clock.advance(Duration.ofMillis(1200));
    busy.release();
    silent.awaitReceived(1);

    assertThat(clock.pendingTasks()).as("the retry's timeout, armed").isEqualTo(1);
    clock.advance(Duration.ofMillis(799));
    assertThat(clock.pendingTasks()).as("the retry's timeout, 1 ms before the deadline")
        .isEqualTo(1);
    assertThat(call.isDone()).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(clock.pendingTasks()).as("the retry's timeout, at the deadline").isZero();

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    assertThat(busy.received()).isEqualTo(1);
    assertThat(silent.received()).as("the retry was sent").isEqualTo(1);
    assertThat(poolStats().retries()).isEqualTo(1);
    BackendStats cut = stats(silent.id());
    assertThat(cut.failures()).as("the deadline's timeout is not the backend's failure").isZero();
    assertThat(cut.cancelled()).as("the cut attempt counts as cancelled").isEqualTo(1);
    assertThat(cut.completed()).isZero();
    assertThat(cut.inFlight()).isZero();
    assertThat(stats(busy.id()).failures()).as("the 503 is the first backend's").isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aRetryWithMostOfTheRequestsTimeoutLeftThatTimesOutIsTheBackendsFailure(CallMode mode)
      throws Exception {
    // The first backend answers 503 while the clock stands still; the retry gets the whole 1 s
    // left and the backend never answers: that timeout is the backend's.
    ManualClock clock = new ManualClock();
    WireMockServer busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    HeldBackend silent = held(200, "never sent");
    LoadBalancedHttpClient client = balanceOn(clock, fastRetries().build(),
        p -> p.algorithm(new InOrder()), List.of(uri(busy), silent.uri()));

    CallMode.Pending<String> call = mode.start(client,
        request("/search", 0).timeout(Duration.ofSeconds(1)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    silent.awaitReceived(1);

    clock.advance(Duration.ofMillis(999));
    assertThat(clock.pendingTasks()).as("the retry's timeout, 1 ms before the deadline")
        .isEqualTo(1);
    assertThat(call.isDone()).isFalse();
    clock.advance(Duration.ofMillis(1));

    assertThatThrownBy(call::await).isInstanceOf(HttpTimeoutException.class);
    assertThat(received(busy)).hasSize(1);
    assertThat(silent.received()).as("the retry was sent").isEqualTo(1);
    BackendStats timedOut = stats(silent.id());
    assertThat(timedOut.failures()).as("a timeout with all the time left").isEqualTo(1);
    assertThat(timedOut.cancelled()).isZero();
    assertThat(timedOut.inFlight()).isZero();
  }

  // ------------------------------------------------------------------ helpers

  private static Throwable rootOrSelf(Throwable t) {
    Throwable c = t;
    for (int i = 0; i < 20 && c.getCause() != null && c.getCause() != c; i++) {
      c = c.getCause();
    }
    return c;
  }

  private static boolean chainHas(Throwable t, Class<? extends Throwable> type) {
    Throwable c = t;
    for (int i = 0; i < 20 && c != null; i++) {
      if (type.isInstance(c)) {
        return true;
      }
      c = c.getCause();
    }
    return false;
  }
}
