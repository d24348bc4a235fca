package dev.lb4j.examples.proxy;

import dev.lb4j.config.AdminSettings;
import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.config.ServerSettings;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.servlet.AdminServlet;
import dev.lb4j.servlet.LoadBalancingFilter;
import io.micrometer.jetty12.server.TimedHandler;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's Jetty server: a traffic connector whose every request goes through a {@link
 * LoadBalancingFilter}, and, when the admin interface is enabled, an {@link AdminServlet} under
 * {@code admin.path}, on a connector of its own when {@code admin.port} is set, else on the traffic
 * port.
 *
 * <p>Both contexts sit behind one {@link GracefulHandler}, which counts every request until its
 * response has completed, including the filter's asynchronous ones (it tracks the request's
 * completion callback, not the dispatch), so {@link #stopGracefully()} waits exactly for the
 * requests still in flight.
 */
final class JettyProxy {

  private static final Logger LOG = LoggerFactory.getLogger(JettyProxy.class);

  private static final String TRAFFIC = "traffic";
  private static final String ADMIN = "admin";

  /** How long a connection may stay idle, at least: Jetty's default. */
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  /** Beyond {@code server.timeout}, so that the proxy's own 504 is sent before the close. */
  private static final Duration IDLE_TIMEOUT_MARGIN = Duration.ofSeconds(5);

  private final Server server;
  private final ServerConnector traffic;
  private final @Nullable ServerConnector admin;
  private final LoadBalancer lb;
  private final Duration shutdownTimeout;
  private final LoadBalancingFilter filter;
  private final GracefulHandler graceful;

  private JettyProxy(Server server, ServerConnector traffic, @Nullable ServerConnector admin,
      LoadBalancer lb, Duration shutdownTimeout, LoadBalancingFilter filter,
      GracefulHandler graceful) {
    this.server = server;
    this.graceful = graceful;
    this.traffic = traffic;
    this.admin = admin;
    this.lb = lb;
    this.shutdownTimeout = shutdownTimeout;
    this.filter = filter;
  }

  /**
   * Starts Jetty for this configuration.
   *
   * @param config the configuration the load balancer was built from (checked by {@link
   *     ServerChecks})
   * @param lb the load balancer
   * @param reloader the reloader that applies new versions of the configuration to {@code lb}
   * @param metrics the meters: Jetty's are bound here, the scrape is the admin endpoint {@code
   *     metrics}
   * @return the running server
   * @throws Exception if Jetty cannot start (a port in use, say); nothing is left running then
   */
  static JettyProxy start(
      Lb4jConfig config, LoadBalancer lb, ConfigReloader reloader, ProxyMetrics metrics)
      throws Exception {
    ServerSettings settings = config.server();
    AdminSettings adminSettings = config.admin();

    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("lb4j-proxy");
    Server server = new Server(threads);
    // The graceful part of the stop is ours (stopGracefully); server.stop() then closes at once.
    server.setStopTimeout(0);
    server.setStopAtShutdown(false);
    metrics.bindThreadPool(threads);

    ServerConnector traffic = connector(server, TRAFFIC, settings.bind(), settings.port());
    // A connection waiting for a slow backend is idle meanwhile: let it wait as long as the
    // request may take (server.timeout), not only Jetty's default 30 s.
    traffic.setIdleTimeout(Math.max(IDLE_TIMEOUT.toMillis(),
        settings.timeout().plus(IDLE_TIMEOUT_MARGIN).toMillis()));
    server.addConnector(traffic);

    LoadBalancingFilter filter =
        LoadBalancingFilter.builder(lb)
            .reloader(reloader) // the retry policy follows the configuration's retries section
            .timeout(settings.timeout())
            .proxyUnrouted() // a proxy server has no application behind it
            .build();
    ServletContextHandler proxy = new ServletContextHandler("/");
    proxy.setVirtualHosts(List.of("@" + TRAFFIC));
    proxy.getServletHandler().setDecodeAmbiguousURIs(true);
    FilterHolder filterHolder = new FilterHolder(filter);
    filterHolder.setAsyncSupported(true);
    proxy.addFilter(filterHolder, "/*", EnumSet.of(DispatcherType.REQUEST));
    ServletHolder noRoute = new ServletHolder(new NoRouteServlet());
    noRoute.setAsyncSupported(true);
    proxy.addServlet(noRoute, "/*");

    List<ContextHandler> contexts = new ArrayList<>();
    ServerConnector adminConnector = null;
    if (adminSettings.enabled()) {
      AdminServlet servlet =
          AdminServlet.builder(lb)
              .token(Objects.requireNonNull(adminSettings.token(), "admin.token"))
              .reloader(reloader)
              .endpoint("metrics", metrics.endpoint())
              .build();
      ServletContextHandler adminContext = new ServletContextHandler(adminSettings.path());
      adminContext.setAllowNullPathInContext(true);
      adminContext.addServlet(new ServletHolder(servlet), "/*");
      Integer adminPort = adminSettings.port();
      if (adminPort != null) {
        adminConnector = connector(server, ADMIN, adminSettings.bind(), adminPort);
        server.addConnector(adminConnector);
        adminContext.setVirtualHosts(List.of("@" + ADMIN));
      } else {
        adminContext.setVirtualHosts(List.of("@" + TRAFFIC));
      }
      contexts.add(adminContext); // before "/": the longer context path is tried first anyway
    }
    contexts.add(proxy);

    GracefulHandler graceful = new GracefulHandler();
    TimedHandler timed = metrics.timedHandler();
    timed.setHandler(new ContextHandlerCollection(contexts.toArray(new ContextHandler[0])));
    graceful.setHandler(timed);
    server.setHandler(graceful);
    try {
      server.start();
    } catch (Exception e) {
      stopQuietly(server);
      throw e;
    }
    return new JettyProxy(
        server, traffic, adminConnector, lb, settings.shutdownTimeout(), filter, graceful);
  }

  private static ServerConnector connector(Server server, String name, String host, int port) {
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    // Encoded characters such as %2F in paths are the backends' business: forward them as sent.
    http.setUriCompliance(UriCompliance.UNSAFE);
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setName(name);
    connector.setHost(host);
    connector.setPort(port);
    return connector;
  }

  /** The traffic listener's address, such as {@code http://127.0.0.1:8080}. */
  String trafficAddress() {
    return address(traffic);
  }

  /** The admin listener's address, or {@code null} when the admin interface has no port. */
  @Nullable String adminAddress() {
    return admin == null ? null : address(admin);
  }

  /** The filter, whose {@code toString()} tells its retry policy and timeout. */
  LoadBalancingFilter filter() {
    return filter;
  }

  private static String address(ServerConnector connector) {
    String host = connector.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + connector.getLocalPort();
  }

  /**
   * Stops in three steps: closes the listening sockets at once (new connections are refused; a
   * request arriving on a connection that was already open gets 503), waits up to {@code
   * server.shutdownTimeout} for the requests in flight to complete, then stops Jetty, which closes
   * every connection still open.
   *
   * <p>Why not Jetty's own graceful stop ({@code Server.setStopTimeout}, or {@code
   * Graceful.shutdown(server)})? It also shuts the connectors down gracefully, and a connector
   * doing so sets every open connection's idle timeout to its shutdown idle timeout (one second):
   * a proxied request whose backend is silent for longer than that would be cut off. Closing the
   * server sockets ourselves and waiting on the {@link GracefulHandler} alone leaves the requests
   * in flight their whole {@code server.timeout}.
   *
   * @return whether every request in flight completed within the shutdown timeout
   */
  boolean stopGracefully() {
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof NetworkConnector network) {
        try {
          network.close(); // the listening socket only; open connections stay
        } catch (RuntimeException e) {
          LOG.warn("lb4j proxy: closing {}: {}", connector.getName(), e.toString());
        }
      }
    }
    long inFlight = inFlight();
    CompletableFuture<Void> drained = graceful.shutdown();
    LOG.info("lb4j proxy shutting down: no new connections; waiting up to {} for {} request{}"
        + " in flight", DurationFormat.of(shutdownTimeout), inFlight, inFlight == 1 ? "" : "s");
    boolean complete = true;
    try {
      drained.get(Math.max(1, shutdownTimeout.toMillis()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      complete = false;
      LOG.warn("lb4j proxy: the shutdown timeout ({}) passed with {} request(s) in flight; closing"
          + " their connections", DurationFormat.of(shutdownTimeout), inFlight());
    } catch (ExecutionException e) {
      LOG.warn("lb4j proxy: waiting for requests in flight failed: {}",
          String.valueOf(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      complete = false;
    }
    stopQuietly(server);
    return complete;
  }

  /** Leases open now, across every pool: the proxy's requests waiting for or reading a backend. */
  private long inFlight() {
    long n = 0;
    for (PoolStats pool : lb.stats().pools().values()) {
      n += pool.inFlight();
    }
    return n;
  }

  private static void stopQuietly(Server server) {
    try {
      server.stop();
    } catch (Exception e) {
      LOG.warn("lb4j proxy: stopping Jetty: {}", e.toString());
    }
  }

  /**
   * What a request gets when no route matches it and the configuration has no default pool: the
   * filter lets it through to here.
   */
  private static final class NoRouteServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      byte[] body = "404 Not Found: no route matches this request and there is no default pool\n"
          .getBytes(StandardCharsets.UTF_8);
      response.setStatus(404);
      response.setHeader(LoadBalancingFilter.ERROR_HEADER, "no-route");
      response.setContentType("text/plain;charset=utf-8");
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }
}
