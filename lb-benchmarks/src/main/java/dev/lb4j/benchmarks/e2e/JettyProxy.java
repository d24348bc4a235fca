package dev.lb4j.benchmarks.e2e;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The Jetty 12 peer of the end-to-end benchmark: an embedded Jetty server on loopback whose only
 * servlet is Jetty's own {@link AsyncProxyServlet}, sending each request to the next of the given
 * backends in turn (round robin). Everything else is Jetty's defaults (its thread pool, its
 * {@code HttpClient} with keep-alive to the backends). Prints {@code listening on http://...} when
 * ready and runs until the process is stopped.
 *
 * <pre>java -cp benchmarks.jar dev.lb4j.benchmarks.e2e.JettyProxy 38092 38081 38082 38083</pre>
 */
public final class JettyProxy {

  private JettyProxy() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: JettyProxy LISTEN_PORT BACKEND_PORT...");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    List<String> backends = new ArrayList<>();
    for (String backendPort : Arrays.asList(args).subList(1, args.length)) {
      backends.add("http://127.0.0.1:" + Integer.parseInt(backendPort));
    }

    Server server = start(port, backends);
    server.setStopAtShutdown(true);
    System.out.println("jetty proxy listening on http://127.0.0.1:" + port + " -> " + backends);
    System.out.flush();
    server.join();
  }

  /**
   * Starts the proxy on a loopback port (0 for any free port) in front of the given base URLs and
   * returns it, started.
   */
  static Server start(int port, List<String> backends) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(port);
    server.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler();
    context.setContextPath("/");
    ServletHolder proxy = new ServletHolder(new RoundRobinProxyServlet());
    proxy.setInitParameter(RoundRobinProxyServlet.BACKENDS, String.join(",", backends));
    proxy.setAsyncSupported(true);
    context.addServlet(proxy, "/*");
    server.setHandler(context);
    server.start();
    return server;
  }

  /** {@link AsyncProxyServlet} whose target is the next backend in turn, same path and query. */
  static final class RoundRobinProxyServlet extends AsyncProxyServlet {

    private static final long serialVersionUID = 1L;

    /** Init parameter: the backends' base URLs, comma-separated. */
    static final String BACKENDS = "backends";

    private final AtomicInteger next = new AtomicInteger();
    private List<String> targets = List.of();

    @Override
    public void init() throws ServletException {
      super.init();
      String list = getServletConfig().getInitParameter(BACKENDS);
      if (list == null || list.isBlank()) {
        throw new ServletException("init parameter '" + BACKENDS + "' is required");
      }
      targets = List.of(list.split(","));
    }

    @Override
    protected String rewriteTarget(HttpServletRequest clientRequest) {
      String base = targets.get(Math.floorMod(next.getAndIncrement(), targets.size()));
      String query = clientRequest.getQueryString();
      String target = base + clientRequest.getRequestURI();
      return query == null ? target : target + "?" + query;
    }
  }
}
