package dev.lb4j.benchmarks.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * The end-to-end benchmark's programs work: the backends answer, and the Jetty proxy sends
 * successive requests to each backend in turn. Ports are chosen by the system; nothing is timed.
 */
class E2eProgramsTest {

  @Test
  void jettyProxyRoundRobinsOverTheBackends() throws Exception {
    List<HttpServer> backends = Backends.start(List.of(0, 0, 0));
    Server proxy = null;
    try {
      List<String> urls = new ArrayList<>();
      List<String> names = new ArrayList<>();
      for (HttpServer backend : backends) {
        int port = backend.getAddress().getPort();
        urls.add("http://127.0.0.1:" + port);
        names.add(Integer.toString(port));
      }
      proxy = JettyProxy.start(0, urls);
      int proxyPort = ((ServerConnector) proxy.getConnectors()[0]).getLocalPort();

      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> direct = get(client, urls.get(0) + "/");
      assertThat(direct.statusCode()).isEqualTo(200);
      assertThat(direct.body()).isEqualTo("hello from lb4j e2e backend\n");

      List<String> servedBy = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> response = get(client, "http://127.0.0.1:" + proxyPort + "/p?q=" + i);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(direct.body());
        servedBy.add(response.headers().firstValue("X-Backend").orElse("none"));
      }
      List<String> twice = new ArrayList<>(names);
      twice.addAll(names);
      assertThat(servedBy).isEqualTo(twice);
    } finally {
      if (proxy != null) {
        proxy.stop();
      }
      backends.forEach(backend -> backend.stop(0));
    }
  }

  private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
