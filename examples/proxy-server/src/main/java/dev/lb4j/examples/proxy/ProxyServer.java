package dev.lb4j.examples.proxy;

import dev.lb4j.config.AdminSettings;
import dev.lb4j.config.ConfigException;
import dev.lb4j.config.ConfigProblem;
import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.config.ReloadEvent;
import dev.lb4j.core.LoadBalancer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A standalone reverse proxy: lb4j's servlet filter on embedded Jetty 12, set up from an lb4j
 * configuration file.
 *
 * <pre>
 * java -jar lb4j-proxy-server.jar [--config FILE] [--set path=value]... [--validate] [--help]
 * </pre>
 *
 * <ul>
 *   <li>The configuration comes from the file, then {@code LB4J_...} environment variables, then
 *       {@code --set} flags (lb-config's {@link Lb4jConfig.Loader}); the file is watched and every
 *       valid change is applied without a restart (the {@code server} and {@code admin} sections
 *       change only with one).
 *   <li>Every request on the traffic port ({@code server.bind}:{@code server.port}) is proxied to
 *       the backend lb4j picks, within {@code server.timeout}; retries follow the {@code retries}
 *       section.
 *   <li>With {@code admin.enabled}, the admin interface is served under {@code admin.path} on a
 *       port of its own ({@code admin.bind}:{@code admin.port}) or, without {@code admin.port},
 *       on the traffic port, behind {@code admin.token}.
 *   <li>Without {@code --config}, a demo runs: three backends in this process (see {@link Demo}).
 *   <li>SIGTERM or SIGINT: a graceful stop (see {@link #main}).
 * </ul>
 *
 * <p>Exit status: 0 after {@code --help}, a valid {@code --validate}, or a graceful stop; 1 when
 * the server cannot start; 2 for a bad argument or a configuration with problems.
 */
public final class ProxyServer {

  /** Exit status for a bad argument or an invalid configuration. */
  static final int USAGE_OR_CONFIG = 2;

  /** Exit status when the server cannot start. */
  static final int CANNOT_START = 1;

  private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

  private ProxyServer() {}

  /**
   * Runs the proxy server; returns once it listens, and the process lives on in Jetty's threads
   * until it is told to stop.
   *
   * <p>Stopping: a shutdown hook stops gracefully (no new connections, requests in flight finish
   * within {@code server.shutdownTimeout}), closes the load balancer, then ends the process with
   * {@link Runtime#halt(int) Runtime.halt(0)}. The halt is what makes a stop on SIGTERM exit with
   * 0: the JVM runs shutdown hooks for SIGTERM, SIGINT and SIGHUP but then exits with 128 + the
   * signal's number (143 for SIGTERM), whatever the hooks did, and the only portable way to
   * choose the status from inside the shutdown sequence is to halt once the work is done. (The
   * other way, {@code sun.misc.Signal}, is an internal API that javac warns about on every use.)
   * Nothing else in this program registers a hook that the halt would cut short; the log is
   * flushed before it.
   *
   * @param args see {@link CommandLine#USAGE}
   */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != RUNNING) {
      System.out.flush();
      System.exit(status);
    }
  }

  /** What {@link #run} returns once the server listens: the shutdown hook ends the process. */
  static final int RUNNING = -1;

  /**
   * Parses the arguments and does what they ask.
   *
   * @return the exit status, or {@link #RUNNING} when the server was started
   */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli;
    try {
      cli = CommandLine.parse(args);
    } catch (CommandLine.UsageException e) {
      err.println("lb4j-proxy-server: " + e.getMessage());
      err.println("Run with --help for the usage.");
      return USAGE_OR_CONFIG;
    }
    if (cli.help()) {
      out.print(CommandLine.USAGE);
      return 0;
    }
    if (cli.validate()) {
      return validate(cli, out, err);
    }
    return start(cli, out, err);
  }

  private static int validate(CommandLine cli, PrintStream out, PrintStream err) {
    Path file = cli.config();
    if (file == null) {
      err.println("lb4j-proxy-server: --validate: no --config FILE (expected: the file to check;"
          + " the built-in demo needs no check)");
      return USAGE_OR_CONFIG;
    }
    try {
      Lb4jConfig config = load(cli, file, null);
      out.println("# " + config.source() + ": valid; the effective configuration (secrets"
          + " masked):");
      out.print(config.toYaml());
      return 0;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return USAGE_OR_CONFIG;
    }
  }

  /** Loads with lb-config, then adds this server's own checks (see {@link ServerChecks}). */
  private static Lb4jConfig load(CommandLine cli, @Nullable Path file, @Nullable Demo demo) {
    Lb4jConfig.Loader loader = Lb4jConfig.loader();
    if (file != null) {
      loader.file(file);
    } else {
      loader.text(Objects.requireNonNull(demo, "demo").document(), "the built-in demo");
    }
    Lb4jConfig config = loader.environment(System.getenv()).flags(cli.overrides()).load();
    List<ConfigProblem> problems = ServerChecks.problems(config);
    if (!problems.isEmpty()) {
      throw new ConfigException(config.source(), problems);
    }
    return config;
  }

  private static int start(CommandLine cli, PrintStream out, PrintStream err) {
    Path file = cli.config();
    Demo demo = null;
    LoadBalancer lb = null;
    ConfigReloader reloader = null;
    ProxyMetrics metrics = null;
    try {
      if (file == null) {
        demo = Demo.start();
      }
      Lb4jConfig config;
      try {
        config = load(cli, file, demo);
      } catch (ConfigException e) {
        err.println(e.getMessage());
        closeAll(null, null, demo);
        return USAGE_OR_CONFIG;
      }
      metrics = new ProxyMetrics();
      lb = metrics.build(config.newBuilder());
      reloader = ConfigReloader.of(lb, config, System.getenv(), cli.overrides());
      reloader.addListener(ProxyServer::logReload);
      JettyProxy jetty = JettyProxy.start(config, lb, reloader, metrics);
      if (file != null) {
        reloader.watch(file);
      }
      Runtime.getRuntime().addShutdownHook(
          new Thread(new Stop(jetty, reloader, lb, demo), "lb4j-proxy-shutdown"));
      LOG.info("lb4j proxy: configuration from {}, pools {}; {}", config.source(),
          config.poolNames(), jetty.filter());
      LOG.info("lb4j proxy listening on {} (traffic)", jetty.trafficAddress());
      AdminSettings admin = config.admin();
      String adminAddress = jetty.adminAddress();
      if (adminAddress != null) {
        LOG.info("lb4j proxy listening on {} (admin)", adminAddress);
      } else if (admin.enabled()) {
        LOG.info("lb4j proxy: the admin interface is at {}{} (on the traffic port)",
            jetty.trafficAddress(), admin.path());
      }
      if (demo != null) {
        printDemoHelp(out, jetty, admin);
      }
      return RUNNING;
    } catch (Exception e) {
      err.println("lb4j-proxy-server: cannot start: " + describe(e));
      closeAll(reloader, lb, demo);
      if (metrics != null) {
        metrics.close();
      }
      return CANNOT_START;
    }
  }

  private static void logReload(ReloadEvent event) {
    switch (event.outcome()) {
      case REJECTED -> LOG.warn("lb4j proxy: configuration from {} rejected, the running one"
          + " stays:{}", event.source(), problemLines(event.problems()));
      case UNCHANGED -> LOG.info("lb4j proxy: configuration from {} unchanged", event.source());
      default -> LOG.info("lb4j proxy: configuration {} from {}:\n{}",
          event.outcome() == ReloadEvent.Outcome.APPLIED ? "applied" : "rolled back",
          event.source(), event.diff());
    }
  }

  private static String problemLines(List<ConfigProblem> problems) {
    StringBuilder s = new StringBuilder();
    for (ConfigProblem p : problems) {
      s.append("\n  ").append(p);
    }
    return s.toString();
  }

  private static String describe(Throwable e) {
    StringBuilder s = new StringBuilder(String.valueOf(e.getMessage()));
    for (Throwable c = e.getCause(); c != null && c != e; c = c.getCause()) {
      s.append(": ").append(c.getMessage());
      if (c.getCause() == c) {
        break;
      }
    }
    return s.toString();
  }

  private static void printDemoHelp(PrintStream out, JettyProxy jetty, AdminSettings admin) {
    String traffic = jetty.trafficAddress().replace("//0.0.0.0:", "//127.0.0.1:");
    String adminBase = jetty.adminAddress() != null
        ? jetty.adminAddress() + admin.path() : traffic + admin.path();
    String auth = "-H 'Authorization: Bearer " + admin.token() + "'";
    out.println();
    out.println("The demo runs: three backends (demo-1, demo-2, demo-3) behind the proxy, round"
        + " robin.");
    if (admin.enabled()) {
      out.println("Admin token (random, for this run only): " + admin.token());
    }
    out.println("Try:");
    out.println("  curl " + traffic + "/hello    # again and again: each backend in turn");
    if (admin.enabled()) {
      out.println("  curl " + auth + " " + adminBase + "/status");
      out.println("  curl " + auth + " -X POST " + adminBase + "/pools/" + Demo.POOL
          + "/backends/demo-2/drain    # then /hello skips demo-2");
      out.println("  curl " + auth + " -X POST " + adminBase + "/pools/" + Demo.POOL
          + "/backends/demo-2/undrain");
      out.println("  curl " + auth + " -X POST " + adminBase + "/explain -d '{\"path\": "
          + "\"/hello\"}'");
    }
    out.println("Stop with Ctrl-C (or SIGTERM): requests in flight finish first.");
    out.println();
    out.flush();
  }

  private static void closeAll(
      @Nullable ConfigReloader reloader, @Nullable LoadBalancer lb, @Nullable Demo demo) {
    if (reloader != null) {
      reloader.close();
    }
    if (lb != null) {
      lb.close();
    }
    if (demo != null) {
      demo.close();
    }
  }

  /** The shutdown hook (see {@link #main}). */
  private record Stop(JettyProxy jetty, ConfigReloader reloader, LoadBalancer lb,
      @Nullable Demo demo) implements Runnable {
    @Override
    public void run() {
      int status = 0;
      try {
        boolean complete = jetty.stopGracefully();
        closeAll(reloader, lb, demo);
        LOG.info("lb4j proxy stopped{}", complete ? "" : " (requests cut off at the timeout)");
      } catch (RuntimeException | Error e) {
        LOG.error("lb4j proxy: stopping failed", e);
        status = 1;
      } finally {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
      }
    }
  }
}
