package dev.lb4j.servlet;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Selection;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.core.retry.AttemptLoop;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A reverse proxy inside a web application: forwards the requests the load balancer's routing rules
 * match to a backend of their pool, and lets every other request through to the rest of the filter
 * chain untouched.
 *
 * <p><b>Which requests are proxied.</b> Those a {@link Route} (or another routing rule) of the load
 * balancer matches. A request that no rule matches and that only the default pool would catch goes
 * to the web application, so adding the filter in front of an application never swallows its own
 * pages; {@link Builder#proxyUnrouted()} sends those to the default pool too.
 *
 * <p><b>What is forwarded.</b> The method, the raw request URI (percent-encoding kept, rewritten
 * only by the route's prefix rewrite) and raw query, the end-to-end headers with every repeated
 * value, and the body, streamed. Not forwarded: the hop-by-hop headers of RFC 9110 section 7.6.1
 * ({@code Connection} and every header it names, {@code Keep-Alive}, {@code Proxy-Connection},
 * {@code Proxy-Authenticate}, {@code Proxy-Authorization}, {@code TE}, {@code Trailer}, {@code
 * Transfer-Encoding}, {@code Upgrade}), {@code Expect}, and {@code Host}: the backend gets its own
 * host in {@code Host} (the JDK client sets it from the backend's URI) and the client's in {@code
 * X-Forwarded-Host}. Added: {@code X-Forwarded-For} (the client's address appended to the list it
 * came with), {@code X-Forwarded-Proto}, {@code -Host} and {@code -Port} (as this hop saw them),
 * and an RFC 7239 {@code Forwarded} element appended to the list it came with. The backend's
 * status and end-to-end headers go back unchanged, as do the policies' header edits.
 *
 * <p><b>Errors</b> are short {@code text/plain} bodies with an {@value #ERROR_HEADER} header naming
 * the reason: 400 {@code bad-request} for a request that must not be forwarded (both {@code
 * Content-Length} and {@code Transfer-Encoding}, CR/LF/NUL in a header value, a request target that
 * is not a valid URI), 503 {@code no-backend} when the pool has no available backend, the policy's
 * status with {@code rejected} when a policy refuses, 502 {@code bad-gateway} when the backend
 * cannot be reached or its response is not valid HTTP (after retries), 504 {@code
 * gateway-timeout} when it does not answer in time.
 *
 * <p><b>Threading and streaming.</b> The filter puts proxied requests in asynchronous mode and
 * returns; the exchange with the backend runs on the JDK client's asynchronous API, and both bodies
 * move through the servlet's non-blocking I/O ({@code ReadListener}, {@code WriteListener}) one
 * chunk at a time, at the pace of the slower side, so no container thread waits for a backend
 * and no body is held whole in memory. Retries, the retry budget, deadlines and the rule never to
 * try a backend twice come from lb-core's attempt loop; a request with a body is sent once (its
 * body streams and cannot be replayed), and a response status is never retried (its body streams
 * to the client as it arrives). Every lease is completed with the outcome, a status or an error
 * kind, so health checking and outlier detection learn from proxied traffic; a client that goes
 * away cancels the exchange with the backend and its lease counts as cancelled.
 *
 * <p><b>Registration.</b> Programmatic, with {@code asyncSupported} on the filter and on every
 * filter before it on the same path, for example {@code ServletContext.addFilter("lb", new
 * LoadBalancingFilter(lb)).setAsyncSupported(true)}. Containers reject some encoded characters in
 * paths by default (Tomcat {@code %2F}, Jetty ambiguous paths); allow them in the container to
 * proxy such paths. The filter never closes the load balancer.
 *
 * <p>Thread-safe: one instance serves every request.
 *
 * @since 0.1.0
 */
public final class LoadBalancingFilter implements Filter {

  /** The response header naming why the proxy answered itself: {@value}. */
  public static final String ERROR_HEADER = "X-Lb4j-Error";

  /** How long a request may take until the backend's response head arrives, by default: 30 s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  private final LoadBalancer lb;
  private final HttpClient client;
  private final AttemptLoop loop;
  private final @Nullable RetryPolicy retryPolicy;
  private final @Nullable Duration timeout;
  private final boolean proxyUnrouted;

  /**
   * A filter with the defaults: no retries, {@link #DEFAULT_TIMEOUT}, its own HTTP/1.1 client, and
   * only routed requests proxied.
   *
   * @param loadBalancer routes requests and selects their backends
   */
  public LoadBalancingFilter(LoadBalancer loadBalancer) {
    this(builder(loadBalancer));
  }

  private LoadBalancingFilter(Builder b) {
    this.lb = b.lb;
    this.client = b.client != null ? b.client : defaultClient();
    this.retryPolicy = b.retryPolicy;
    this.loop = AttemptLoop.builder(b.lb).retryPolicy(b.retryPolicy).build();
    this.timeout = b.timeoutSet ? b.timeout : DEFAULT_TIMEOUT;
    this.proxyUnrouted = b.proxyUnrouted;
  }

  /**
   * Starts configuring a filter.
   *
   * @param loadBalancer routes requests and selects their backends
   * @return a builder
   */
  public static Builder builder(LoadBalancer loadBalancer) {
    return new Builder(loadBalancer);
  }

  private static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER) // redirects are the client's to follow
        .proxy(HttpClient.Builder.NO_PROXY)
        .build();
  }

  /**
   * Proxies the request when a routing rule matches it (see the class description), else passes
   * it down the chain. Only requests dispatched from the client ({@link DispatcherType#REQUEST})
   * are proxied.
   *
   * @param req the request
   * @param res the response
   * @param chain the rest of the chain
   * @throws IOException from the chain, or when the response cannot be written
   * @throws ServletException from the chain
   */
  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request)
        || !(res instanceof HttpServletResponse response)
        || req.getDispatcherType() != DispatcherType.REQUEST) {
      chain.doFilter(req, res);
      return;
    }
    ServletRequestView view = new ServletRequestView(request);
    RouteMatch match = lb.route(view);
    if (match == null || (!proxyUnrouted && match.isDefault())) {
      chain.doFilter(req, res);
      return;
    }
    String bad = Headers.rejection(
        Collections.list(request.getHeaderNames()),
        name -> Collections.list(request.getHeaders(name)));
    if (bad == null) {
      bad = invalidTarget(view);
    }
    if (bad != null) {
      answer(response, 400, "bad-request", "Bad Request: " + bad, HeaderChanges.none());
      return;
    }
    Selection selection = lb.select(view);
    if (selection instanceof Lease lease) {
      ProxyExchange.start(this, request, response, view, lease);
    } else if (selection instanceof NoBackend none) {
      answer(response, 503, "no-backend",
          "Service Unavailable: no backend available in pool '" + none.pool() + "' ("
              + none.reason() + ")", HeaderChanges.none());
    } else if (selection instanceof Rejected rejected) {
      answer(response, rejected.status(), "rejected", rejected.reason(),
          rejected.responseHeaders());
    }
  }


  /** Why the raw request target is not a URI the JDK client can send, or {@code null}. */
  private static @Nullable String invalidTarget(ServletRequestView view) {
    String query = view.query();
    try {
      new URI("http://h" + view.path() + (query == null ? "" : "?" + query));
      return null;
    } catch (URISyntaxException e) {
      return "the request target is not a valid URI";
    }
  }

  private static void answer(
      HttpServletResponse response, int status, String reason, String message,
      HeaderChanges headers) throws IOException {
    byte[] bytes = (status + " " + message + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.setHeader(ERROR_HEADER, reason);
    for (HeaderChanges.Change c : headers.changes()) {
      switch (c.op()) {
        case SET -> response.setHeader(c.name(), c.value());
        case ADD -> response.addHeader(c.name(), c.value());
        case REMOVE -> { } // nothing to remove from the proxy's own answer
      }
    }
    response.setContentType("text/plain;charset=utf-8");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  LoadBalancer loadBalancer() {
    return lb;
  }

  HttpClient client() {
    return client;
  }

  AttemptLoop loop() {
    return loop;
  }

  @Nullable Duration timeout() {
    return timeout;
  }

  @Override
  public String toString() {
    return "LoadBalancingFilter{" + (retryPolicy == null ? "no retries" : retryPolicy)
        + ", timeout " + timeout + (proxyUnrouted ? ", proxies unrouted requests" : "") + "}";
  }

  /** Configures a {@link LoadBalancingFilter}. Each setting may be set once. Not thread-safe. */
  public static final class Builder {
    private final LoadBalancer lb;
    private @Nullable HttpClient client;
    private @Nullable RetryPolicy retryPolicy;
    private @Nullable Duration timeout;
    private boolean timeoutSet;
    private boolean proxyUnrouted;

    private Builder(LoadBalancer lb) {
      this.lb = Objects.requireNonNull(lb, "loadBalancer");
    }

    private static void requireUnset(boolean set, String setting, @Nullable Object value) {
      if (set) {
        throw new IllegalStateException(setting + " was already set to " + value);
      }
    }

    /**
     * Sends to backends with this client. Default: an HTTP/1.1 client of the filter's own, no
     * redirects followed, no proxy. Use HTTP/1.1 unless every backend speaks HTTP/2: a client that
     * tries to upgrade sends {@code Upgrade} headers of its own.
     *
     * @param client the client
     * @return this builder
     */
    public Builder client(HttpClient client) {
      requireUnset(this.client != null, "client", this.client);
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Retries per this policy: requests without a body that failed before a response arrived
     * (connection refused, reset, per-try timeout), on another backend. Default: no retries.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder retryPolicy(RetryPolicy policy) {
      requireUnset(retryPolicy != null, "retryPolicy", retryPolicy);
      this.retryPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Bounds each request, every attempt and back-off together, until the backend's response head
     * arrives; the body then streams for as long as it takes. Default: {@link #DEFAULT_TIMEOUT}.
     *
     * @param timeout the timeout, positive, or {@code null} for none
     * @return this builder
     */
    public Builder timeout(@Nullable Duration timeout) {
      requireUnset(timeoutSet, "timeout", this.timeout);
      if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
        throw new IllegalArgumentException("timeout: " + timeout + " (expected: > 0)");
      }
      this.timeout = timeout;
      this.timeoutSet = true;
      return this;
    }

    /**
     * Also proxies requests no routing rule matches, to the default pool. Default: those go to
     * the web application.
     *
     * @return this builder
     */
    public Builder proxyUnrouted() {
      requireUnset(proxyUnrouted, "proxyUnrouted", true);
      this.proxyUnrouted = true;
      return this;
    }

    /**
     * Builds the filter; the builder stays usable.
     *
     * @return the filter
     */
    public LoadBalancingFilter build() {
      return new LoadBalancingFilter(this);
    }
  }
}
