package dev.lb4j.examples.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The jar with no configuration: the built-in demo, on free ports. */
class DemoIT {

  private static final Pattern TOKEN =
      Pattern.compile("Admin token \\(random, for this run only\\): (\\S+)");

  private static final Pattern NAME = Pattern.compile("^hello from (demo-\\d+) ");

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void theDemoAnswersFromItsThreeBackendsAndStopsOnSigterm() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (ProxyProcess proxy =
        ProxyProcess.start("--set", "server.port=0", "--set", "admin.port=0")) {
      URI traffic = proxy.awaitListening("traffic");
      URI admin = proxy.awaitListening("admin");
      Matcher token = TOKEN.matcher(proxy.awaitOutput(TOKEN, Duration.ofSeconds(10)));
      assertThat(token.find()).isTrue();
      // The help follows the token line; wait for its last line rather than assume it is printed.
      proxy.awaitOutput(Pattern.compile("Stop with Ctrl-C"), Duration.ofSeconds(10));
      assertThat(proxy.stdout()).contains("curl " + traffic + "/hello",
          admin + "/lb-admin/status", "/lb-admin/pools/demo/backends/demo-2/drain");

      Set<String> names = new TreeSet<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> response = http.send(
            HttpRequest.newBuilder(traffic.resolve("/hello")).timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).startsWith("hello from demo-");
        Matcher name = NAME.matcher(response.body());
        assertThat(name.find()).as(response.body()).isTrue();
        names.add(name.group(1));
      }
      assertThat(names).containsExactly("demo-1", "demo-2", "demo-3");

      HttpResponse<String> status = http.send(
          HttpRequest.newBuilder(admin.resolve("/lb-admin/status"))
              .header("Authorization", "Bearer " + token.group(1))
              .timeout(Duration.ofSeconds(30))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.body()).contains("\"demo-1\"", "\"demo-3\"");

      proxy.terminate();
      assertThat(proxy.awaitExit()).as(proxy.transcript()).isZero();
      assertThat(proxy.stdout()).contains("lb4j proxy stopped");
    }
  }
}
