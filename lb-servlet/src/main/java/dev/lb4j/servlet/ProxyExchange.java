package dev.lb4j.servlet;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.retry.AsyncTransport;
import dev.lb4j.core.retry.Attempt;
import dev.lb4j.core.retry.AttemptResult;
import dev.lb4j.core.retry.CallResult;
import dev.lb4j.core.retry.Execution;
import dev.lb4j.core.routing.RouteMatch;
import dev.lb4j.httpclient.TransportErrors;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One proxied request: the servlet side (asynchronous mode, the client's body, the client's
 * response) and the transport the shared attempt loop drives (one JDK client exchange per attempt).
 * The loop owns the lease and records every attempt's outcome on it; this class only sends,
 * classifies and relays.
 */
final class ProxyExchange implements AsyncTransport<ProxyExchange.Sent>, AsyncListener {

  private static final System.Logger LOG = System.getLogger(ProxyExchange.class.getName());
  private static final Scheduler.Cancellable NOTHING = () -> {};

  private final LoadBalancingFilter filter;
  private final HttpServletRequest request;
  private final HttpServletResponse response;
  private final ServletRequestView view;
  private final Execution<Sent> execution;
  private final ResponseWriter writer;
  private final @Nullable RequestBody body;
  private volatile boolean clientGone;

  private ProxyExchange(
      LoadBalancingFilter filter,
      HttpServletRequest request,
      HttpServletResponse response,
      ServletRequestView view,
      Lease lease)
      throws IOException {
    this.filter = filter;
    this.request = request;
    this.response = response;
    this.view = view;
    boolean hasBody =
        request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    AsyncContext async;
    try {
      async = request.startAsync(request, response);
    } catch (IllegalStateException e) {
      lease.close();
      throw new IllegalStateException(
          "lb4j: the proxy needs asynchronous processing: register the filter (and every filter"
              + " and servlet before it on this path) with asyncSupported=true",
          e);
    }
    async.setTimeout(0); // deadlines are the attempt loop's (per try and per request)
    // A request with a body streams it once: the loop then never retries nor hedges it.
    this.execution = filter.loop().begin(view, lease, !hasBody, filter.timeout());
    try {
      this.writer = new ResponseWriter(async, response, response.getOutputStream(), this::onClientGone);
      if (hasBody) {
        long length = request.getHeader("Transfer-Encoding") != null
            ? -1 : request.getContentLengthLong();
        RequestBody b = new RequestBody(request.getInputStream(), length, this::onClientGone);
        this.body = b;
        request.getInputStream().setReadListener(b);
      } else {
        this.body = null;
      }
      async.addListener(this);
      response.getOutputStream().setWriteListener(writer);
    } catch (IOException | RuntimeException e) {
      execution.cancel(); // releases the lease
      async.complete();
      throw e;
    }
  }

  /** Starts proxying; the call continues asynchronously after this returns. */
  static void start(
      LoadBalancingFilter filter,
      HttpServletRequest request,
      HttpServletResponse response,
      ServletRequestView view,
      Lease lease)
      throws IOException {
    ProxyExchange exchange = new ProxyExchange(filter, request, response, view, lease);
    @SuppressWarnings("unused") // the callback ends the exchange either way
    CompletableFuture<?> unused =
        exchange.execution.runAsync(exchange).whenComplete(exchange::finish);
  }

  // ------------------------------------------------------------------ the transport

  @Override
  public Scheduler.Cancellable start(Attempt<Sent> attempt) {
    String expired = attempt.expired();
    if (expired != null) {
      attempt.complete(AttemptResult.notSent(new HttpTimeoutException(expired)));
      return NOTHING;
    }
    if (clientGone) {
      attempt.complete(AttemptResult.notSent(new CancellationException("the client went away")));
      return NOTHING;
    }
    HttpRequest forwarded;
    try {
      forwarded = forward(attempt);
    } catch (RuntimeException e) {
      attempt.complete(AttemptResult.notSent(e));
      return NOTHING;
    }
    Sent sent = new Sent(attempt);
    CompletableFuture<HttpResponse<@Nullable Void>> f;
    try {
      f = filter.transport().send(forwarded, sent);
    } catch (RuntimeException e) {
      attempt.complete(AttemptResult.notSent(e));
      return NOTHING;
    }
    @SuppressWarnings("unused") // the callback completes the attempt either way
    CompletableFuture<?> unused =
        f.whenComplete((r, e) -> attempt.complete(sent.result(r, e)));
    return () -> f.cancel(true); // the JDK client closes the exchange's connection
  }

  /** The request to the attempt's backend: the raw target, end-to-end headers, forwarding headers. */
  private HttpRequest forward(Attempt<Sent> attempt) {
    Lease lease = attempt.lease();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(target(lease))
            .method(
                request.getMethod(),
                body != null ? body : HttpRequest.BodyPublishers.noBody());
    Duration timeout = attempt.timeout();
    if (timeout != null) {
      b.timeout(timeout);
    }
    Map<String, List<String>> headers = requestHeaders();
    edit(headers, lease.requestHeaders());
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      for (String value : e.getValue()) {
        try {
          b.header(e.getKey(), value);
        } catch (IllegalArgumentException refused) {
          LOG.log(System.Logger.Level.DEBUG, "header ''{0}'' not forwarded: the JDK client"
              + " refuses it ({1})", e.getKey(), refused.getMessage());
        }
      }
    }
    return b.build();
  }

  /**
   * The backend's base URI, then the request's path as received (percent-encoding kept, so
   * {@code %2F} stays {@code %2F}: RFC 9112 section 3.2 request-target, forwarded as is) after the
   * route's rewrite, then the raw query.
   */
  private URI target(Lease lease) {
    Backend backend = lease.backend();
    URI base = backend.uri();
    String path = view.path();
    RouteMatch route = lease.route();
    if (route != null) {
      path = route.rewrite(path);
    }
    StringBuilder t = new StringBuilder(96).append(base.getScheme()).append("://")
        .append(base.getRawAuthority());
    String basePath = base.getRawPath();
    if (basePath != null && !basePath.isEmpty() && !basePath.equals("/")) {
      t.append(basePath, 0, basePath.endsWith("/") ? basePath.length() - 1 : basePath.length());
    }
    t.append(path);
    String query = view.query();
    if (query != null) {
      t.append('?').append(query);
    }
    return URI.create(t.toString());
  }

  /** The end-to-end request headers, then the forwarding headers (case-insensitive keys). */
  private Map<String, List<String>> requestHeaders() {
    Set<String> connection = Headers.connectionOptions(view.headers("Connection"));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String name : Collections.list(request.getHeaderNames())) {
      String lower = name.toLowerCase(Locale.ROOT);
      if (Headers.isEndToEnd(name, connection) && !Headers.NOT_COPIED.contains(lower)) {
        headers.computeIfAbsent(lower, n -> new ArrayList<>())
            .addAll(Collections.list(request.getHeaders(name)));
      }
    }
    String client = request.getRemoteAddr();
    // X-Forwarded-For is a list, one entry per proxy: append the client, never replace.
    List<String> xff = new ArrayList<>(view.headers("X-Forwarded-For"));
    if (client != null) {
      xff.add(client);
    }
    if (!xff.isEmpty()) {
      headers.put("x-forwarded-for", List.of(String.join(", ", xff)));
    }
    String host = request.getHeader("Host");
    if (host == null) {
      host = request.getServerName() + ":" + request.getServerPort();
    }
    String proto = request.getScheme();
    // The backend's Host is its own (the upstream URI's); the client's goes in X-Forwarded-Host.
    headers.put("x-forwarded-host", List.of(host));
    if (filter.preserveHost()) {
      headers.put("host", List.of(host)); // RFC 9110 section 7.2: as the client sent it
    }
    headers.put("x-forwarded-proto", List.of(proto));
    headers.put("x-forwarded-port", List.of(Integer.toString(request.getServerPort())));
    // RFC 7239 section 4: a proxy appends its element to the Forwarded list.
    List<String> forwarded = new ArrayList<>(view.headers("Forwarded"));
    forwarded.add(Headers.forwardedElement(client, host, proto));
    headers.put("forwarded", forwarded);
    return headers;
  }

  /** Applies a policy's header edits to a header map with lower-case keys. */
  private static void edit(Map<String, List<String>> headers, HeaderChanges edits) {
    for (HeaderChanges.Change c : edits.changes()) {
      String key = c.name().toLowerCase(Locale.ROOT);
      switch (c.op()) {
        case SET -> headers.put(key, new ArrayList<>(List.of(c.value())));
        case ADD -> headers.computeIfAbsent(key, n -> new ArrayList<>()).add(c.value());
        case REMOVE -> headers.remove(key);
      }
    }
  }

  /** Copies the backend's status and end-to-end headers to the client's response. */
  private void relayHead(HttpResponse.ResponseInfo info, Lease lease) {
    HttpHeaders h = info.headers();
    Set<String> connection = Headers.connectionOptions(h.allValues("Connection"));
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : h.map().entrySet()) {
      if (Headers.isEndToEnd(e.getKey(), connection)) {
        headers.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), n -> new ArrayList<>())
            .addAll(e.getValue());
      }
    }
    int status = info.statusCode();
    edit(headers, lease.responseHeaders(view, new ResponseView() {
      @Override
      public int status() {
        return status;
      }

      @Override
      public @Nullable String header(String name) {
        return h.firstValue(name).orElse(null);
      }
    }));
    response.setStatus(status);
    for (Map.Entry<String, List<String>> e : headers.entrySet()) {
      if (e.getKey().equals("content-length")) {
        List<String> v = e.getValue();
        if (v.size() == 1) {
          try {
            response.setContentLengthLong(Long.parseLong(v.get(0).trim()));
          } catch (NumberFormatException ignored) {
            // The JDK client rejects such a response before this point.
          }
        }
        continue;
      }
      for (String value : e.getValue()) {
        response.addHeader(e.getKey(), value);
      }
    }
  }

  // ------------------------------------------------------------------ the end

  private void finish(@Nullable CallResult<Sent> done, @Nullable Throwable error) {
    if (done == null) { // cancelled: the client went away
      writer.abort();
      return;
    }
    AttemptResult<Sent> r = done.result();
    switch (r.kind()) {
      case RESPONSE -> {
        // Usually streaming already (the writer ends the exchange once the body is written); a
        // response kept aside for a retry that did not follow is relayed whole now.
        Sent sent = r.value();
        Kept kept = sent == null ? null : sent.kept;
        if (sent != null && !sent.relayed && kept != null && !clientGone) {
          sent.relayed = true;
          relayHead(kept.info, sent.attempt.lease());
          writer.whole(kept.buffers);
        }
      }
      case FAILURE -> {
        if (r.errorKind() == ErrorKind.CANCELLED || clientGone) {
          writer.abort();
        } else if (r.errorKind() == ErrorKind.TIMEOUT) {
          writer.error(504, "gateway-timeout", "Gateway Timeout: the backend did not answer in time");
        } else {
          writer.error(502, "bad-gateway", "Bad Gateway: " + describe(r.errorKind()));
        }
        LOG.log(System.Logger.Level.DEBUG, "{0}: {1}", view,
            done.failureMessage(String.valueOf(r.error())));
      }
      case NOT_SENT -> {
        if (clientGone) {
          writer.abort();
        } else if (r.error() instanceof HttpTimeoutException) {
          writer.error(504, "gateway-timeout", "Gateway Timeout: the request's time ran out");
        } else {
          writer.error(502, "bad-gateway", "Bad Gateway: the request could not be sent");
        }
      }
      case CALLER_FAILURE -> {
        LOG.log(System.Logger.Level.WARNING, "{0}: the proxy failed: {1}", view, r.error());
        writer.error(500, "proxy-error", "Internal Server Error: the proxy failed");
      }
    }
  }

  private static String describe(ErrorKind kind) {
    return switch (kind) {
      case CONNECT -> "no connection to the backend";
      case RESET -> "the backend closed the connection";
      case PROTOCOL -> "the backend's response is not valid HTTP";
      default -> "the backend failed";
    };
  }

  private void onClientGone() {
    if (!clientGone) {
      clientGone = true;
      execution.cancel(); // cancels the exchange in flight and releases the lease
      writer.abort();
    }
  }

  // ------------------------------------------------------------------ AsyncListener

  @Override
  public void onComplete(AsyncEvent event) {}

  @Override
  public void onTimeout(AsyncEvent event) {
    onClientGone();
  }

  @Override
  public void onError(AsyncEvent event) {
    onClientGone();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  // ------------------------------------------------------------------ one attempt

  /** One attempt's exchange with the JDK client. */
  final class Sent implements HttpResponse.BodyHandler<@Nullable Void> {
    private final Attempt<Sent> attempt;
    private volatile boolean relayed;
    private volatile @Nullable Kept kept;

    Sent(Attempt<Sent> attempt) {
      this.attempt = attempt;
    }

    /**
     * The backend's head arrived. A status the retry policy may still retry (a 503 of a request
     * without a body, say) is kept aside, bounded, while the loop decides: retried on another
     * backend, or relayed whole if no retry follows. Any other response becomes the answer and
     * streams to the client.
     */
    @Override
    public HttpResponse.BodySubscriber<@Nullable Void> apply(HttpResponse.ResponseInfo info) {
      if (clientGone) {
        return HttpResponse.BodySubscribers.replacing(null);
      }
      if (attempt.mayRetry(info.statusCode())) {
        Duration bound = attempt.timeout();
        if (bound == null) {
          bound = filter.timeout();
        }
        Kept k = new Kept(info, bound == null ? DEFAULT_KEPT_TIME : bound);
        kept = k;
        return k;
      }
      if (!attempt.commit()) {
        return HttpResponse.BodySubscribers.replacing(null);
      }
      relayed = true;
      relayHead(info, attempt.lease());
      return writer.body();
    }

    AttemptResult<Sent> result(@Nullable HttpResponse<@Nullable Void> r, @Nullable Throwable e) {
      if (r != null) {
        return AttemptResult.response(r.statusCode(), this);
      }
      Throwable c = unwrap(e);
      if (clientGone || c instanceof ResponseWriter.ClientGoneException) {
        return AttemptResult.failure(ErrorKind.CANCELLED, c, relayed, this);
      }
      if (c instanceof KeptTooLarge) {
        return AttemptResult.failure(ErrorKind.OTHER, c, false, this);
      }
      return AttemptResult.failure(classify(c), c, relayed, this);
    }
  }

  /** The largest body of a response kept aside for a possible retry: {@value} bytes. */
  static final int MAX_KEPT = 1024 * 1024;

  private static final Duration DEFAULT_KEPT_TIME = Duration.ofSeconds(30);

  /** A kept-aside body that outgrew {@link #MAX_KEPT}: not relayed, the attempt failed. */
  static final class KeptTooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    KeptTooLarge(int status) {
      super("the backend's " + status + " response, kept aside for a possible retry, is larger"
          + " than " + MAX_KEPT + " bytes");
    }
  }

  /**
   * The body of a response that may still be retried, held in memory up to {@link #MAX_KEPT}
   * bytes and for at most the attempt's time (a backend that stalls mid-body does not hold the
   * request).
   */
  static final class Kept implements HttpResponse.BodySubscriber<@Nullable Void> {
    final HttpResponse.ResponseInfo info;
    final List<ByteBuffer> buffers = new ArrayList<>();
    private final CompletableFuture<@Nullable Void> body = new CompletableFuture<>();
    private final Duration bound;
    private long size;
    private volatile Flow.@Nullable Subscription subscription;

    Kept(HttpResponse.ResponseInfo info, Duration bound) {
      this.info = info;
      this.bound = bound;
    }

    @Override
    public CompletionStage<@Nullable Void> getBody() {
      return body;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      // The timer holds the body weakly: a body that arrived is not kept for the timer's sake.
      java.lang.ref.WeakReference<Kept> self = new java.lang.ref.WeakReference<>(this);
      int status = info.statusCode();
      Duration b = bound;
      CompletableFuture.delayedExecutor(b.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        Kept k = self.get();
        if (k != null) {
          k.fail(new HttpTimeoutException("the backend's " + status
              + " response body did not arrive within " + b));
        }
      });
      s.request(Long.MAX_VALUE); // bounded by MAX_KEPT below
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      synchronized (this) {
        for (ByteBuffer b : item) {
          size += b.remaining();
          buffers.add(b);
        }
        if (size <= MAX_KEPT) {
          return;
        }
        buffers.clear();
      }
      fail(new KeptTooLarge(info.statusCode()));
    }

    private void fail(Throwable t) {
      if (body.completeExceptionally(t)) {
        Flow.Subscription s = subscription;
        if (s != null) {
          s.cancel();
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      body.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      body.complete(null);
    }
  }

  private static Throwable unwrap(@Nullable Throwable t) {
    if (t == null) {
      return new IllegalStateException("the exchange ended without a response nor an error");
    }
    Throwable c = t;
    for (int i = 0; i < 8
        && (c instanceof CompletionException || c instanceof ExecutionException)
        && c.getCause() != null; i++) {
      c = c.getCause();
    }
    return c;
  }

  /** Why an exchange with the backend failed, as the load balancer's health counts it. */
  static ErrorKind classify(Throwable t) {
    ErrorKind kind = TransportErrors.classify(t);
    return kind == null ? ErrorKind.OTHER : kind;
  }

}
