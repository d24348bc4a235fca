package dev.lb4j.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.jspecify.annotations.Nullable;

/**
 * An embedded servlet container on loopback, port 0, with the filter at {@code /*} in front of a
 * tiny application servlet that answers {@code app <method> <uri>}.
 */
interface ProxyContainer extends AutoCloseable {

  /** The port the container listens on. */
  int port();

  @Override
  void close();

  /** The application behind the filter. */
  final class AppServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setContentType("text/plain");
      resp.getOutputStream().write(
          ("app " + req.getMethod() + " " + req.getRequestURI()).getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Jetty 12, ee10. */
  static ProxyContainer jetty(Filter filter) throws Exception {
    return jetty(filter, Map.of(), null, Map.of());
  }

  /**
   * Jetty 12, ee10, with init parameters for the filter (as {@code web.xml} would give) and,
   * optionally, an admin servlet at {@code /lb-admin/*} with its own init parameters.
   */
  static ProxyContainer jetty(
      Filter filter, Map<String, String> filterParams, @Nullable HttpServlet admin,
      Map<String, String> adminParams) throws Exception {
    Server server = new Server();
    HttpConfiguration config = new HttpConfiguration();
    config.setUriCompliance(UriCompliance.UNSAFE); // %2F in paths is the proxy's to forward
    ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/");
    context.getServletHandler().setDecodeAmbiguousURIs(true);
    FilterHolder holder = new FilterHolder(filter);
    holder.setAsyncSupported(true);
    holder.setInitParameters(filterParams);
    context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
    if (admin != null) {
      ServletHolder a = new ServletHolder(admin);
      a.setInitParameters(adminParams);
      context.addServlet(a, "/lb-admin/*");
    }
    ServletHolder app = new ServletHolder(new AppServlet());
    app.setAsyncSupported(true);
    context.addServlet(app, "/*");
    server.setHandler(context);
    server.start();
    int port = connector.getLocalPort();
    return new ProxyContainer() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public void close() {
        try {
          server.stop();
        } catch (Exception e) {
          throw new IllegalStateException("stopping Jetty", e);
        }
      }

      @Override
      public String toString() {
        return "Jetty " + Server.getVersion();
      }
    };
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }

  /** Tomcat 11. */
  static ProxyContainer tomcat(Filter filter) throws Exception {
    return tomcat(filter, Map.of(), null, Map.of());
  }

  /** Tomcat 11, set up as {@link #jetty(Filter, Map, HttpServlet, Map)}. */
  static ProxyContainer tomcat(
      Filter filter, Map<String, String> filterParams, @Nullable HttpServlet admin,
      Map<String, String> adminParams) throws Exception {
    Path base = Files.createTempDirectory("lb4j-tomcat");
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setEncodedSolidusHandling("passthrough"); // %2F in paths is the proxy's to forward
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("", base.toString());
    StandardContext standard = (StandardContext) context;
    standard.setClearReferencesThreadLocals(false);
    standard.setClearReferencesRmiTargets(false);
    FilterDef def = new FilterDef();
    def.setFilterName("lb4j");
    def.setFilter(filter);
    def.setAsyncSupported("true");
    filterParams.forEach(def::addInitParameter);
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName("lb4j");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    if (admin != null) {
      org.apache.catalina.Wrapper a = Tomcat.addServlet(context, "admin", admin);
      adminParams.forEach(a::addInitParameter);
      a.addMapping("/lb-admin/*");
    }
    org.apache.catalina.Wrapper app = Tomcat.addServlet(context, "app", new AppServlet());
    app.setAsyncSupported(true);
    app.addMapping("/*");
    tomcat.start();
    int port = connector.getLocalPort();
    return new ProxyContainer() {
      @Override
      public int port() {
        return port;
      }

      @Override
      public void close() {
        try {
          tomcat.stop();
          tomcat.destroy();
        } catch (LifecycleException e) {
          throw new IllegalStateException("stopping Tomcat", e);
        } finally {
          deleteQuietly(base);
        }
      }

      @Override
      public String toString() {
        return "Tomcat";
      }
    };
  }
}
