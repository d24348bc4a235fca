package dev.lb4j.config.examples;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import java.net.http.HttpClient;
import java.util.Map;
import java.util.Set;

// region extend-probe-provider
/** Makes {@code probe: {name: load_report, options: {path: /load, max: "0.9"}}} work in a file. */
public final class LoadReportProbeProvider implements HealthProbeProvider {

  // One client for every probe this provider makes: a JDK client holds a selector thread.
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @Override
  public String name() {
    return "load_report";
  }

  @Override
  public HealthProbe create(Map<String, String> options) {
    for (String key : options.keySet()) {
      if (!Set.of("path", "max").contains(key)) {
        throw new IllegalArgumentException(
            "probe 'load_report' option: '" + key + "' (expected one of [max, path])");
      }
    }
    String max = options.getOrDefault("max", "0.9");
    try {
      return new LoadReportProbe(
          CLIENT, options.getOrDefault("path", "/load"), Double.parseDouble(max));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "probe 'load_report' option 'max': '" + max + "' (expected: a number)", e);
    }
  }
}
// endregion
