package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ClientExampleTest {

  private final List<WireMockServer> servers = new ArrayList<>();

  @AfterEach
  void stopServers() {
    servers.forEach(WireMockServer::stop);
  }

  private String server(int userStatus) {
    WireMockServer s = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
    s.start();
    servers.add(s);
    s.stubFor(get(urlEqualTo("/healthz")).willReturn(aResponse().withStatus(200)));
    s.stubFor(
        get(urlEqualTo("/users/7"))
            .willReturn(aResponse().withStatus(userStatus).withBody("user 7 from " + s.port())));
    s.stubFor(
        get(urlEqualTo("/orders?user=7&page=1"))
            .withHeader("Accept", com.github.tomakehurst.wiremock.client.WireMock.equalTo(
                "application/json"))
            .willReturn(aResponse().withStatus(200).withBody("[\"order 1\"]")));
    return "http://127.0.0.1:" + s.port();
  }

  @Test
  void theExampleFetchesAcrossPoolsAndRetriesPastAFailingBackend() throws Exception {
    // Every user backend but one answers 503: whichever the first pick is, the three attempts
    // (each on another backend) reach the healthy one.
    List<String> users = List.of(server(503), server(503), server(200));
    List<String> orders = List.of(server(200), server(200));

    List<String> bodies = ClientExample.run(users, orders);

    assertThat(bodies.get(0)).isEqualTo("user 7 from " + servers.get(2).port());
    assertThat(bodies.get(1)).isEqualTo("[\"order 1\"]");
    int ordersServed = 0;
    for (WireMockServer s : servers.subList(3, 5)) {
      ordersServed += s.findAll(getRequestedFor(urlEqualTo("/orders?user=7&page=1"))).size();
    }
    assertThat(ordersServed).isEqualTo(1);
  }

  @Test
  void readmeClientBlockIsTheCompiledRegion() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.exists(root.resolve("README.md")) && root.getParent() != null) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"), StandardCharsets.UTF_8);
    String source =
        Files.readString(
            root.resolve("lb-jdk-httpclient/src/test/java/dev/lb4j/httpclient/ClientExample.java"),
            StandardCharsets.UTF_8);
    String region = between(source, "// region client\n", "    // endregion");
    String block = between(readme, "<!-- client -->\n```java\n", "```");
    // The block starts with the imports the region needs, then the region itself.
    List<String> imports = new ArrayList<>();
    String rest = block;
    while (rest.startsWith("import ") || rest.startsWith("\n")) {
      int end = rest.indexOf('\n') + 1;
      if (!rest.startsWith("\n")) {
        imports.add(rest.substring(0, end - 1));
      }
      rest = rest.substring(end);
    }
    assertThat(dedent(rest)).isEqualTo(dedent(region));
    assertThat(imports)
        .as("the imports shown at the top of the README's client block")
        .containsExactlyElementsOf(
            importsUsed(source, region, root.resolve("lb-jdk-httpclient/src/main/java")));
  }

  /**
   * The sorted import lines a region needs: the source file's imports whose simple name its code
   * names, and the types of the source's own package (in {@code mainSources}) that it names.
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
    String pkg = "dev.lb4j.httpclient";
    List<String> samePackage;
    try (var files = Files.list(mainSources.resolve(pkg.replace('.', '/')))) {
      samePackage =
          files
              .map(f -> f.getFileName().toString())
              .filter(f -> f.endsWith(".java") && !f.contains("-")) // not package-info.java
              .map(f -> f.substring(0, f.length() - ".java".length()))
              .collect(Collectors.toList());
    }
    for (String simple : samePackage) {
      if (names(code, simple)) {
        used.add("import " + pkg + "." + simple + ";");
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

  /** Removes the common indentation and trailing blanks, so only the code is compared. */
  private static String dedent(String text) {
    List<String> lines = text.strip().isEmpty() ? List.of() : List.of(text.split("\n", -1));
    int indent = Integer.MAX_VALUE;
    for (String line : lines) {
      if (!line.isBlank()) {
        indent = Math.min(indent, line.length() - line.stripLeading().length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String line : lines) {
      sb.append(line.isBlank() ? "" : line.substring(indent).stripTrailing()).append('\n');
    }
    return sb.toString().strip();
  }
}
