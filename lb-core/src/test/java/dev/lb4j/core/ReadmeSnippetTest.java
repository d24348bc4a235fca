package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Keeps the README's Java blocks honest: each must be exactly a region of a test source that the
 * build compiles and a test runs ({@link Quickstart} and {@link QuickstartTest}, say), after the
 * imports that region needs (the source file's own, and the same-package types it names).
 */
class ReadmeSnippetTest {

  private static final String CORE = "lb-core/src/test/java/dev/lb4j/core/";
  private static final String CONFIG = "lb-config/src/test/java/dev/lb4j/config/examples/";

  @Test
  void readmeQuickstartIsTheCompiledQuickstartRegion() throws IOException {
    assertReadmeBlockIsRegion(CORE + "Quickstart.java", "quickstart", "      // endregion");
  }

  @Test
  void readmeHealthExampleIsTheCompiledHealthRegion() throws IOException {
    assertReadmeBlockIsRegion(CORE + "HealthExample.java", "health", "    // endregion");
  }

  @Test
  void readmeRoutingExampleIsTheCompiledRoutingRegion() throws IOException {
    assertReadmeBlockIsRegion(CORE + "RoutingExample.java", "routing", "    // endregion");
  }

  /**
   * The "Extending lb4j" examples live in lb-config's tests, where {@code ExtendingExampleTest} runs
   * them programmatically and by provider name from the README's configuration file.
   */
  @Test
  void readmeExtendingExamplesAreTheCompiledExampleClasses() throws IOException {
    assertReadmeBlockIsRegion(CONFIG + "ZoneFirst.java", "extend-algorithm", "// endregion");
    assertReadmeBlockIsRegion(
        CONFIG + "ZoneFirstProvider.java", "extend-algorithm-provider", "// endregion");
    assertReadmeBlockIsRegion(CONFIG + "LoadReportProbe.java", "extend-probe", "// endregion");
    assertReadmeBlockIsRegion(
        CONFIG + "LoadReportProbeProvider.java", "extend-probe-provider", "// endregion");
    assertReadmeBlockIsRegion(CONFIG + "TenantShardRule.java", "extend-rule", "// endregion");
    assertReadmeBlockIsRegion(CONFIG + "ApiKeyPolicy.java", "extend-policy", "// endregion");
    assertReadmeBlockIsRegion(
        CONFIG + "ApiKeyPolicyProvider.java", "extend-policy-provider", "// endregion");
    assertReadmeBlockIsRegion(
        CONFIG + "ExtendingExample.java", "extend-builder", "    // endregion");
    assertReadmeBlockIsRegion(
        CONFIG + "ExtendingExample.java", "extend-config", "    // endregion");
  }

  /**
   * The README block after {@code <!-- name -->} must be the {@code // region name} of the named
   * test source (a path from the repository's root), whose main sources are the same module's.
   */
  private static void assertReadmeBlockIsRegion(String file, String name, String regionEnd)
      throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("README.md")) && root.getParent() != null) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String source = Files.readString(root.resolve(file), StandardCharsets.UTF_8);
    Path module = root.resolve(file.substring(0, file.indexOf("/src/test/java/")));
    Path mainSources = module.resolve("src/main/java");

    String region = between(source, "// region " + name + "\n", regionEnd);
    String block = between(readme, "<!-- " + name + " -->\n```java\n", "```");
    List<String> lines = List.of(block.split("\n", -1));
    List<String> imports = new ArrayList<>();
    int code = 0;
    while (code < lines.size()
        && (lines.get(code).startsWith("import ") || lines.get(code).isBlank())) {
      if (!lines.get(code).isBlank()) {
        imports.add(lines.get(code));
      }
      code++;
    }
    assertThat(normalize(String.join("\n", lines.subList(code, lines.size()))))
        .isEqualTo(normalize(region));
    assertThat(imports)
        .as("the imports shown at the top of the README's '%s' block", name)
        .containsExactlyElementsOf(importsUsed(source, region, mainSources));
  }

  /**
   * The sorted import lines a region needs: the source file's imports whose simple name the code
   * names, and the types of the source's own package (found in {@code mainSources}) that it names.
   */
  private static List<String> importsUsed(String source, String region, Path mainSources)
      throws IOException {
    // Only code counts: a type named in a comment or a string needs no import.
    String code = region.replaceAll("//[^\n]*", "").replaceAll("\"[^\"\n]*\"", "\"\"");
    TreeSet<String> used = new TreeSet<>();
    Matcher imported = Pattern.compile("(?m)^import ([\\w.]+);").matcher(source);
    while (imported.find()) {
      String type = imported.group(1);
      if (names(code, type.substring(type.lastIndexOf('.') + 1))) {
        used.add("import " + type + ";");
      }
    }
    Matcher pkg = Pattern.compile("(?m)^package ([\\w.]+);").matcher(source);
    assertThat(pkg.find()).as("package declaration").isTrue();
    Path packageDir = mainSources.resolve(pkg.group(1).replace('.', '/'));
    List<String> samePackage = List.of(); // a package only the tests have
    if (Files.isDirectory(packageDir)) {
      try (var files = Files.list(packageDir)) {
        samePackage =
            files
                .map(f -> f.getFileName().toString())
                .filter(f -> f.endsWith(".java") && !f.contains("-")) // not package-info.java
                .map(f -> f.substring(0, f.length() - ".java".length()))
                .collect(Collectors.toList());
      }
    }
    for (String simple : samePackage) {
      if (names(code, simple)) {
        used.add("import " + pkg.group(1) + "." + simple + ";");
      }
    }
    return List.copyOf(used);
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
