package dev.lb4j.examples.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged proxy server's {@code /metrics}: traffic through the proxy to two loopback
 * backends, then a scrape with the admin token that Prometheus's own parser ({@code promtool check
 * metrics}, Debian's {@code prometheus} package, which .ci/run installs) accepts, and whose samples
 * carry the exact request counts.
 */
class MetricsIT {

  private static final String TOKEN = "it-metrics-token-7d21";
  private static final int PER_BACKEND = 7;
  private static final Duration WAIT = Duration.ofSeconds(30);

  private final TestBackend.Gate gate = new TestBackend.Gate();
  private final List<TestBackend> backends = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  @TempDir Path dir;

  @BeforeEach
  void startBackends() throws IOException {
    backends.add(TestBackend.start("b1", gate));
    backends.add(TestBackend.start("b2", gate));
  }

  @AfterEach
  void stopBackends() {
    backends.forEach(TestBackend::close);
  }

  private Path writeConfig() throws IOException {
    Path file = dir.resolve("lb4j.yaml");
    Files.writeString(file, config(backends), StandardCharsets.UTF_8);
    return file;
  }

  /** Round robin over these backends, every port 0 on loopback, the admin token. */
  private static String config(List<TestBackend> members) {
    StringBuilder yaml = new StringBuilder("""
        pools:
          api:
            algorithm: round_robin
            backends:
        """);
    for (TestBackend b : members) {
      yaml.append("      - uri: ").append(b.uri()).append('\n')
          .append("        id: ").append(b.name()).append('\n');
    }
    yaml.append("""
        server:
          port: 0
          bind: 127.0.0.1
        admin:
          enabled: true
          token: %s
          port: 0
          bind: 127.0.0.1
        """.formatted(TOKEN));
    return yaml.toString();
  }

  private HttpResponse<String> get(URI uri, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(WAIT);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void theScrapePassesPromtoolAndCountsEveryRequestPerBackend() throws Exception {
    String promtool = promtool();
    try (ProxyProcess proxy = ProxyProcess.start("--config", writeConfig().toString())) {
      URI traffic = proxy.awaitListening("traffic");
      URI admin = proxy.awaitListening("admin");
      for (int i = 0; i < 2 * PER_BACKEND; i++) {
        HttpResponse<String> response = get(traffic.resolve("/hello?i=" + i));
        assertThat(response.statusCode()).as(proxy.transcript()).isEqualTo(200);
      }
      URI metrics = admin.resolve("/lb-admin/metrics");
      assertThat(get(metrics).statusCode()).as("without the token").isEqualTo(401);

      HttpResponse<String> scrape = scrapeCounting(metrics, 2 * PER_BACKEND);
      String body = scrape.body();
      Map<String, Double> counts = samples(body, "lb4j_requests_seconds_count");
      assertThat(scrape.headers().firstValue("Content-Type"))
          .hasValue("text/plain; version=0.0.4; charset=utf-8");

      PromtoolResult check = run(promtool, body);
      assertThat(check.exit())
          .as("promtool check metrics said:\n%s\nof the scrape:\n%s", check.output(), body)
          .isZero();

      assertThat(counts)
          .as(body)
          .containsExactlyInAnyOrderEntriesOf(Map.of(
              "backend=b1,outcome=success,pool=api,route=default,status=2xx", (double) PER_BACKEND,
              "backend=b2,outcome=success,pool=api,route=default,status=2xx", (double) PER_BACKEND));
      assertThat(samples(body, "lb4j_requests_seconds_bucket"))
          .as("the percentile histogram's last bucket")
          .containsEntry(
              "backend=b1,le=+Inf,outcome=success,pool=api,route=default,status=2xx",
              (double) PER_BACKEND);
      assertThat(samples(body, "lb4j_backend_state"))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("backend=b1,pool=api", 0.0, "backend=b2,pool=api", 0.0));
      assertThat(samples(body, "lb4j_backend_weight"))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("backend=b1,pool=api", 1.0, "backend=b2,pool=api", 1.0));
      assertThat(samples(body, "lb4j_ejections_total"))
          .containsExactlyInAnyOrderEntriesOf(
              Map.of("backend=b1,pool=api", 0.0, "backend=b2,pool=api", 0.0));
      assertThat(samples(body, "lb4j_pool_panic")).containsExactlyEntriesOf(Map.of("pool=api", 0.0));
      assertThat(samples(body, "jetty_server_requests_seconds_count"))
          .as("Jetty's own timer: the proxied requests, at least")
          .hasEntrySatisfying(
              "method=GET,outcome=SUCCESS,status=200",
              n -> assertThat(n).isGreaterThanOrEqualTo(2.0 * PER_BACKEND));
      assertThat(samples(body, "jvm_threads_live_threads")).containsKey("");
      assertThat(samples(body, "jvm_memory_used_bytes")).isNotEmpty();

      // A configuration without b2, applied through the admin interface: the same load balancer
      // is reconfigured, so b1's meters go on counting and b2's leave the scrape.
      HttpResponse<String> applied =
          http.send(
              HttpRequest.newBuilder(admin.resolve("/lb-admin/config"))
                  .timeout(WAIT)
                  .header("Authorization", "Bearer " + TOKEN)
                  .header("Content-Type", "application/yaml")
                  .POST(HttpRequest.BodyPublishers.ofString(config(List.of(backends.get(0)))))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
      assertThat(applied.body()).contains("APPLIED");
      for (int i = 0; i < PER_BACKEND; i++) {
        assertThat(get(traffic.resolve("/again?i=" + i)).statusCode()).isEqualTo(200);
      }
      String after = scrapeCounting(metrics, 2 * PER_BACKEND).body();
      assertThat(run(promtool, after).exit()).as(after).isZero();
      assertThat(samples(after, "lb4j_requests_seconds_count"))
          .as(after)
          .containsExactlyEntriesOf(Map.of(
              "backend=b1,outcome=success,pool=api,route=default,status=2xx",
              2.0 * PER_BACKEND));
      assertThat(after.lines().filter(l -> l.startsWith("lb4j_") && l.contains("backend=\"b2\"")))
          .as("b2's meters after it left the pool")
          .isEmpty();
      assertThat(samples(after, "lb4j_backend_state"))
          .containsExactlyEntriesOf(Map.of("backend=b1,pool=api", 0.0));
    }
  }

  /**
   * Scrapes until the request timers count {@code requests} in all (bounded): a lease is released
   * once the proxy has finished the response, which may be a moment after the client read it.
   */
  private HttpResponse<String> scrapeCounting(URI metrics, int requests) throws Exception {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      HttpResponse<String> scrape = get(metrics, "Authorization", "Bearer " + TOKEN);
      assertThat(scrape.statusCode()).as(scrape.body()).isEqualTo(200);
      double counted =
          samples(scrape.body(), "lb4j_requests_seconds_count").values().stream()
              .mapToDouble(Double::doubleValue)
              .sum();
      if (counted >= requests || System.nanoTime() > deadline) {
        return scrape;
      }
      Thread.sleep(100);
    }
  }

  /**
   * The samples of one metric in a text-format scrape: the label set (sorted {@code k=v} pairs,
   * joined by commas, values unescaped) to the value. Strict: a sample line that does not parse
   * fails the test.
   */
  static Map<String, Double> samples(String scrape, String metric) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : scrape.lines().toList()) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      if (!name.equals(metric)) {
        continue;
      }
      Map<String, String> labels = new TreeMap<>();
      int i = name.length();
      if (line.charAt(i) == '{') {
        i++;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String label = line.substring(i, eq);
          if (line.charAt(eq + 1) != '"') {
            throw new AssertionError("label value not quoted: " + line);
          }
          StringBuilder value = new StringBuilder();
          int j = eq + 2;
          for (; line.charAt(j) != '"'; j++) {
            char c = line.charAt(j);
            if (c == '\\') {
              char next = line.charAt(++j);
              value.append(next == 'n' ? '\n' : next);
            } else {
              value.append(c);
            }
          }
          labels.put(label, value.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      String sample = line.substring(i).trim();
      int end = sample.indexOf(' ');
      StringBuilder key = new StringBuilder();
      labels.forEach((k, v) -> key.append(key.length() == 0 ? "" : ",").append(k).append('=').append(v));
      if (samples.put(key.toString(), Double.parseDouble(end < 0 ? sample : sample.substring(0, end))) != null) {
        throw new AssertionError("duplicate sample: " + line);
      }
    }
    return samples;
  }

  /** promtool from the PATH; its absence fails the test (it is a declared tool of the build). */
  private static String promtool() {
    for (String dir : Pattern.compile(":").splitAsStream(System.getenv().getOrDefault("PATH", "")).toList()) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new AssertionError("promtool is not on the PATH: this test checks the scrape with"
        + " Prometheus's own parser. Install Debian's package: apt-get install -y"
        + " --no-install-recommends prometheus (.ci/run does this when promtool is missing)");
  }

  private record PromtoolResult(int exit, String output) {}

  private static PromtoolResult run(String promtool, String input) throws Exception {
    Process process =
        new ProcessBuilder(promtool, "check", "metrics").redirectErrorStream(true).start();
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader =
        new Thread(
            () -> {
              try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
              } catch (IOException ignored) {
                // the process ended
              }
            },
            "promtool-output");
    reader.start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(input.getBytes(StandardCharsets.UTF_8));
    }
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("promtool check metrics still running after 60 s");
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    return new PromtoolResult(process.exitValue(), output.toString(StandardCharsets.UTF_8));
  }
}
