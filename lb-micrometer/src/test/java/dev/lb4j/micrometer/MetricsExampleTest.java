package dev.lb4j.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's metrics example runs, and the README shows exactly its code and imports. */
class MetricsExampleTest {

  @Test
  void theExampleTimesEachRequestPerBackend() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (LoadBalancer lb =
        MetricsExample.build(List.of("http://127.0.0.1:20001", "http://127.0.0.1:20002"), registry)) {
      for (int i = 0; i < 4; i++) {
        try (Lease lease = lb.select(RequestView.of("GET", "/")).leaseOrThrow()) {
          lease.complete(200);
        }
      }
      for (String backend : List.of("127.0.0.1:20001", "127.0.0.1:20002")) {
        assertThat(
                registry
                    .get(LoadBalancerMetrics.REQUESTS)
                    .tags("pool", "api", "backend", backend, "route", "default")
                    .tags("outcome", "success", "status", "2xx")
                    .timer()
                    .count())
            .isEqualTo(2);
        assertThat(registry.get(LoadBalancerMetrics.BACKEND_STATE).tags("backend", backend).gauge().value())
            .isZero();
      }
    }
  }

  @Test
  void readmeMetricsBlockIsTheCompiledExampleRegion() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("README.md")) && root.getParent() != null) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String source =
        Files.readString(
            root.resolve("lb-micrometer/src/test/java/dev/lb4j/micrometer/MetricsExample.java"),
            StandardCharsets.UTF_8);
    String region = between(source, "// region metrics\n", "    // endregion");
    String block = between(readme, "<!-- metrics -->\n```java\n", "```");
    List<String> lines = block.lines().toList();
    int code = 0;
    TreeSet<String> shownImports = new TreeSet<>();
    while (code < lines.size()
        && (lines.get(code).startsWith("import ") || lines.get(code).isBlank())) {
      if (!lines.get(code).isBlank()) {
        shownImports.add(lines.get(code));
      }
      code++;
    }
    assertThat(normalize(String.join("\n", lines.subList(code, lines.size()))))
        .isEqualTo(normalize(region));
    // Imports the region's code names: the source's own, and LoadBalancerMetrics (same package).
    String codeOnly = region.replaceAll("//[^\n]*", "");
    TreeSet<String> needed = new TreeSet<>();
    Matcher imported = Pattern.compile("(?m)^import ([\\w.]+);").matcher(source);
    while (imported.find()) {
      String type = imported.group(1);
      if (names(codeOnly, type.substring(type.lastIndexOf('.') + 1))) {
        needed.add("import " + type + ";");
      }
    }
    needed.add("import dev.lb4j.micrometer.LoadBalancerMetrics;");
    assertThat(shownImports).containsExactlyElementsOf(needed);
  }

  private static boolean names(String code, String simpleName) {
    return Pattern.compile("\\b" + Pattern.quote(simpleName) + "\\b").matcher(code).find();
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    assertThat(from).as("marker '%s'", start.strip()).isNotNegative();
    from += start.length();
    int to = text.indexOf(end, from);
    assertThat(to).as("marker '%s'", end.strip()).isPositive();
    return text.substring(from, to);
  }

  private static String normalize(String code) {
    List<String> lines = code.lines().toList();
    int indent =
        lines.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return Arrays.stream(lines.toArray(String[]::new))
        .map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing())
        .collect(Collectors.joining("\n"))
        .strip();
  }
}
