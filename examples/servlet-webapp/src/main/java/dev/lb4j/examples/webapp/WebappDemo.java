package dev.lb4j.examples.webapp;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.jspecify.annotations.Nullable;

/**
 * Deploys the example web application ({@code src/main/webapp}, set up entirely by its {@code
 * WEB-INF/web.xml}) in embedded Jetty 12 on loopback, in front of three demo backends, and prints
 * what to try with {@code curl}.
 *
 * <p>The runner plays the part of whoever deploys the application: it starts the backends, writes
 * the lb4j configuration file that names them (their ports are only known once they run) into a
 * temporary directory, and points the filter's {@code config} init parameter at that file with a
 * Jetty <em>override descriptor</em>: a {@code web.xml} fragment applied after the application's
 * own, Jetty's way of changing a deployed application's settings without editing its war. The
 * application's {@code web.xml} keeps the value a real deployment would use.
 *
 * <p>Run it with {@code ./mvnw -B -q -pl examples/servlet-webapp compile exec:java} (see the
 * module's README). {@link #start(int)} starts everything and {@link #close()} stops everything,
 * so a test can run the demo in-process.
 */
public final class WebappDemo implements AutoCloseable {

  /** The port {@link #main} listens on when it gets no argument. */
  static final int DEFAULT_PORT = 8080;

  /** The backends' names, which are also their ids in the configuration file. */
  static final List<String> BACKENDS = List.of("backend-a", "backend-b", "backend-c");

  /**
   * The environment variable that holds the admin servlet's bearer token ({@code token-env} in
   * {@code web.xml}).
   */
  static final String TOKEN_ENV = "LB4J_ADMIN_TOKEN";

  /** The filter's name in {@code web.xml}, which the override descriptor refers to. */
  static final String FILTER_NAME = "lb4j";

  /** Where the web application is on the class path (the build copies src/main/webapp there). */
  private static final String WEBAPP_RESOURCE = "webapp";

  private final Server server;
  private final List<DemoBackend> backends;
  private final Path directory;
  private final Path configFile;
  private final InetSocketAddress address;
  private final AtomicBoolean closed = new AtomicBoolean();

  private WebappDemo(
      Server server, List<DemoBackend> backends, Path directory, Path configFile,
      InetSocketAddress address) {
    this.server = server;
    this.backends = backends;
    this.directory = directory;
    this.configFile = configFile;
    this.address = address;
  }

  /**
   * Starts the demo, then waits until Enter is pressed (or, with no console input, until the
   * JVM is stopped with Ctrl-C), and stops it.
   *
   * @param args optionally the port to listen on (default {@value #DEFAULT_PORT}; 0 for any)
   * @throws IllegalStateException if {@value #TOKEN_ENV} is not set
   * @throws Exception if the demo cannot start
   */
  public static void main(String[] args) throws Exception {
    int port = args.length == 0 ? DEFAULT_PORT : Integer.parseInt(args[0]);
    String token = System.getenv(TOKEN_ENV);
    if (token == null || token.isBlank()) {
      throw new IllegalStateException(TOKEN_ENV + " is not set: it is the admin servlet's bearer"
          + " token (web.xml, token-env), without which the application does not deploy. Set it,"
          + " for example: " + TOKEN_ENV + "=demo-token-123 ./mvnw ...");
    }
    WebappDemo demo = start(port);
    Thread stopOnExit = new Thread(demo::close, "lb4j-webapp-demo-stop");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    demo.printWhatToTry(out);
    if (waitForEnter(System.in)) {
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
      demo.close();
      out.println("stopped");
    } else {
      demo.server.join(); // no console input: run until Ctrl-C, which runs the shutdown hook
    }
  }

  /** Reads up to a line end; false at the end of input (no console attached). */
  private static boolean waitForEnter(InputStream in) throws IOException {
    int c;
    do {
      c = in.read();
    } while (c != -1 && c != '\n');
    return c == '\n';
  }

  /**
   * Starts the backends, writes the configuration file and the override descriptor, and deploys
   * the web application on {@code 127.0.0.1}. Whatever started is stopped again if a later step
   * fails.
   *
   * @param port the port for the web application, 0 for one the system chooses
   * @return the running demo
   * @throws Exception if a server cannot start or the web application fails to deploy (a filter or
   *     servlet that cannot be initialised fails the deployment)
   */
  public static WebappDemo start(int port) throws Exception {
    List<DemoBackend> backends = new ArrayList<>();
    Path directory = null;
    Server server = null;
    try {
      for (String name : BACKENDS) {
        backends.add(DemoBackend.start(name));
      }
      directory = Files.createTempDirectory("lb4j-webapp-demo");
      Path configFile = directory.resolve("lb4j.yaml");
      Files.writeString(configFile, configuration(backends));
      Path override = directory.resolve("override-web.xml");
      Files.writeString(override, overrideDescriptor(configFile));

      server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(port);
      server.addConnector(connector);
      WebAppContext webapp = new WebAppContext();
      webapp.setContextPath("/");
      webapp.setBaseResource(webappDirectory(webapp));
      webapp.addOverrideDescriptor(override.toString());
      // The application's classes (and lb4j) are on the class path here, not in WEB-INF.
      webapp.setParentLoaderPriority(true);
      // A filter or servlet that cannot start (a missing or invalid configuration file, no admin
      // token) fails start() instead of leaving an application that answers 503 to everything.
      webapp.setThrowUnavailableOnStartupException(true);
      server.setHandler(webapp);
      server.start();
      InetSocketAddress address = new InetSocketAddress(
          InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), connector.getLocalPort());
      return new WebappDemo(server, List.copyOf(backends), directory, configFile, address);
    } catch (Exception | Error e) {
      stopAll(server, backends, directory, e);
      throw e;
    }
  }

  private static Resource webappDirectory(WebAppContext webapp) {
    Resource base = ResourceFactory.of(webapp).newClassLoaderResource(WEBAPP_RESOURCE);
    if (base == null || !base.isDirectory()) {
      throw new IllegalStateException("the web application is not on the class path at "
          + WEBAPP_RESOURCE + "/ (expected: src/main/webapp copied there by the build; run"
          + " through Maven, or add target/classes to the class path)");
    }
    return base;
  }

  /**
   * The lb4j configuration for this run: one pool, {@code api}, with the backends in order, round
   * robin, and one route that sends every path below {@code /api/} there (a prefix matches
   * character by character: its trailing slash keeps {@code /apix} out). Nothing else is routed,
   * so the filter lets every other request through to the application.
   */
  static String configuration(List<DemoBackend> backends) {
    StringBuilder yaml = new StringBuilder()
        .append("# Written by the lb4j servlet-webapp demo for this run. Edit it while the demo\n")
        .append("# runs (remove a backend, change the algorithm) and save: the filter validates\n")
        .append("# the change and applies it, or logs what is wrong and keeps what runs.\n")
        .append("pools:\n")
        .append("  api:\n")
        .append("    algorithm: round_robin\n")
        .append("    backends:\n");
    for (DemoBackend b : backends) {
      yaml.append("      - uri: ").append(b.uri()).append('\n')
          .append("        id: ").append(b.name()).append('\n');
    }
    return yaml
        .append("routes:\n")
        .append("  - name: api\n")
        .append("    match:\n")
        .append("      pathPrefix: /api/\n")
        .append("    toPool: api\n")
        .toString();
  }

  /** A {@code web.xml} fragment that sets the filter's {@code config} init parameter. */
  static String overrideDescriptor(Path configFile) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<!-- Applied by Jetty after WEB-INF/web.xml: the deployment's value for the lb4j"
        + " filter's configuration file. -->\n"
        + "<web-app xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"6.0\">\n"
        + "  <filter>\n"
        + "    <filter-name>" + FILTER_NAME + "</filter-name>\n"
        + "    <init-param>\n"
        + "      <param-name>config</param-name>\n"
        + "      <param-value>" + xmlText(configFile.toAbsolutePath().toString())
        + "</param-value>\n"
        + "    </init-param>\n"
        + "  </filter>\n"
        + "</web-app>\n";
  }

  private static String xmlText(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /**
   * Prints where everything runs and the {@code curl} commands to try.
   *
   * @param out where to print
   */
  void printWhatToTry(PrintStream out) {
    String base = "http://127.0.0.1:" + address.getPort();
    out.println("lb4j servlet-webapp demo");
    out.println("  web application  " + base + "/  (set up by src/main/webapp/WEB-INF/web.xml)");
    out.println("  lb4j config       " + configFile + "  (watched: edit and save to reconfigure)");
    for (DemoBackend b : backends) {
      out.println("  " + b.name() + "        " + b.uri());
    }
    out.println();
    out.println("Try (or open " + base + "/ in a browser):");
    out.println("  # the application's own servlet; no route matches, the filter lets it through");
    out.println("  curl -s " + base + "/hello");
    out.println("  # proxied by the filter (route /api/), round robin over the three backends");
    out.println("  for i in 1 2 3 4; do curl -s " + base + "/api/orders; done");
    out.println("  # the admin servlet: 401 without the bearer token, the pool's state with it");
    out.println("  curl -s -i " + base + "/lb-admin/status");
    out.println("  curl -s -H \"Authorization: Bearer $" + TOKEN_ENV + "\" " + base
        + "/lb-admin/status");
    out.println();
    out.println("Press Enter (or Ctrl-C) to stop.");
  }

  /** The web application's address. */
  InetSocketAddress address() {
    return address;
  }

  /**
   * The web application's base URI, such as {@code http://127.0.0.1:8080}.
   *
   * @return the URI, without a trailing slash
   */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + address.getPort());
  }

  /** The running backends, in the configuration's order. */
  List<DemoBackend> backends() {
    return backends;
  }

  /** The configuration file the filter runs from (and watches). */
  Path configFile() {
    return configFile;
  }

  /**
   * Stops the web application (the filter stops watching its file and closes its load
   * balancer), then the backends, and deletes the temporary directory. Idempotent.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      stopAll(server, backends, directory, null);
    }
  }

  private static void stopAll(
      @Nullable Server server, List<DemoBackend> backends, @Nullable Path directory,
      @Nullable Throwable failure) {
    try {
      if (server != null) {
        server.stop();
      }
    } catch (Exception e) {
      if (failure != null) {
        failure.addSuppressed(e);
      } else {
        throw new IllegalStateException("stopping Jetty", e);
      }
    } finally {
      backends.forEach(DemoBackend::stop);
      if (directory != null) {
        deleteQuietly(directory);
      }
    }
  }

  private static void deleteQuietly(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
