package dev.lb4j.examples.proxy;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What runs without a configuration file: three {@link DemoBackend}s on loopback and a
 * configuration that balances them with round robin, listens on loopback only (traffic on
 * {@value #TRAFFIC_PORT}, the admin interface on {@value #ADMIN_PORT}) and protects the admin
 * interface with a random token. {@code --set} flags and {@code LB4J_...} variables apply on top
 * of it as they would to a file: {@code --set server.port=0 --set admin.port=0} picks free ports.
 */
final class Demo implements AutoCloseable {

  /** The demo's traffic port unless overridden. */
  static final int TRAFFIC_PORT = 8080;

  /** The demo's admin port unless overridden. */
  static final int ADMIN_PORT = 8081;

  /** The demo's pool. */
  static final String POOL = "demo";

  private final List<DemoBackend> backends;
  private final String token;

  private Demo(List<DemoBackend> backends, String token) {
    this.backends = List.copyOf(backends);
    this.token = token;
  }

  /**
   * Starts the three backends.
   *
   * @return the running demo
   * @throws IOException if a backend cannot start (the ones started are stopped)
   */
  static Demo start() throws IOException {
    List<DemoBackend> started = new ArrayList<>();
    try {
      for (int i = 1; i <= 3; i++) {
        started.add(DemoBackend.start("demo-" + i));
      }
    } catch (IOException | RuntimeException e) {
      started.forEach(DemoBackend::stop);
      throw e;
    }
    byte[] random = new byte[16];
    new SecureRandom().nextBytes(random);
    return new Demo(started, HexFormat.of().formatHex(random));
  }

  /** The configuration document, with the backends' actual addresses and the token. */
  String document() {
    StringBuilder yaml = new StringBuilder()
        .append("# The built-in demo: three backends in this process, on loopback.\n")
        .append("pools:\n")
        .append("  ").append(POOL).append(":\n")
        .append("    algorithm: round_robin\n")
        .append("    backends:\n");
    for (DemoBackend b : backends) {
      yaml.append("      - uri: ").append(b.uri()).append('\n')
          .append("        id: ").append(b.name()).append('\n');
    }
    return yaml
        .append("server:\n")
        .append("  port: ").append(TRAFFIC_PORT).append('\n')
        .append("  bind: 127.0.0.1\n")
        .append("admin:\n")
        .append("  enabled: true\n")
        .append("  token: ").append(token).append('\n')
        .append("  port: ").append(ADMIN_PORT).append('\n')
        .append("  bind: 127.0.0.1\n")
        .toString();
  }

  /** The admin token, printed once so that the curl lines work. */
  String token() {
    return token;
  }

  /** The backends, in pool order. */
  List<DemoBackend> backends() {
    return backends;
  }

  /** Stops the backends. */
  @Override
  public void close() {
    backends.forEach(DemoBackend::stop);
  }
}
