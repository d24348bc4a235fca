package dev.lb4j.servlet;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.config.ConfigReloader;
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
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
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
import java.util.function.Supplier;
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
 * X-Forwarded-Host}, unless {@link Builder#preserveHost()} forwards the client's. Added: {@code X-Forwarded-For} (the client's address appended to the list it
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
 * returns; the exchange with the backend runs on the asynchronous API of the {@link
 * UpstreamTransport} (the JDK client by default), and both bodies
 * move through the servlet's non-blocking I/O ({@code ReadListener}, {@code WriteListener}) one
 * chunk at a time, at the pace of the slower side, so no container thread waits for a backend
 * and no body is held whole in memory. Retries, the retry budget, deadlines and the rule never to
 * try a backend twice come from lb-core's attempt loop. A request with a body is sent once (its
 * body streams and cannot be replayed). A request without one is retried on another backend after
 * a connection failure or a per-try timeout, and after a status the retry policy lists (502, 503,
 * 504 by default): such a response is kept aside, up to 1 MiB, while the loop decides, and reaches
 * the client whole when no retry follows; any other response streams to the client as it arrives. Every lease is completed with the outcome, a status or an error
 * kind, so health checking and outlier detection learn from proxied traffic; a client that goes
 * away cancels the exchange with the backend and its lease counts as cancelled.
 *
 * <p><b>Registration.</b> With {@code asyncSupported} on the filter and on every filter before it
 * on the same path. Programmatically, {@code ServletContext.addFilter("lb", new
 * LoadBalancingFilter(lb)).setAsyncSupported(true)}, or with {@link #builder(LoadBalancer)}; such
 * a filter never closes the load balancer. Or in {@code web.xml}, with the no-argument constructor
 * and init parameters:
 *
 * <ul>
 *   <li>{@value #CONFIG_PARAM}: the path of an lb-config file (YAML or JSON). The filter builds the
 *       load balancer from it, takes the retry policy from its {@code retries} section, and
 *       reloads it whenever the file changes (validated first; a file with problems is logged and
 *       the running configuration stays). When its {@code admin} section is enabled, the filter
 *       also serves the admin interface (see {@link AdminServlet}) under {@code admin.path} of the
 *       web application, with {@code admin.token};
 *   <li>or {@value #SUPPLIER_PARAM}: the name of a class with a public no-argument constructor
 *       that implements {@code java.util.function.Supplier<LoadBalancer>};
 *   <li>optionally {@value #TIMEOUT_PARAM} (such as {@code 30s}, {@code 500ms}, {@code PT1M}, or
 *       {@code none}), {@value #PROXY_UNROUTED_PARAM} and {@value #PRESERVE_HOST_PARAM} ({@code
 *       true} or {@code false}).
 * </ul>
 *
 * <p>A filter set up from init parameters owns the load balancer it built or was supplied: {@link
 * #destroy()} stops watching the file and closes it. Either way the filter publishes its load
 * balancer (and reloader, if any) as the servlet context attributes {@value
 * #LOAD_BALANCER_ATTRIBUTE} and {@value #RELOADER_ATTRIBUTE}, where an {@link AdminServlet}
 * declared in {@code web.xml} finds them.
 *
 * <p>Containers reject some encoded characters in paths by default (Tomcat {@code %2F}, Jetty
 * ambiguous paths); allow them in the container to proxy such paths.
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

  /** The init parameter with the path of a configuration file: {@value}. */
  public static final String CONFIG_PARAM = "config";

  /** The init parameter naming a {@code Supplier<LoadBalancer>} class: {@value}. */
  public static final String SUPPLIER_PARAM = "load-balancer-supplier";

  /** The init parameter with the timeout: {@value}. */
  public static final String TIMEOUT_PARAM = "timeout";

  /** The init parameter that also proxies unrouted requests when {@code true}: {@value}. */
  public static final String PROXY_UNROUTED_PARAM = "proxy-unrouted";

  /** The init parameter that forwards the client's {@code Host} when {@code true}: {@value}. */
  public static final String PRESERVE_HOST_PARAM = "preserve-host";

  /** The servlet context attribute holding the filter's {@link LoadBalancer}: {@value}. */
  public static final String LOAD_BALANCER_ATTRIBUTE = "dev.lb4j.servlet.LoadBalancer";

  /** The servlet context attribute holding the filter's {@link ConfigReloader}: {@value}. */
  public static final String RELOADER_ATTRIBUTE = "dev.lb4j.servlet.ConfigReloader";


  /** Set at construction, or by {@link #init(FilterConfig)} for a filter made by the container. */
  private volatile @Nullable FilterState proxy;

  /**
   * A filter with the defaults: no retries, {@link #DEFAULT_TIMEOUT}, its own HTTP/1.1 client, and
   * only routed requests proxied.
   *
   * @param loadBalancer routes requests and selects their backends
   */
  public LoadBalancingFilter(LoadBalancer loadBalancer) {
    this(builder(loadBalancer));
  }

  /**
   * For {@code web.xml}: the load balancer comes from the init parameters (see the class
   * description) when the container calls {@link #init(FilterConfig)}.
   */
  public LoadBalancingFilter() {
    this.proxy = null;
  }

  private LoadBalancingFilter(Builder b) {
    FilterState p = new FilterState(b);
    if (p.followsConfig) {
      Objects.requireNonNull(p.reloader).addListener(p::onReload);
    }
    this.proxy = p;
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

  /**
   * Sets the filter up from its init parameters when it was made by the container (see the class
   * description), and publishes its load balancer as a servlet context attribute.
   *
   * @param config the filter's configuration
   * @throws ServletException naming the init parameter that is missing or wrong
   */
  @Override
  public void init(FilterConfig config) throws ServletException {
    FilterState p = proxy;
    if (p == null) {
      p = InitParameters.load(config);
      proxy = p;
    }
    ServletContext context = config.getServletContext();
    context.setAttribute(LOAD_BALANCER_ATTRIBUTE, p.lb);
    if (p.reloader != null) {
      context.setAttribute(RELOADER_ATTRIBUTE, p.reloader);
    }
  }

  /**
   * Closes what a filter set up from init parameters owns: it stops watching the configuration
   * file and closes the load balancer. A filter given a load balancer leaves it open.
   */
  @Override
  public void destroy() {
    FilterState p = proxy;
    AdminApi admin = p == null ? null : p.admin;
    if (admin != null) {
      admin.close(); // its health listener on the load balancer
    }
    if (p != null && p.owned) {
      if (p.reloader != null) {
        p.reloader.close();
      }
      p.lb.close();
    }
  }

  private FilterState proxy() {
    FilterState p = proxy;
    if (p == null) {
      throw new IllegalStateException("lb4j filter: not initialised (the container calls"
          + " init(FilterConfig) before the first request)");
    }
    return p;
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
    FilterState p = proxy();
    AdminApi admin = p.admin;
    if (admin != null) {
      String rest = belowAdminPath(request, p.adminPath);
      if (rest != null) {
        admin.handle(request, response, rest);
        return;
      }
    }
    LoadBalancer lb = p.lb;
    ServletRequestView view = new ServletRequestView(request);
    RouteMatch match = lb.route(view);
    if (match == null || (!p.proxyUnrouted && match.isDefault())) {
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


  /** The raw path below the admin path, or {@code null} when the request is not for it. */
  private static @Nullable String belowAdminPath(HttpServletRequest request, String adminPath) {
    String uri = request.getRequestURI();
    String prefix = request.getContextPath() + adminPath;
    if (!uri.startsWith(prefix)) {
      return null;
    }
    String rest = uri.substring(prefix.length());
    return rest.isEmpty() || rest.startsWith("/") ? rest : null;
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
    return proxy().lb;
  }

  UpstreamTransport transport() {
    return proxy().transport;
  }

  AttemptLoop loop() {
    return proxy().loop;
  }

  @Nullable Duration timeout() {
    return proxy().timeout;
  }

  boolean preserveHost() {
    return proxy().preserveHost;
  }

  @Override
  public String toString() {
    FilterState p = proxy;
    if (p == null) {
      return "LoadBalancingFilter{not initialised}";
    }
    RetryPolicy policy = p.retryPolicy;
    return "LoadBalancingFilter{" + (policy == null ? "no retries" : policy)
        + ", timeout " + p.timeout + (p.proxyUnrouted ? ", proxies unrouted requests" : "")
        + (p.reloader != null ? ", configuration " + p.reloader.current().source() : "") + "}";
  }

  /** Configures a {@link LoadBalancingFilter}. Each setting may be set once. Not thread-safe. */
  public static final class Builder {
    final LoadBalancer lb;
    @Nullable HttpClient client;
    @Nullable UpstreamTransport transport;
    @Nullable RetryPolicy retryPolicy;
    @Nullable Duration timeout;
    boolean timeoutSet;
    boolean proxyUnrouted;
    boolean preserveHost;
    @Nullable ConfigReloader reloader;

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
      requireUnset(this.transport != null, "client (a transport is set)", this.transport);
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sends to backends with this transport instead of a JDK {@link HttpClient} (see {@link
     * UpstreamTransport} for its contract). Default: {@code UpstreamTransport.of} the filter's own
     * HTTP/1.1 client. Excludes {@link #client(HttpClient)}.
     *
     * @param transport the transport
     * @return this builder
     */
    public Builder transport(UpstreamTransport transport) {
      requireUnset(this.transport != null, "transport", this.transport);
      requireUnset(this.client != null, "transport (a client is set)", this.client);
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * Retries per this policy: requests without a body that failed before a response arrived
     * (connection refused, reset, per-try timeout) or answered a status the policy retries, on
     * another backend. Default: no retries.
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
     * Forwards the client's {@code Host} header to the backend instead of the backend's own
     * authority (for backends that serve several virtual hosts, or build links from it). The JDK
     * client sends a caller's {@code Host} only when the JVM starts with the system property
     * {@code jdk.httpclient.allowRestrictedHeaders=host}; {@link #build()} checks it.
     *
     * @return this builder
     */
    public Builder preserveHost() {
      requireUnset(preserveHost, "preserveHost", true);
      this.preserveHost = true;
      return this;
    }

    /**
     * Takes the retry policy from the {@code retries} section of the configuration this reloader
     * runs, and the policy of every configuration it applies or rolls back to later, unless
     * {@link #retryPolicy(RetryPolicy)} sets one. The reloader must be the one that reconfigures
     * this filter's load balancer.
     *
     * @param reloader the reloader
     * @return this builder
     */
    public Builder reloader(ConfigReloader reloader) {
      requireUnset(this.reloader != null, "reloader", this.reloader);
      this.reloader = Objects.requireNonNull(reloader, "reloader");
      return this;
    }

    /**
     * Builds the filter; the builder stays usable.
     *
     * @return the filter
     * @throws IllegalStateException if {@link #preserveHost()} is set and the JDK client refuses
     *     to send a {@code Host} header
     */
    public LoadBalancingFilter build() {
      return new LoadBalancingFilter(this);
    }

    void checkHostAllowed() {
      if (!preserveHost) {
        return;
      }
      try {
        java.net.http.HttpRequest.newBuilder().header("Host", "example.com");
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException("preserveHost: the JDK HTTP client refuses to send a Host"
            + " header (expected: the JVM started with -Djdk.httpclient.allowRestrictedHeaders=host)",
            e);
      }
    }
  }
}
