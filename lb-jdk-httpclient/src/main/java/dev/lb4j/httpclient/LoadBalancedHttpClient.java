package dev.lb4j.httpclient;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.RequestRejectedException;
import dev.lb4j.core.Selection;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.HedgingPolicy;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.core.retry.Attempt;
import dev.lb4j.core.retry.AttemptLoop;
import dev.lb4j.core.retry.AttemptResult;
import dev.lb4j.core.retry.CallResult;
import dev.lb4j.core.retry.Execution;
import dev.lb4j.core.routing.RouteMatch;
import java.io.IOException;
import java.net.Authenticator;
import java.net.ConnectException;
import java.net.CookieHandler;
import java.net.NoRouteToHostException;
import java.net.ProxySelector;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link HttpClient} that sends each request to a backend chosen by a {@link LoadBalancer}:
 * requests name a logical service ({@code http://api/users/7}, where {@code api} is a pool, or any
 * request the load balancer's routing rules match), and the client rewrites scheme, host and port
 * to the chosen backend, keeping path (or the route's rewrite of it), query, headers and body.
 *
 * <pre>{@code
 * HttpClient client = LoadBalancedHttpClient.builder(lb).build();
 * HttpResponse<String> r = client.send(
 *     HttpRequest.newBuilder(URI.create("http://api/users/7")).build(),
 *     HttpResponse.BodyHandlers.ofString());
 * }</pre>
 *
 * <p>It IS an {@code HttpClient} (a subclass, not a look-alike): code and libraries that take an
 * {@code HttpClient} take this one. Everything that is not balancing is the wrapped client's: its
 * executor, SSL context, proxy, HTTP version, connect timeout, redirects, cookie handler and
 * authenticator ({@link Builder#client}); the configuration getters return the wrapped client's.
 *
 * <p>Per request:
 *
 * <ol>
 *   <li>The load balancer routes it ({@link LoadBalancer#selectByHost}): routing rules first; else
 *       the pool its host names. A host that is neither goes by {@link UnknownHosts}: rejected by
 *       default with a {@link NoBackendAvailableException} naming the host and the pools, so a
 *       request to a real host is never sent to backends that were not meant for it.
 *   <li>Policies run before anything is sent: a rejection (rate limit, access control) fails the
 *       call with a {@link RequestRejectedException} carrying status and reason; no backend
 *       (all unhealthy, concurrency limit) fails it with a {@link NoBackendAvailableException}
 *       carrying the reason. Neither touches the network. Both are unchecked: {@code send} throws
 *       them, {@code sendAsync} completes its future with them. On the client side there is no
 *       client address ({@code RequestView.clientAddress()} is {@code null}), so an {@code
 *       AccessControl} with allow ranges rejects every request; method lists and deny ranges work.
 *   <li>The request is sent to the backend with the policies' request header edits. Headers the
 *       JDK client refuses to set ({@code Host}, {@code Connection}, {@code Content-Length}, {@code
 *       Expect}, {@code Upgrade}) are skipped with a warning, once per name.
 *   <li>Every response or failure is reported on the lease: the status, or the error kind
 *       (connect failure, reset, timeout, protocol error), with the latency from selection, so
 *       outlier detection and latency-aware algorithms learn from real traffic. The lease is
 *       completed before the caller sees the result; a cancelled future releases it at once.
 *   <li>Failed attempts are retried by the {@link RetryPolicy} ({@link Builder#retryPolicy}; by
 *       default its safe defaults: idempotent methods only, on 502/503/504, connection failures
 *       (connect, reset, timeout) and a backend's protocol violations (a status line or headers
 *       that are not HTTP, a body shorter than its {@code Content-Length}: {@link
 *       java.net.ProtocolException}, counted against the backend like a 5xx), 2 attempts,
 *       jittered back-off, a retry budget). Each retry goes to a backend not
 *       yet tried while one is left (then any but the previous one; with one backend, that one),
 *       through {@link LoadBalancer#retry} (policies are not run twice), and counts in the pool's
 *       {@code retries} stat. The retries, back-off, budget, deadline and hedging are lb-core's
 *       attempt loop ({@link AttemptLoop}); this client only sends each attempt. A request body is
 *       replayable when it is empty (none, {@code BodyPublishers.noBody()}) or made by {@link
 *       ReplayableBody} ({@code ofString}, {@code ofByteArray}, {@code ofFile}, or a publisher you
 *       vouch for); any other publisher (the JDK's own included: the client does not look inside
 *       them) may be single-use, so a request with such a body is never retried, whatever its
 *       method. The body of a response that may be retried is kept aside, and handed to your body
 *       handler only if it is the final answer.
 *   <li>Opt-in hedging ({@link Builder#hedging}): an idempotent request with a replayable body that
 *       has no response after the policy's delay is also sent to another backend; the first final
 *       response wins and the other attempt is cancelled, its lease counted as cancelled.
 *   <li>A call that fails after its attempts throws the last attempt's exception type ({@code
 *       ConnectException}, {@code HttpTimeoutException}, ...) with a message naming the pool, the
 *       attempts and the backends tried, the attempt's own exception as its cause, and the earlier
 *       attempts' failures as suppressed exceptions.
 *   <li>Response header edits of the policies are applied to the response the caller gets.
 * </ol>
 *
 * <p>The response's {@link HttpResponse#uri()} and {@link HttpResponse#request()} are the backend's:
 * they show where the request went.
 *
 * <p>The request's own {@link HttpRequest#timeout()} bounds the whole call: every attempt, every
 * back-off, and the response's body however your handler reads it (the JDK client's own timeout
 * stops at the response headers). Until its response headers arrive, an attempt gets the retry
 * policy's per-try timeout cut to what is left of the request's; without a per-try timeout, its
 * share of what is left ({@link RetryPolicy.Builder#splitRequestTimeout}: by default half of the
 * request's timeout for the first of 2 attempts, all that is left for the last), so a backend
 * that never answers leaves room for a retry on another. The body of a response that may be
 * retried (kept aside) must arrive within its attempt's timeout; the body of the call's answer
 * within the request's timeout. When the timeout passes while a body is arriving, the connection
 * is closed and your handler's subscriber gets {@code onError(HttpTimeoutException)}, whatever
 * part of the body it already had: {@code send} throws that {@code HttpTimeoutException}, {@code
 * sendAsync}'s future fails with it, and a streaming body already handed to you ({@code
 * ofInputStream}, {@code ofLines}, {@code ofPublisher}) ends with it (an {@code IOException}
 * caused by it, for a stream). The attempt's lease then ends as a {@code TIMEOUT} failure of its
 * backend, or as cancelled under the deadline rule below; the lease of a streaming response ended
 * with its headers and stays as it was. Every timer of a call (the request's and each attempt's
 * timeout, a body's deadline, a back-off, a hedge's delay) runs on the client's {@linkplain
 * Builder#scheduler scheduler} and reads its {@linkplain Builder#ticker ticker}: by default the
 * JDK's shared delayed executor and {@link System#nanoTime()}, so a call ends a few milliseconds
 * after its timeout (more on a loaded machine); the JDK client's own request timeout is not used.
 * An attempt that times out
 * with less than half of its due time left (the request's timeout, or its even split over the
 * attempts when the policy splits it) is not held against its backend (counted as cancelled): the
 * call's deadline, not the backend, cut it short. A streaming body handler gets its response when
 * the headers arrive, so the lease, its latency and the backend's in-flight count end there, not
 * when you finish reading; and once a response's status went to your handler it is the call's
 * answer and is never retried (a backend that resets mid-body fails the call). Note that the JDK
 * client itself re-sends a GET or HEAD once when a pooled HTTP/1.1 connection fails before any
 * response byte; the load balancer sees that as one attempt.
 *
 * <p>Logging (SLF4J, logger {@code dev.lb4j.httpclient.LoadBalancedHttpClient}): backend state
 * changes at INFO (unless {@link Builder#logHealthChanges(boolean) turned off}); the client's
 * set-up when it is built, and every attempt, retry and rejection, at DEBUG, built only when DEBUG
 * is on.
 *
 * <p>Not balanced: {@link #newWebSocketBuilder()} returns the wrapped client's builder unchanged.
 * Closing this client ({@link #close()}, also {@code HttpClient.close()} on Java 21+) stops its
 * logging and nothing else: the load balancer and the wrapped client belong to the caller.
 *
 * <p>Thread-safe.
 *
 * @since 0.1.0
 */
public final class LoadBalancedHttpClient extends HttpClient implements AutoCloseable {

  /** What to do with a request whose host names no pool and that no routing rule matches. */
  public enum UnknownHosts {
    /** Fail with a {@link NoBackendAvailableException} naming the host and the pools (default). */
    REJECT,
    /** Send it unchanged through the wrapped client, without balancing, policies or retries. */
    PASS_THROUGH,
    /** Balance it over the load balancer's default pool ({@link LoadBalancer#select}). */
    DEFAULT_POOL
  }

  private static final Logger LOG = LoggerFactory.getLogger(LoadBalancedHttpClient.class);
  private static final Set<String> WARNED_HEADERS = ConcurrentHashMap.newKeySet();
  /**
   * The longest request timeout the JDK 17 client handles: its timer computes in milliseconds and
   * dies on an overflow beyond this (the whole client stops), so longer timeouts are capped here.
   */
  private static final Duration MAX_JDK_TIMEOUT = Duration.ofNanos(Long.MAX_VALUE);

  private final LoadBalancer lb;
  private final HttpClient client;
  private final @Nullable RetryPolicy retryPolicy;
  private final @Nullable HedgingPolicy hedging;
  private final AttemptLoop loop;
  private final Ticker ticker;
  private final Scheduler scheduler;
  private final UnknownHosts unknownHosts;
  private final @Nullable HealthListener healthLog;

  private LoadBalancedHttpClient(Builder b) {
    this.lb = b.lb;
    HttpClient c = b.client;
    this.client = c != null ? c : HttpClient.newHttpClient();
    this.retryPolicy = b.noRetries ? null : b.retryPolicy != null ? b.retryPolicy
        : RetryPolicy.builder().build();
    this.hedging = b.hedging;
    this.ticker = b.ticker;
    Scheduler s = b.scheduler;
    this.scheduler = s != null ? s : LoadBalancedHttpClient::delayed;
    AttemptLoop.Builder attempts =
        AttemptLoop.builder(lb)
            .retryPolicy(retryPolicy)
            .ticker(ticker)
            .scheduler(scheduler)
            .sleeper(this::sleep);
    if (hedging != null) {
      attempts.hedging(hedging);
    }
    // Retries and hedges start on the wrapped client's executor when it has one, as its own
    // asynchronous work does; when that executor refuses (shut down), the last result stands.
    client.executor().ifPresent(attempts::executor);
    this.loop = attempts.build();
    this.unknownHosts = b.unknownHosts;
    if (b.logHealthChanges) {
      HealthListener listener = LoadBalancedHttpClient::logHealth;
      lb.addHealthListener(listener);
      this.healthLog = listener;
    } else {
      this.healthLog = null;
    }
    // DEBUG: an application may build a client per use; INFO is for what changes in the pools.
    LOG.debug("balancing over pools {} ({}{}; unknown hosts: {})", lb.poolNames(),
        retryPolicy == null ? "no retries" : retryPolicy,
        hedging == null ? "" : "; " + hedging, unknownHosts);
  }

  /**
   * Starts building a client over a load balancer.
   *
   * @param loadBalancer the load balancer; not closed by the client
   * @return a builder
   */
  public static Builder builder(LoadBalancer loadBalancer) {
    return new Builder(loadBalancer);
  }

  /**
   * A client over a load balancer with the defaults: a new JDK client, the safe retry policy,
   * unknown hosts rejected.
   *
   * @param loadBalancer the load balancer; not closed by the client
   * @return the client
   */
  public static LoadBalancedHttpClient of(LoadBalancer loadBalancer) {
    return builder(loadBalancer).build();
  }

  /**
   * The load balancer that chooses the backends.
   *
   * @return the load balancer
   */
  public LoadBalancer loadBalancer() {
    return lb;
  }

  /**
   * The wrapped client that sends the requests.
   *
   * @return the wrapped client
   */
  public HttpClient delegate() {
    return client;
  }

  // ------------------------------------------------------------ HttpClient: the wrapped client's

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return client.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return client.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return client.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return client.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return client.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return client.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return client.authenticator();
  }

  @Override
  public Version version() {
    return client.version();
  }

  @Override
  public Optional<Executor> executor() {
    return client.executor();
  }

  /**
   * The wrapped client's WebSocket builder: WebSocket connections are not balanced.
   *
   * @return the wrapped client's builder
   */
  @Override
  public WebSocket.Builder newWebSocketBuilder() {
    return client.newWebSocketBuilder();
  }

  // ------------------------------------------------------------ sending

  /**
   * Sends the request to a backend chosen by the load balancer, retrying per the retry policy, and
   * waits for the response. Runs on the calling thread, like the JDK client's own {@code send}:
   * each attempt is a blocking {@code send} of the wrapped client, a back-off sleeps.
   *
   * @param request the request to a logical service
   * @param responseBodyHandler the body handler of the final response
   * @param <T> the body type
   * @return the final response
   * @throws IOException when the last attempt failed with an I/O error (after the retries), as the
   *     wrapped client threw it
   * @throws InterruptedException when interrupted; the attempt is cancelled and its lease released
   * @throws RequestRejectedException when a policy rejected the request (nothing was sent)
   * @throws NoBackendAvailableException when no backend could take it, or its host names no pool
   */
  @Override
  public <T> HttpResponse<T> send(
      HttpRequest request, HttpResponse.BodyHandler<T> responseBodyHandler)
      throws IOException, InterruptedException {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(responseBodyHandler, "responseBodyHandler");
    HttpRequestView view = new HttpRequestView(request);
    Selection selection = select(view);
    if (selection == null) {
      return client.send(request, responseBodyHandler);
    }
    if (selection instanceof Lease lease) {
      Call<T> call;
      try {
        call = new Call<>(view, responseBodyHandler, null, lease);
      } catch (RuntimeException e) {
        lease.close();
        throw e;
      }
      return call.sendSync();
    }
    throw refusal(view, selection);
  }

  /**
   * Sends the request asynchronously to a backend chosen by the load balancer, retrying per the
   * retry policy. Completing the returned future yourself (cancel, {@code orTimeout}) cancels the
   * attempt in progress and releases its lease before the future completes.
   *
   * @param request the request to a logical service
   * @param responseBodyHandler the body handler of the final response
   * @param <T> the body type
   * @return the final response, or the failure ({@link RequestRejectedException}, {@link
   *     NoBackendAvailableException}, or the last attempt's I/O error)
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> responseBodyHandler) {
    return sendAsync(request, responseBodyHandler, null);
  }

  /**
   * Like {@link #sendAsync(HttpRequest, HttpResponse.BodyHandler)}, with a handler for HTTP/2
   * server pushes (which come from the backend, unbalanced).
   *
   * @param request the request to a logical service
   * @param responseBodyHandler the body handler of the final response
   * @param pushPromiseHandler the push promise handler, or {@code null}
   * @param <T> the body type
   * @return the final response, or the failure
   */
  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> responseBodyHandler,
      HttpResponse.@Nullable PushPromiseHandler<T> pushPromiseHandler) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(responseBodyHandler, "responseBodyHandler");
    HttpRequestView view = new HttpRequestView(request);
    Selection selection = select(view);
    if (selection == null) {
      return client.sendAsync(request, responseBodyHandler, pushPromiseHandler);
    }
    if (selection instanceof Lease lease) {
      Call<T> call;
      try {
        call = new Call<>(view, responseBodyHandler, pushPromiseHandler, lease);
      } catch (RuntimeException e) {
        lease.close();
        return CompletableFuture.failedFuture(e);
      }
      return call.sendAsync();
    }
    return CompletableFuture.failedFuture(refusal(view, selection));
  }

  /** The first selection, or {@code null} to pass an unknown host through unbalanced. */
  private @Nullable Selection select(HttpRequestView view) {
    Selection selection = lb.selectByHost(view);
    if (selection instanceof NoBackend none && none.reason() == NoBackend.Reason.NO_ROUTE) {
      switch (unknownHosts) {
        case PASS_THROUGH -> {
          LOG.debug("{}: not balanced ({})", view, none.message());
          return null;
        }
        case DEFAULT_POOL -> {
          Selection fallback = lb.select(view);
          if (!(fallback instanceof NoBackend again
              && again.reason() == NoBackend.Reason.NO_ROUTE)) {
            selection = fallback; // else keep the message that names the host
          }
        }
        case REJECT -> {
          // refused below, with the message that names the host and the pools
        }
      }
    }
    return selection;
  }

  /** The exception for a selection without a lease. */
  private static RuntimeException refusal(HttpRequestView view, Selection selection) {
    if (selection instanceof Rejected rejected) {
      LOG.debug("{}: rejected by policy '{}': {} {}", view, rejected.policy(), rejected.status(),
          rejected.reason());
      return new RequestRejectedException(rejected);
    }
    if (selection instanceof NoBackend none) {
      LOG.debug("{}: no backend ({}): {}", view, none.reason(), none.message());
      return new NoBackendAvailableException(none);
    }
    // Neither a lease, a rejection nor "no backend": a selection type this client predates.
    throw new IllegalStateException("unexpected selection " + selection + " for " + view);
  }

  /**
   * Stops logging this client's load balancer's health changes. Does not close the load balancer
   * or the wrapped client, which belong to the caller; requests may still be sent. Idempotent.
   */
  @Override
  public void close() {
    HealthListener listener = healthLog;
    if (listener != null) {
      lb.removeHealthListener(listener);
    }
  }

  @Override
  public String toString() {
    return "LoadBalancedHttpClient{pools=" + lb.poolNames() + ", "
        + (retryPolicy == null ? "no retries" : retryPolicy)
        + (hedging == null ? "" : ", " + hedging) + ", unknown hosts " + unknownHosts
        + "}";
  }

  /** The default scheduler: the JDK's shared delayed executor, no thread of the client's own. */
  private static Scheduler.Cancellable delayed(Runnable task, long delayNanos) {
    CompletableFuture<Void> f =
        CompletableFuture.runAsync(
            task, CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS));
    return () -> f.cancel(false); // a cancelled runAsync never runs its task
  }

  /** A blocking call's back-off: over when the scheduler runs a task after it, by its ticker. */
  private void sleep(long nanos) throws InterruptedException {
    CountDownLatch over = new CountDownLatch(1);
    Scheduler.Cancellable wake = scheduler.schedule(over::countDown, nanos);
    try {
      over.await();
    } catch (InterruptedException e) {
      wake.cancel();
      throw e;
    }
  }

  private static void logHealth(HealthEvent event) {
    if (event instanceof HealthEvent.StatusChanged c) {
      LOG.info("pool '{}' backend '{}': {} -> {} ({})", c.pool(), c.backendId(), c.from(), c.to(),
          c.reason());
    } else if (event instanceof HealthEvent.PanicChanged p) {
      // In words, not the record: its nanoTime is a ticker reading that means nothing in a log.
      // The reason has the numbers and the threshold.
      LOG.info("pool '{}': {} panic mode ({})", p.pool(), p.panic() ? "entered" : "left",
          p.reason());
    } else if (event instanceof HealthEvent.BackendAdded a) {
      LOG.info("pool '{}': backend '{}' added as {} ({})", a.pool(), a.backendId(), a.status(),
          a.reason());
    } else if (event instanceof HealthEvent.BackendRemoved r) {
      LOG.info("pool '{}': backend '{}' removed, was {} ({})", r.pool(), r.backendId(),
          r.lastStatus(), r.reason());
    }
  }

  // ------------------------------------------------------------ one call, its attempts

  /**
   * One request, as the attempt loop's transport: what is about {@code java.net.http} (rewriting
   * the request to the backend, classifying failures, keeping bodies aside and replaying them,
   * the future the caller gets). Retries, back-off, budget, deadline and hedging are lb-core's
   * {@link Execution}.
   */
  private final class Call<T> {
    private final HttpRequestView view;
    private final HttpRequest original;
    private final HttpResponse.BodyHandler<T> handler;
    private final HttpResponse.@Nullable PushPromiseHandler<T> push;
    private final boolean replayable;
    private final Execution<Sent> execution;
    private final boolean hasDeadline;
    private final long deadline; // the ticker's reading when the request's own timeout ends
    private @Nullable Result result; // asynchronous calls only

    Call(
        HttpRequestView view,
        HttpResponse.BodyHandler<T> handler,
        HttpResponse.@Nullable PushPromiseHandler<T> push,
        Lease first) {
      this.view = view;
      this.original = view.request();
      this.handler = handler;
      this.push = push;
      // A body that cannot be sent again rules out retries and hedges, whatever the method.
      this.replayable = isReplayable(original);
      Duration timeout = original.timeout().orElse(null);
      long t = timeout == null ? Long.MAX_VALUE : saturatedNanos(timeout);
      this.hasDeadline = t < Long.MAX_VALUE / 2;
      this.deadline = hasDeadline ? ticker.nanoTime() + t : 0;
      this.execution = loop.begin(view, first, replayable, timeout);
    }

    // ---------------------------------------------------------- synchronous

    HttpResponse<T> sendSync() throws IOException, InterruptedException {
      if (loop.hedges(view, replayable)) {
        return awaitAsync(); // hedges need two attempts in flight: not on one blocked thread
      }
      CallResult<Sent> done = execution.runBlocking(this::sendOne);
      AttemptResult<Sent> r = done.result();
      if (r.kind() != AttemptResult.Kind.RESPONSE) {
        Throwable c = failure(done);
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re; // as the wrapped client threw it
        }
        if (c instanceof Error e) {
          throw e;
        }
        throw new IOException(c.getMessage(), c);
      }
      Sent sent = Objects.requireNonNull(r.value());
      HttpResponse<Object> response = Objects.requireNonNull(sent.response);
      if (!sent.keptAside) {
        return finalResponse(sent, response);
      }
      try {
        return finalResponse(sent, response, replay(response).get());
      } catch (ExecutionException e) {
        Throwable c = unwrap(e);
        throw c instanceof IOException io ? io : new IOException(c.getMessage(), c);
      } catch (RuntimeException | Error e) { // the caller's handler threw: as the JDK's send,
        throw new IOException(e.getMessage(), e); // an IOException with it as the cause
      }
    }

    /**
     * One attempt of a blocking call, on the calling thread: the wrapped client's exchange, waited
     * for, its failure shaped as the wrapped client's {@code send} would throw it.
     */
    private AttemptResult<Sent> sendOne(Attempt<Sent> attempt) throws InterruptedException {
      HttpRequest forwarded;
      try {
        forwarded = forward(attempt);
      } catch (RuntimeException | HttpTimeoutException e) {
        return AttemptResult.notSent(e);
      }
      Sent sent = new Sent(attempt, forwarded);
      Exchange exchange;
      try {
        exchange = exchange(sent, true);
      } catch (RuntimeException e) {
        return sent.result(null, e);
      }
      try {
        return exchange.outcome.get();
      } catch (InterruptedException e) {
        exchange.cancel(); // as the wrapped client's send does when interrupted
        throw e;
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof Error err) {
          throw err;
        }
        throw c instanceof RuntimeException re ? re : new IllegalStateException(c);
      }
    }

    /**
     * Starts one attempt with the wrapped client's {@code sendAsync}; its outcome completes {@link
     * Exchange#outcome}. The attempt's timeout runs on the client's scheduler: when it passes
     * before the response's headers arrived, the exchange is cancelled and the attempt ends with
     * an {@link HttpTimeoutException}, as the JDK client's own request timeout would end it (the
     * forwarded request carries no timeout of its own). The body's time is {@link Bounded}'s.
     *
     * @param blocking shape failures as the wrapped client's blocking {@code HttpClient.send}
     *     throws them
     */
    private Exchange exchange(Sent sent, boolean blocking) {
      Exchange exchange = new Exchange();
      Duration timeout = sent.attempt.timeout();
      // Armed before the request goes out, so the timer runs from the moment it is sent.
      if (timeout != null) {
        exchange.timer =
            scheduler.schedule(
                () -> {
                  if (sent.headersOrTimeout.compareAndSet(false, true)) {
                    exchange.outcome.complete(
                        AttemptResult.failure(
                            ErrorKind.TIMEOUT,
                            new HttpTimeoutException("request timed out"),
                            false,
                            sent));
                    exchange.cancel();
                  }
                },
                saturatedNanos(timeout));
      }
      CompletableFuture<HttpResponse<Object>> f;
      try {
        f = client.sendAsync(sent.forwarded, sent, blocking ? null : pushHandler());
      } catch (RuntimeException e) {
        exchange.cancel();
        throw e;
      }
      exchange.started(f);
      @SuppressWarnings("unused") // the callback completes the outcome either way
      CompletableFuture<?> unused =
          f.whenComplete(
              (response, error) -> {
                exchange.timer.cancel();
                try {
                  exchange.outcome.complete(
                      sent.result(
                          response,
                          error == null || !blocking ? error : asSendThrows(unwrap(error))));
                } catch (RuntimeException | Error e) {
                  exchange.outcome.completeExceptionally(e);
                }
              });
      return exchange;
    }

    /** A blocking call that may be hedged: the asynchronous call, waited for. */
    private HttpResponse<T> awaitAsync() throws IOException, InterruptedException {
      CompletableFuture<HttpResponse<T>> f = sendAsync();
      try {
        return f.get();
      } catch (InterruptedException e) {
        f.cancel(true); // releases every lease in flight
        throw e;
      } catch (ExecutionException e) {
        Throwable c = unwrap(e);
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException re) {
          throw re;
        }
        if (c instanceof Error err) {
          throw err;
        }
        throw new IOException(c.getMessage(), c);
      }
    }

    // ---------------------------------------------------------- asynchronous

    CompletableFuture<HttpResponse<T>> sendAsync() {
      Result r = new Result();
      result = r;
      @SuppressWarnings("unused") // the callback completes the call either way
      CompletableFuture<?> unused =
          execution
              .runAsync(this::startOne)
              .whenComplete(
                  (done, error) -> {
                    // An error is the execution cancelled by the caller's completion of r, which
                    // the caller's value or exception completes right after.
                    if (error == null) {
                      finalAsync(r, done);
                    }
                  });
      return r;
    }

    /** Starts one attempt with the wrapped client's asynchronous send. */
    private Scheduler.Cancellable startOne(Attempt<Sent> attempt) {
      HttpRequest forwarded;
      try {
        forwarded = forward(attempt);
      } catch (RuntimeException | HttpTimeoutException e) {
        attempt.complete(AttemptResult.notSent(e));
        return () -> {};
      }
      Sent sent = new Sent(attempt, forwarded);
      Exchange exchange;
      try {
        exchange = exchange(sent, false);
      } catch (RuntimeException e) { // IllegalArgumentException from a misconfigured client
        attempt.complete(AttemptResult.notSent(e));
        return () -> {};
      }
      @SuppressWarnings("unused") // the callback completes the attempt either way
      CompletableFuture<?> unused =
          exchange.outcome.whenComplete(
              (r, error) ->
                  attempt.complete(
                      r != null ? r : AttemptResult.callerFailure(unwrap(error), 0, sent)));
      return exchange::cancel;
    }

    private void finalAsync(Result r, CallResult<Sent> done) {
      AttemptResult<Sent> res = done.result();
      if (res.kind() != AttemptResult.Kind.RESPONSE) {
        r.fail(failure(done));
        return;
      }
      Sent sent = Objects.requireNonNull(res.value());
      HttpResponse<Object> response = Objects.requireNonNull(sent.response);
      if (!sent.keptAside) {
        r.succeed(finalResponse(sent, response));
        return;
      }
      CompletableFuture<T> body;
      try {
        body = replay(response);
      } catch (RuntimeException e) {
        r.fail(e);
        return;
      }
      @SuppressWarnings("unused") // the callback completes the call either way
      CompletableFuture<?> unused =
          body.whenComplete(
              (value, error) -> {
                if (error != null) {
                  r.fail(unwrap(error));
                } else {
                  r.succeed(finalResponse(sent, response, value));
                }
              });
    }

    /** The caller completed the future (cancel, orTimeout): stop the attempts, release leases. */
    private void abandon() {
      execution.cancel();
    }

    @SuppressWarnings("unchecked")
    private HttpResponse.@Nullable PushPromiseHandler<Object> pushHandler() {
      return (HttpResponse.PushPromiseHandler<Object>) (HttpResponse.PushPromiseHandler<?>) push;
    }

    // ---------------------------------------------------------- shared

    /**
     * The exception the caller gets for a call without a response: a backend's failure names the
     * pool, the attempts and the backends tried, keeps its type, and carries the earlier attempts'
     * failures as suppressed exceptions; any other failure is passed on as it was thrown.
     */
    private Throwable failure(CallResult<Sent> done) {
      AttemptResult<Sent> r = done.result();
      Throwable c = Objects.requireNonNull(r.error());
      if (r.kind() != AttemptResult.Kind.FAILURE || r.errorKind() == ErrorKind.CANCELLED) {
        return c;
      }
      Throwable explained = explain(c, done.failureMessage(c.getMessage()));
      for (Throwable earlier : done.earlierFailures()) {
        if (earlier != c && earlier != explained) {
          explained.addSuppressed(earlier);
        }
      }
      LOG.debug("{}: failed: {}", view, explained.getMessage());
      return explained;
    }

    private HttpRequest forward(Attempt<Sent> attempt) throws HttpTimeoutException {
      String expired = attempt.expired();
      if (expired != null) {
        throw new HttpTimeoutException(expired);
      }
      Lease lease = attempt.lease();
      Backend backend = lease.backend();
      URI base = backend.uri();
      String path = view.path();
      RouteMatch route = lease.route();
      if (route != null) {
        path = route.rewrite(path);
      }
      StringBuilder target =
          new StringBuilder(96).append(base.getScheme()).append("://")
              .append(base.getRawAuthority());
      String basePath = base.getRawPath();
      if (basePath != null && !basePath.isEmpty() && !basePath.equals("/")) {
        target.append(basePath, 0, basePath.endsWith("/") ? basePath.length() - 1
            : basePath.length());
      }
      target.append(path);
      String query = view.query();
      if (query != null) {
        target.append('?').append(query);
      }
      HeaderChanges edits = lease.requestHeaders();
      HttpRequest.Builder builder;
      if (edits.isEmpty()) {
        builder = HttpRequest.newBuilder(original, (name, value) -> true);
      } else {
        Map<String, List<String>> edited = edit(original.headers(), edits);
        builder = HttpRequest.newBuilder(original, (name, value) -> !edited.containsKey(name));
        for (Map.Entry<String, List<String>> e : edited.entrySet()) {
          for (String value : e.getValue()) {
            try {
              builder.header(e.getKey(), value);
            } catch (IllegalArgumentException refused) {
              if (WARNED_HEADERS.add(e.getKey().toLowerCase(java.util.Locale.ROOT))) {
                LOG.warn("header '{}' set by a policy is not sent: the JDK client refuses it ({})",
                    e.getKey(), refused.getMessage());
              }
            }
          }
        }
      }
      builder.uri(URI.create(target.toString()));
      // The attempt's timeout runs on the client's scheduler (see exchange), not the JDK client's
      // timer: the forwarded request must not keep the original's timeout.
      if (original.timeout().isPresent()) {
        builder.timeout(MAX_JDK_TIMEOUT); // the longest the JDK client handles: none, in effect
      }
      HttpRequest forwarded = builder.build();
      LOG.debug("{} {} -> {}/{} {}", view, attempt, lease.pool(), backend.id(), forwarded.uri());
      return forwarded;
    }

    /** Hands a body kept aside (the attempt might have been retried) to the caller's handler. */
    private CompletableFuture<T> replay(HttpResponse<Object> response) {
      byte[] bytes = (byte[]) response.body();
      HttpResponse.BodySubscriber<T> subscriber = handler.apply(new ResponseMeta(response));
      subscriber.onSubscribe(new Replay(subscriber, bytes));
      return subscriber.getBody().toCompletableFuture();
    }

    /** The caller's response to an attempt whose body went straight to the caller's handler. */
    @SuppressWarnings("unchecked") // the caller's handler made the body: a T
    private HttpResponse<T> finalResponse(Sent sent, HttpResponse<Object> response) {
      return finalResponse(sent, response, (T) response.body());
    }

    /** The caller's response: the policies' response header edits applied. */
    private HttpResponse<T> finalResponse(Sent sent, HttpResponse<?> response, T body) {
      HeaderChanges edits;
      try {
        edits =
            sent.attempt.lease().responseHeaders(
                new HttpRequestView(sent.forwarded), new ResponseMeta(response));
      } catch (RuntimeException e) { // the engine logs and skips failing policies; be safe anyway
        LOG.warn("{}: response header edits failed", view, e);
        edits = HeaderChanges.none();
      }
      if (edits.isEmpty() && response.body() == body) {
        @SuppressWarnings("unchecked")
        HttpResponse<T> same = (HttpResponse<T>) response;
        return same;
      }
      HttpHeaders headers =
          edits.isEmpty()
              ? response.headers()
              : HttpHeaders.of(editAll(response.headers(), edits), (n, v) -> true);
      @SuppressWarnings("unchecked")
      Optional<HttpResponse<T>> previous =
          response.body() == body
              ? ((HttpResponse<T>) response).previousResponse()
              : Optional.empty();
      return new BalancedResponse<>(response, headers, body, previous);
    }

    /**
     * The future an asynchronous call returns. Completed by the call; when the caller completes it
     * first (cancel, {@code orTimeout}, {@code completeOnTimeout}), the attempt is cancelled and
     * its lease released before the future completes, so no callback sees a lease still open.
     */
    private final class Result extends CompletableFuture<HttpResponse<T>> {

      void succeed(HttpResponse<T> response) {
        super.complete(response);
      }

      void fail(Throwable error) {
        super.completeExceptionally(error);
      }

      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        if (!isDone()) {
          abandon();
        }
        return super.cancel(mayInterruptIfRunning);
      }

      @Override
      public boolean complete(HttpResponse<T> value) {
        if (!isDone()) {
          abandon();
        }
        return super.complete(value);
      }

      @Override
      public boolean completeExceptionally(Throwable ex) {
        if (!isDone()) {
          abandon();
        }
        return super.completeExceptionally(ex);
      }

      /**
       * Runs {@code supplier} on {@code executor} and completes this future with its value, as
       * the caller's completion (so the attempt is cancelled and its lease released first).
       */
      @Override
      public CompletableFuture<HttpResponse<T>> completeAsync(
          java.util.function.Supplier<? extends HttpResponse<T>> supplier, Executor executor) {
        Objects.requireNonNull(supplier, "supplier");
        Objects.requireNonNull(executor, "executor");
        executor.execute(
            () -> {
              try {
                complete(supplier.get());
              } catch (RuntimeException | Error e) {
                completeExceptionally(e);
              }
            });
        return this;
      }

      /** Not supported: the call's result is not to be replaced. */
      @Override
      public void obtrudeValue(HttpResponse<T> value) {
        throw new UnsupportedOperationException("obtrudeValue");
      }

      /** Not supported: the call's result is not to be replaced. */
      @Override
      public void obtrudeException(Throwable ex) {
        throw new UnsupportedOperationException("obtrudeException");
      }

      /** Dependent stages cancel the call when cancelled, as the JDK client's do. */
      @Override
      public <U> CompletableFuture<U> newIncompleteFuture() {
        return new Dependent<>();
      }
    }

    /**
     * A stage that depends on the call's future ({@code thenApply}, {@code copy}, ...): cancelling
     * it cancels the call, releasing the lease first.
     */
    private final class Dependent<U> extends CompletableFuture<U> {
      @Override
      public boolean cancel(boolean mayInterruptIfRunning) {
        if (!isDone()) {
          abandon();
        }
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        Result r = result;
        if (r != null) {
          r.cancel(mayInterruptIfRunning);
        }
        return cancelled;
      }

      @Override
      public <V> CompletableFuture<V> newIncompleteFuture() {
        return new Dependent<>();
      }
    }

    /** An attempt's exchange: how it ended, and how to stop it (and its timer). */
    private final class Exchange {
      final CompletableFuture<AttemptResult<Sent>> outcome = new CompletableFuture<>();
      volatile Scheduler.Cancellable timer = () -> {};
      private volatile @Nullable CompletableFuture<HttpResponse<Object>> response;
      private volatile boolean cancelled;

      /** The wrapped client's exchange started; cancelled at once if the attempt already was. */
      void started(CompletableFuture<HttpResponse<Object>> f) {
        response = f;
        if (cancelled) {
          f.cancel(true);
        }
      }

      void cancel() {
        cancelled = true;
        timer.cancel();
        CompletableFuture<HttpResponse<Object>> f = response;
        if (f != null) {
          f.cancel(true); // the JDK client aborts the exchange
        }
      }
    }

    /**
     * One attempt on the wire: its forwarded request; its body handler keeps the body aside while
     * the loop may still retry (or hedge), hands it to the caller's handler once the attempt is
     * the call's answer, and drops it when another attempt won.
     */
    private final class Sent implements HttpResponse.BodyHandler<Object> {
      final Attempt<Sent> attempt;
      final HttpRequest forwarded;
      final long sentAt = ticker.nanoTime();
      /** Set once: by the response's headers, or by the attempt's timeout if it passes first. */
      final AtomicBoolean headersOrTimeout = new AtomicBoolean();
      volatile int status;
      volatile boolean keptAside;
      volatile @Nullable Observed<T> callersHandler;
      volatile @Nullable HttpResponse<Object> response;

      Sent(Attempt<Sent> attempt, HttpRequest forwarded) {
        this.attempt = attempt;
        this.forwarded = forwarded;
      }

      @Override
      @SuppressWarnings("unchecked")
      public HttpResponse.BodySubscriber<Object> apply(HttpResponse.ResponseInfo info) {
        if (!headersOrTimeout.compareAndSet(false, true)) { // timed out: the attempt is over
          return (HttpResponse.BodySubscriber<Object>)
              (HttpResponse.BodySubscriber<?>) HttpResponse.BodySubscribers.discarding();
        }
        status = info.statusCode();
        if (attempt.mayRetry(status)) {
          keptAside = true;
          // A retry may follow: the body kept aside is bounded by this attempt's own timeout.
          Duration own = attempt.timeout();
          long until = own == null ? Long.MAX_VALUE : sentAt + saturatedNanos(own);
          if (hasDeadline && (own == null || deadline - until < 0)) {
            until = deadline;
          }
          HttpResponse.BodySubscriber<byte[]> bytes = HttpResponse.BodySubscribers.ofByteArray();
          return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>)
              (own == null && !hasDeadline ? bytes
                  : new Bounded<>(bytes, until, ticker, scheduler, "attempt timed out while its response body"
                      + " (kept aside, status " + status + ") was arriving"));
        }
        if (!attempt.commit()) { // another attempt is the answer, or the call was cancelled
          return (HttpResponse.BodySubscriber<Object>)
              (HttpResponse.BodySubscriber<?>) HttpResponse.BodySubscribers.discarding();
        }
        Observed<T> observed = new Observed<>(handler.apply(info));
        callersHandler = observed;
        // The call's answer: its body, however the caller's handler reads it, is bounded by the
        // request's own timeout (the JDK client's stops at the headers).
        return (HttpResponse.BodySubscriber<Object>) (HttpResponse.BodySubscriber<?>)
            (hasDeadline ? new Bounded<>(observed, deadline, ticker, scheduler, "request timed out while its"
                + " response body was arriving (timeout " + original.timeout().orElse(null) + ")")
                : observed);
      }

      /** Classifies how the exchange ended, for the loop. */
      AttemptResult<Sent> result(
          @Nullable HttpResponse<Object> response, @Nullable Throwable error) {
        if (response != null) {
          this.response = response;
          return AttemptResult.response(response.statusCode(), this);
        }
        Throwable c = unwrap(Objects.requireNonNull(error));
        Observed<T> observed = callersHandler;
        // A failure the caller's body handler produced itself (a file it cannot write, a parse
        // error, a handler that threw) is not the backend's: the handler threw, or the JDK never
        // reported a transport error to it.
        boolean callers = observed != null && (observed.handlerFailed || !observed.transportFailed);
        ErrorKind kind = callers ? null : TransportErrors.classify(c);
        if (kind == null) {
          // Not an I/O failure: the caller's body handler or request body publisher threw.
          return AttemptResult.callerFailure(c, status, this);
        }
        // Once part of the response went to the caller's handler, it is never retried.
        return AttemptResult.failure(kind, c, observed != null, this);
      }
    }
  }

  /**
   * The same exception type with a message that says what happened, the original as its cause;
   * a type this does not know is passed on as it is.
   */
  static Throwable explain(Throwable c, String message) {
    Class<?> type = c.getClass();
    Throwable e =
        type == ConnectException.class ? new ConnectException(message)
            : type == HttpConnectTimeoutException.class ? new HttpConnectTimeoutException(message)
            : type == HttpTimeoutException.class ? new HttpTimeoutException(message)
            : type == IOException.class ? new IOException(message)
            : type == java.io.EOFException.class ? new java.io.EOFException(message)
            : type == java.net.ProtocolException.class ? new java.net.ProtocolException(message)
            : type == NoRouteToHostException.class ? new NoRouteToHostException(message)
            : type == UnknownHostException.class ? new UnknownHostException(message)
            : type == SSLHandshakeException.class ? new SSLHandshakeException(message)
            : null;
    if (e == null) {
      return c;
    }
    e.initCause(c);
    e.setStackTrace(c.getStackTrace());
    return e;
  }

  // ------------------------------------------------------------ helpers

  /**
   * The request headers after the edits, for the edited names only (case-insensitive keys).
   */
  private static Map<String, List<String>> edit(HttpHeaders headers, HeaderChanges edits) {
    Map<String, List<String>> edited = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (HeaderChanges.Change c : edits.changes()) {
      List<String> values =
          edited.computeIfAbsent(c.name(), n -> new ArrayList<>(headers.allValues(n)));
      switch (c.op()) {
        case SET -> {
          values.clear();
          values.add(c.value());
        }
        case ADD -> values.add(c.value());
        case REMOVE -> values.clear();
      }
    }
    return edited;
  }

  /** All response headers after the edits. */
  private static Map<String, List<String>> editAll(HttpHeaders headers, HeaderChanges edits) {
    Map<String, List<String>> all = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    all.putAll(headers.map());
    all.putAll(edit(headers, edits));
    all.values().removeIf(List::isEmpty);
    return all;
  }

  /**
   * Whether the request body can be sent again: none, an empty one ({@code noBody()}, or any
   * publisher of length 0), the JDK's in-memory ones, or one made by {@link ReplayableBody}.
   */
  static boolean isReplayable(HttpRequest request) {
    Optional<HttpRequest.BodyPublisher> publisher = request.bodyPublisher();
    return publisher.isEmpty()
        || publisher.get().contentLength() == 0
        || ReplayableBody.isReplayable(publisher.get());
  }

  /**
   * What the wrapped client's blocking {@code send} throws for an exchange that failed with
   * {@code c} (the JDK's {@code send} waits for its own asynchronous exchange and throws a new
   * exception of the same kind, with the message and, mostly, the original as its cause): a
   * blocking call's attempt fails as it failed when it was sent with {@code send}.
   */
  static Throwable asSendThrows(Throwable c) {
    String message = c.getMessage();
    if (c instanceof IllegalArgumentException) {
      return new IllegalArgumentException(message, c);
    }
    if (c instanceof SecurityException) {
      return new SecurityException(message, c);
    }
    Throwable e;
    if (c instanceof HttpConnectTimeoutException) {
      e = new HttpConnectTimeoutException(message);
    } else if (c instanceof HttpTimeoutException) {
      return new HttpTimeoutException(message);
    } else if (c instanceof ConnectException) {
      e = new ConnectException(message);
    } else if (c instanceof SSLHandshakeException) {
      e = new SSLHandshakeException(message);
    } else if (c instanceof SSLException) {
      return new SSLException(message, c);
    } else {
      return new IOException(message, c); // any other failure, the body handler's included
    }
    e.initCause(c);
    return e;
  }

  /** The duration in nanoseconds, {@link Long#MAX_VALUE} beyond. */
  private static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException beyondNanos) {
      return Long.MAX_VALUE;
    }
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }

  /** A response's status and headers, as body handlers and policies' response steps see them. */
  private static final class ResponseMeta implements HttpResponse.ResponseInfo, ResponseView {
    private final HttpResponse<?> response;

    ResponseMeta(HttpResponse<?> response) {
      this.response = response;
    }

    @Override
    public int statusCode() {
      return response.statusCode();
    }

    @Override
    public int status() {
      return response.statusCode();
    }

    @Override
    public HttpHeaders headers() {
      return response.headers();
    }

    @Override
    public @Nullable String header(String name) {
      return response.headers().firstValue(name).orElse(null);
    }

    @Override
    public HttpClient.Version version() {
      return response.version();
    }
  }

  /**
   * The caller's body subscriber, watched: whether the JDK reported a transport failure to it
   * ({@code onError}), which tells a backend's failure from one the caller's handler produced.
   */
  private static final class Observed<T> implements HttpResponse.BodySubscriber<T> {
    private final HttpResponse.BodySubscriber<T> delegate;
    volatile boolean transportFailed;
    volatile boolean handlerFailed;

    Observed(HttpResponse.BodySubscriber<T> delegate) {
      this.delegate = delegate;
    }

    @Override
    public java.util.concurrent.CompletionStage<T> getBody() {
      return delegate.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      try {
        delegate.onSubscribe(subscription);
      } catch (RuntimeException | Error e) {
        handlerFailed = true;
        throw e;
      }
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      try {
        delegate.onNext(item);
      } catch (RuntimeException | Error e) {
        handlerFailed = true;
        throw e;
      }
    }

    @Override
    public void onError(Throwable throwable) {
      transportFailed = true; // the JDK also passes on what the handler itself threw
      delegate.onError(throwable);
    }

    @Override
    public void onComplete() {
      try {
        delegate.onComplete();
      } catch (RuntimeException | Error e) {
        handlerFailed = true;
        throw e;
      }
    }
  }

  /**
   * A body subscriber with a deadline: when it passes before the body ended, the body's
   * subscription is cancelled (the JDK client closes the connection) and the subscriber gets
   * {@code onError(HttpTimeoutException)}, so {@code send} throws it, {@code sendAsync}'s future
   * fails with it, and a streaming body (an {@code InputStream}, lines, a publisher) ends with it.
   * Signals to the subscriber stay serial: they are passed on under this object's lock.
   */
  private static final class Bounded<T> implements HttpResponse.BodySubscriber<T> {
    private final HttpResponse.BodySubscriber<T> delegate;
    private final String message;
    private final Scheduler.Cancellable timer;
    // Guarded by this.
    private Flow.@Nullable Subscription subscription;
    private boolean done;

    Bounded(
        HttpResponse.BodySubscriber<T> delegate,
        long deadline,
        Ticker ticker,
        Scheduler scheduler,
        String message) {
      this.delegate = delegate;
      this.message = message;
      long delay = Math.max(0, deadline - ticker.nanoTime());
      this.timer = scheduler.schedule(this::expire, delay);
    }

    private void expire() {
      Flow.Subscription s;
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
        s = subscription;
      }
      // Outside the lock (completing the body's future runs the call's callbacks); serial still:
      // an onNext in progress held the lock, and none is passed on after done.
      delegate.onError(new HttpTimeoutException(message));
      if (s != null) {
        s.cancel();
      }
    }

    @Override
    public java.util.concurrent.CompletionStage<T> getBody() {
      return delegate.getBody();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      boolean expired;
      synchronized (this) {
        expired = done;
        if (!expired) {
          subscription = s;
          delegate.onSubscribe(s);
        }
      }
      if (expired) {
        s.cancel();
      }
    }

    @Override
    public synchronized void onNext(List<ByteBuffer> item) {
      if (!done) {
        delegate.onNext(item);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
        delegate.onError(throwable);
      }
      timer.cancel();
    }

    @Override
    public void onComplete() {
      synchronized (this) {
        if (done) {
          return;
        }
        done = true;
        delegate.onComplete();
      }
      timer.cancel();
    }
  }

  /** Feeds bytes kept aside to a body subscriber, honouring its demand. */
  private static final class Replay implements Flow.Subscription {
    private final Flow.Subscriber<? super List<ByteBuffer>> subscriber;
    private final byte[] bytes;
    private boolean done;

    Replay(Flow.Subscriber<? super List<ByteBuffer>> subscriber, byte[] bytes) {
      this.subscriber = subscriber;
      this.bytes = bytes;
    }

    @Override
    public synchronized void request(long n) {
      if (done) {
        return;
      }
      if (n <= 0) {
        done = true;
        subscriber.onError(new IllegalArgumentException("request(" + n + "): expected n > 0"));
        return;
      }
      done = true;
      if (bytes.length > 0) {
        subscriber.onNext(List.of(ByteBuffer.wrap(bytes)));
      }
      subscriber.onComplete();
    }

    @Override
    public synchronized void cancel() {
      done = true;
    }
  }

  /** Builds a {@link LoadBalancedHttpClient}. Each setting may be set once. Not thread-safe. */
  public static final class Builder {
    private final LoadBalancer lb;
    private @Nullable HttpClient client;
    private @Nullable RetryPolicy retryPolicy;
    private boolean noRetries;
    private @Nullable HedgingPolicy hedging;
    private UnknownHosts unknownHosts = UnknownHosts.REJECT;
    private boolean unknownHostsSet;
    private boolean logHealthChanges = true;
    private boolean logHealthChangesSet;
    private Ticker ticker = Ticker.system();
    private boolean tickerSet;
    private @Nullable Scheduler scheduler;

    private Builder(LoadBalancer lb) {
      this.lb = Objects.requireNonNull(lb, "loadBalancer");
    }

    /** Each setting may be set once: a second call is a mistake, not an override. */
    private static void requireUnset(boolean set, String setting, @Nullable Object value) {
      if (set) {
        throw new IllegalStateException(setting + " was already set to " + value);
      }
    }

    /**
     * Sends through this client: its executor, SSL context, proxy, HTTP version, timeouts,
     * redirects, cookies and authenticator apply. Default: {@link HttpClient#newHttpClient()}.
     *
     * @param client the client; must not itself be a {@code LoadBalancedHttpClient}
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder client(HttpClient client) {
      Objects.requireNonNull(client, "client");
      requireUnset(this.client != null, "client", this.client);
      if (client instanceof LoadBalancedHttpClient) {
        throw new IllegalArgumentException(
            "client: a LoadBalancedHttpClient (expected: the plain HttpClient that sends the"
                + " requests; balancing twice would send to logical hosts)");
      }
      this.client = client;
      return this;
    }

    /**
     * Retries failed attempts per this policy. Default: {@code RetryPolicy.builder().build()},
     * the safe defaults. Share one policy (and so one retry budget) between the clients of one
     * service.
     *
     * @param policy the retry policy
     * @return this builder
     * @throws IllegalStateException if a retry policy or {@link #noRetries()} was already set
     */
    public Builder retryPolicy(RetryPolicy policy) {
      Objects.requireNonNull(policy, "policy");
      requireUnset(retryPolicy != null || noRetries, "retryPolicy",
          noRetries ? "noRetries()" : retryPolicy);
      this.retryPolicy = policy;
      this.noRetries = false;
      return this;
    }

    /**
     * Never retries: every request gets exactly one attempt.
     *
     * @return this builder
     * @throws IllegalStateException if a retry policy or {@code noRetries()} was already set
     */
    public Builder noRetries() {
      requireUnset(retryPolicy != null || noRetries, "noRetries",
          noRetries ? "noRetries()" : retryPolicy);
      this.noRetries = true;
      this.retryPolicy = null;
      return this;
    }

    /**
     * Hedges idempotent requests with a replayable body: when no response arrived within the
     * policy's delay, another attempt goes to a backend not yet tried; the first final response
     * wins, and the other attempts are cancelled (their leases count as cancelled, not as
     * failures). Hedges are drawn from the retry policy's budget, so this needs retries (not
     * {@link #noRetries()}). A blocking {@code send} of a hedged request waits for the
     * asynchronous call. Default: no hedging.
     *
     * @param policy the hedging policy
     * @return this builder
     * @throws IllegalStateException if already set
     * @since 0.1.0
     */
    public Builder hedging(HedgingPolicy policy) {
      Objects.requireNonNull(policy, "policy");
      requireUnset(hedging != null, "hedging", hedging);
      this.hedging = policy;
      return this;
    }

    /**
     * What to do with a request whose host names no pool and that no routing rule matches.
     * Default: {@link UnknownHosts#REJECT}.
     *
     * @param unknownHosts the choice
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder unknownHosts(UnknownHosts unknownHosts) {
      Objects.requireNonNull(unknownHosts, "unknownHosts");
      requireUnset(unknownHostsSet, "unknownHosts", this.unknownHosts);
      this.unknownHosts = unknownHosts;
      this.unknownHostsSet = true;
      return this;
    }

    /**
     * Whether to log the load balancer's backend state changes at INFO. Default: {@code true}.
     *
     * @param log {@code false} when something else logs them already
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder logHealthChanges(boolean log) {
      requireUnset(logHealthChangesSet, "logHealthChanges", logHealthChanges);
      this.logHealthChanges = log;
      this.logHealthChangesSet = true;
      return this;
    }

    /**
     * Reads time for every timing decision of a call from this ticker: the request's deadline,
     * each attempt's timeout and its share of the deadline, the deadline of a response body, and
     * whether an attempt was cut short by the deadline. Default: {@link Ticker#system()}. Set it
     * together with a {@link #scheduler(Scheduler) scheduler} that runs by it; the load balancer's
     * own ticker (latencies, ejections) is set on its builder, usually to the same one.
     *
     * @param ticker the ticker
     * @return this builder
     * @throws IllegalStateException if already set
     * @since 0.1.0
     */
    public Builder ticker(Ticker ticker) {
      Objects.requireNonNull(ticker, "ticker");
      if (tickerSet) {
        throw new IllegalStateException("ticker was already set to " + this.ticker);
      }
      this.ticker = ticker;
      this.tickerSet = true;
      return this;
    }

    /**
     * Runs every timer of a call on this scheduler, in the {@link #ticker(Ticker) ticker}'s
     * nanoseconds: the request's and each attempt's timeout, the deadline of a response body, the
     * back-off before a retry (a blocking {@code send} waits for the scheduler to run it) and the
     * delay before a hedge. A test passes a manual clock as both ticker and scheduler and decides
     * when each of them fires, without sleeping. Default: the JDK's shared delayed executor ({@link
     * CompletableFuture#delayedExecutor}), no thread of the client's own.
     *
     * @param scheduler the scheduler; it must not run a task on the calling thread
     * @return this builder
     * @throws IllegalStateException if already set
     * @since 0.1.0
     */
    public Builder scheduler(Scheduler scheduler) {
      Objects.requireNonNull(scheduler, "scheduler");
      if (this.scheduler != null) {
        throw new IllegalStateException("scheduler was already set to " + this.scheduler);
      }
      this.scheduler = scheduler;
      return this;
    }

    /**
     * Builds the client.
     *
     * @return the client
     */
    public LoadBalancedHttpClient build() {
      if (hedging != null && noRetries) {
        throw new IllegalStateException(
            "hedging: set together with noRetries() (expected: a retry policy, whose budget"
                + " hedges draw from)");
      }
      return new LoadBalancedHttpClient(this);
    }
  }
}
