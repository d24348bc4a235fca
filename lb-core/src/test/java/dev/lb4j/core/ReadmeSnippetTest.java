package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's quickstart honest: the code block in README.md must be exactly the region of
 * {@link Quickstart} that the build compiles and {@link QuickstartTest} runs.
 */
class ReadmeSnippetTest {

  @Test
  void readmeQuickstartIsTheCompiledQuickstartRegion() throws IOException {
    assertReadmeBlockIsRegion("Quickstart.java", "quickstart", "      // endregion");
  }

  @Test
  void readmeHealthExampleIsTheCompiledHealthRegion() throws IOException {
    assertReadmeBlockIsRegion("HealthExample.java", "health", "    // endregion");
  }

  @Test
  void readmeRoutingExampleIsTheCompiledRoutingRegion() throws IOException {
    assertReadmeBlockIsRegion("RoutingExample.java", "routing", "    // endregion");
  }

  /**
   * The README block after {@code <!-- name -->} must be the {@code // region name} of the named
   * source file in this package.
   */
  private static void assertReadmeBlockIsRegion(String file, String name, String regionEnd)
      throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("README.md")) && root.getParent() != null) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String source =
        Files.readString(
            root.resolve("lb-core/src/test/java/dev/lb4j/core/" + file), StandardCharsets.UTF_8);

    String region = between(source, "// region " + name + "\n", regionEnd);
    String block = between(readme, "<!-- " + name + " -->\n```java\n", "```");
    assertThat(normalize(block)).isEqualTo(normalize(region));
  }

  private static String between(String text, String start, String end) {
    int from = text.indexOf(start);
    assertThat(from).as("marker '%s'", start.strip()).isNotNegative();
    from += start.length();
    int to = text.indexOf(end, from);
    assertThat(to).as("marker '%s'", end.strip()).isPositive();
    return text.substring(from, to);
  }

  /** Removes the common indentation and trailing blanks. */
  private static String normalize(String code) {
    String[] lines = code.split("\n", -1);
    int indent =
        Arrays.stream(lines)
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    return Arrays.stream(lines)
        .map(l -> l.isBlank() ? "" : l.substring(indent).stripTrailing())
        .collect(Collectors.joining("\n"))
        .strip();
  }
}
