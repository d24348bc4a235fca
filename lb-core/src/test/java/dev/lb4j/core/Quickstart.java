package dev.lb4j.core;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The README's quickstart, runnable: starts three HTTP backends on loopback (ephemeral ports), balances
 * requests over them with least-request, drains one, and prints where requests went and the stats.
 *
 * <p>Run: {@code ./mvnw -q -pl lb-core exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.lb4j.core.Quickstart}. {@code QuickstartTest} runs it in the test suite, and
 * {@code ReadmeSnippetTest} checks the README shows exactly the code between the region markers.
 */
public final class Quickstart {

  private Quickstart() {}

  /**
   * Runs the demo.
   *
   * @param args ignored
   * @throws Exception if a backend cannot start
   */
  public static void main(String[] args) throws Exception {
    Map<String, Integer> served = run(System.out);
    System.out.println("served per backend: " + served);
  }

  /** Runs the demo, printing to {@code out}; returns how many requests each backend answered. */
  static Map<String, Integer> run(PrintStream out) throws IOException, InterruptedException {
    // The JDK's HttpServer leaves Nagle's algorithm on unless told otherwise, so on loopback each
    // small response waits for the client's delayed ACK: 17-45 ms instead of well under one. The
    // server reads this property once, when the first HttpServer of the JVM is created.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    List<HttpServer> servers = new ArrayList<>();
    Map<String, Integer> served = new TreeMap<>();
    try {
      List<String> uris = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        HttpServer server =
            HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        String name = "backend-" + i;
        server.createContext(
            "/",
            exchange -> {
              byte[] body = name.getBytes(StandardCharsets.UTF_8);
              exchange.sendResponseHeaders(200, body.length);
              exchange.getResponseBody().write(body);
              exchange.close();
            });
        server.start();
        servers.add(server);
        uris.add("http://127.0.0.1:" + server.getAddress().getPort());
      }
      HttpClient http = HttpClient.newHttpClient();

      // region quickstart
      try (LoadBalancer lb =
          LoadBalancer.builder()
              .pool(
                  "api",
                  pool ->
                      pool.backend(uris.get(0))
                          .backend(uris.get(1))
                          .backend(uris.get(2), 2) // twice the weight
                          .algorithm(Algorithms.leastRequest()))
              .build()) {

        for (int i = 0; i < 100; i++) {
          RequestView request = RequestView.of("GET", "/hello");
          try (Lease lease = lb.select(request).leaseOrThrow()) {
            URI target = lease.backend().uri().resolve(request.path());
            try {
              HttpResponse<String> response =
                  http.send(HttpRequest.newBuilder(target).build(), HttpResponse.BodyHandlers.ofString());
              lease.complete(response.statusCode()); // feeds least-request and the latency EWMA
              served.merge(response.body(), 1, Integer::sum);
            } catch (IOException e) {
              lease.fail(ErrorKind.CONNECT); // counted as a failure of this backend
            }
          }
        }

        // Take a backend out for maintenance: no new requests, in-flight ones finish.
        String drained = lb.defaultPool().backends().get(0).id();
        lb.admin().drain("api", drained);
        Selection next = lb.select(RequestView.of("GET", "/hello"));
        if (next instanceof Lease lease) {
          try (lease) {
            out.println("after draining " + drained + ", next pick: " + lease.backend().id());
          }
        } else if (next instanceof NoBackend none) {
          out.println("no backend: " + none.message());
        }

        out.println(lb.stats().pool("api"));
      }
      // endregion
    } finally {
      for (HttpServer server : servers) {
        server.stop(0);
      }
    }
    return served;
  }
}
