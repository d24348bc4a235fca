package dev.lb4j.examples.proxy;

import dev.lb4j.config.AdminSettings;
import dev.lb4j.config.ConfigProblem;
import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.config.ServerSettings;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The rules the proxy server adds to lb-config's own validation: what it needs to set up its
 * listeners and the admin interface. Reported like lb-config's problems (path, found, expected),
 * by {@code --validate} and before anything starts.
 */
final class ServerChecks {

  private ServerChecks() {}

  /**
   * Every problem of the {@code server} and {@code admin} sections for this server.
   *
   * @param config a configuration lb-config has loaded and validated
   * @return the problems, empty when the server can start with it
   */
  static List<ConfigProblem> problems(Lb4jConfig config) {
    List<ConfigProblem> problems = new ArrayList<>();
    ServerSettings server = config.server();
    if (server.timeout().isZero() || server.timeout().isNegative()) {
      problems.add(new ConfigProblem("server.timeout", server.timeout().toString(),
          "expected: a positive duration, such as 30s"));
    }
    if (server.bind().isBlank()) {
      problems.add(new ConfigProblem("server.bind", "''",
          "expected: an address such as 0.0.0.0 or 127.0.0.1"));
    }
    AdminSettings admin = config.admin();
    if (!admin.enabled()) {
      return problems;
    }
    String tokenProblem = tokenProblem(admin.token());
    if (tokenProblem != null) {
      problems.add(new ConfigProblem("admin.token",
          admin.token() == null ? "missing" : "not usable", tokenProblem));
    }
    String path = admin.path();
    if (!path.startsWith("/") || path.length() < 2 || path.endsWith("/")
        || path.contains("*") || path.contains("?") || path.contains("//")) {
      problems.add(new ConfigProblem("admin.path", "'" + path + "'",
          "expected: a path such as /lb-admin: starting with '/', not ending with one"));
    }
    Integer port = admin.port();
    if (port != null && port != 0 && port == server.port()) {
      problems.add(new ConfigProblem("admin.port", port.toString(),
          "expected: a port other than server.port, or no admin.port to serve the admin"
              + " interface on the traffic port under admin.path"));
    }
    if (port != null && admin.bind().isBlank()) {
      problems.add(new ConfigProblem("admin.bind", "''",
          "expected: an address such as 127.0.0.1"));
    }
    return problems;
  }

  /** The admin servlet's rule for tokens (RFC 6750 characters), as a problem's "expected". */
  private static @Nullable String tokenProblem(@Nullable String token) {
    if (token == null || token.isBlank()) {
      return "expected: a bearer token while admin.enabled is true; the admin interface never"
          + " runs open";
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return "expected: printable ASCII without spaces";
      }
    }
    return null;
  }
}
