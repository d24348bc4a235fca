package dev.lb4j.httpclient;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code http} probe by name, for configuration files: <code>probe: {name: http, options:
 * {path: /healthz, method: GET, expectStatus: 200-299, bodyContains: UP}}</code>. Only {@code path}
 * is required; the others default as in {@link HttpProbe#builder(String)}.
 *
 * @since 0.1.0
 */
public final class HttpProbeProvider implements HealthProbeProvider {

  private static final Set<String> OPTIONS = Set.of("path", "method", "expectStatus", "bodyContains");

  /** Used by {@link java.util.ServiceLoader}. */
  public HttpProbeProvider() {}

  @Override
  public String name() {
    return "http";
  }

  @Override
  public HealthProbe create(Map<String, String> options) {
    for (String key : options.keySet()) {
      if (!OPTIONS.contains(key)) {
        throw new IllegalArgumentException(
            "probe 'http' option: '" + key + "' (expected one of " + new TreeSet<>(OPTIONS) + ")");
      }
    }
    String path = options.get("path");
    if (path == null) {
      throw new IllegalArgumentException(
          "probe 'http' option 'path': missing (expected: an absolute path such as /healthz)");
    }
    HttpProbe.Builder b = HttpProbe.builder(path);
    String method = options.get("method");
    if (method != null) {
      b.method(method);
    }
    String status = options.get("expectStatus");
    if (status != null) {
      String[] range = status.trim().split("-", 2);
      try {
        int min = Integer.parseInt(range[0].trim());
        int max = range.length == 2 ? Integer.parseInt(range[1].trim()) : min;
        b.expectStatus(min, max);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "probe 'http' option 'expectStatus': '" + status
                + "' (expected: a status such as 200 or a range such as 200-399)", e);
      }
    }
    String body = options.get("bodyContains");
    if (body != null) {
      b.bodyContains(body);
    }
    return b.build();
  }
}
