package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder.allRequests;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@link LoadBalancedHttpClient} changes on the way to a backend (scheme, host, port, a base
 * path, a route's path rewrite) and everything it must leave alone (method, raw path, query,
 * headers, body; on the way back status, headers and body), seen from real WireMock backends.
 */
class ForwardingTest {

  private static final int BACKENDS = 3;
  private static final List<WireMockServer> SERVERS = new ArrayList<>();

  @BeforeAll
  static void startServers() {
    WireMockPoolFixture.startLoopbackServers(SERVERS, BACKENDS);
  }

  @AfterAll
  static void stopServers() {
    WireMockPoolFixture.stopAll(SERVERS);
  }

  @BeforeEach
  void resetServers() {
    for (int i = 0; i < BACKENDS; i++) {
      WireMockServer s = SERVERS.get(i);
      s.resetAll();
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("b" + i)));
    }
  }

  private static int port(int server) {
    return SERVERS.get(server).port();
  }

  /** Pool "api" over the three servers, round robin. */
  private static LoadBalancer lb() {
    return LoadBalancer.builder()
        .pool("api", p -> {
          for (int i = 0; i < BACKENDS; i++) {
            p.backend("http://127.0.0.1:" + port(i));
          }
          p.algorithm(Algorithms.roundRobin());
        })
        .build();
  }

  /** A request one server received, and which server. */
  private record Received(int server, LoggedRequest request) {}

  /** The one request all servers together received; fails when there is not exactly one. */
  private static Received onlyRequest() {
    List<Received> all = new ArrayList<>();
    for (int i = 0; i < BACKENDS; i++) {
      for (LoggedRequest r : SERVERS.get(i).findAll(allRequests())) {
        all.add(new Received(i, r));
      }
    }
    assertThat(all).as("requests the backends received").hasSize(1);
    return all.get(0);
  }

  private static int totalReceived() {
    int n = 0;
    for (WireMockServer s : SERVERS) {
      n += s.findAll(allRequests()).size();
    }
    return n;
  }

  private static @Nullable List<String> headerValues(LoggedRequest r, String name) {
    return r.getHeaders().getHeader(name).isPresent()
        ? r.getHeaders().getHeader(name).values()
        : null;
  }

  @Test
  void pathQueryAndHeadersReachTheBackendAndOnlySchemeHostPortAreRewritten() throws Exception {
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/users/7/orders?sort=desc&page=2&flag"))
                  .header("X-Trace", "t-1")
                  .header("Accept", "application/json")
                  .header("X-Multi", "first")
                  .header("X-Multi", "second")
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      Received got = onlyRequest();
      LoggedRequest seen = got.request();
      assertThat(seen.getMethod().getName()).isEqualTo("GET");
      assertThat(seen.getUrl()).isEqualTo("/users/7/orders?sort=desc&page=2&flag");
      assertThat(seen.getHeader("X-Trace")).isEqualTo("t-1");
      assertThat(seen.getHeader("Accept")).isEqualTo("application/json");
      assertThat(headerValues(seen, "X-Multi")).containsExactly("first", "second");
      // The JDK client derives Host from the rewritten URI: the backend's authority.
      assertThat(seen.getHeader("Host")).isEqualTo("127.0.0.1:" + port(got.server()));
      assertThat(seen.getAbsoluteUrl())
          .isEqualTo("http://127.0.0.1:" + port(got.server()) + "/users/7/orders?sort=desc&page=2&flag");

      // The caller sees where the request went.
      URI backendUri =
          URI.create("http://127.0.0.1:" + port(got.server()) + "/users/7/orders?sort=desc&page=2&flag");
      assertThat(r.uri()).isEqualTo(backendUri);
      assertThat(r.request().uri()).isEqualTo(backendUri);
      assertThat(r.request().headers().allValues("X-Multi")).containsExactly("first", "second");
      assertThat(r.body()).isEqualTo("b" + got.server());
    }
  }

  @Test
  void theLogicalUrisSchemeAndPortAreReplacedByTheBackends() throws Exception {
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      // https and port 8443 name nothing real: the backend is plain http on its own port.
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("https://api:8443/secure/thing?a=b")).build(),
              HttpResponse.BodyHandlers.ofString());

      Received got = onlyRequest();
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(got.request().getUrl()).isEqualTo("/secure/thing?a=b");
      assertThat(got.request().getHeader("Host")).isEqualTo("127.0.0.1:" + port(got.server()));
      assertThat(r.uri())
          .isEqualTo(URI.create("http://127.0.0.1:" + port(got.server()) + "/secure/thing?a=b"));
    }
  }

  @Test
  void percentEncodedPathAndQueryAreForwardedRawNotDecoded() throws Exception {
    String pathAndQuery = "/files/a%20b/c%2Fd/%E2%82%AC/semi;colon/plus+sign?q=a%26b%3Dc&x=%20&y=%2B";
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api" + pathAndQuery)).build(),
              HttpResponse.BodyHandlers.ofString());

      Received got = onlyRequest();
      // %2F stays %2F (decoding it would add a path segment), %26 and %3D stay encoded in the query
      // (decoding them would add a parameter).
      assertThat(got.request().getUrl()).isEqualTo(pathAndQuery);
      assertThat(r.uri().getRawPath()).isEqualTo(URI.create(pathAndQuery).getRawPath());
      assertThat(r.uri().getRawQuery()).isEqualTo(URI.create(pathAndQuery).getRawQuery());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "PATCH", "PROPFIND"})
  void methodReachesTheBackend(String method) throws Exception {
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/m"))
                  .method(method, HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(onlyRequest().request().getMethod().getName()).isEqualTo(method);
      assertThat(r.request().method()).isEqualTo(method);
    }
  }

  @Test
  void stringBodyOfAPostReachesTheBackendByteForByte() throws Exception {
    String text = "héllo wörld, € and 😀\nsecond line";
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/messages"))
                  .header("Content-Type", "application/vnd.lb4j.note+text")
                  .POST(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      LoggedRequest seen = onlyRequest().request();
      assertThat(seen.getMethod().getName()).isEqualTo("POST");
      assertThat(seen.getBody()).isEqualTo(text.getBytes(StandardCharsets.UTF_8));
      assertThat(seen.getHeader("Content-Type")).isEqualTo("application/vnd.lb4j.note+text");
      assertThat(seen.getHeader("Content-Length"))
          .isEqualTo(Integer.toString(text.getBytes(StandardCharsets.UTF_8).length));
    }
  }

  @Test
  void byteArrayBodyOfAPutReachesTheBackendByteForByte() throws Exception {
    byte[] body = new byte[64 * 1024];
    new Random(42).nextBytes(body);
    for (int i = 0; i < 256; i++) {
      body[i] = (byte) i; // every byte value, including 0, CR and LF
    }
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/blobs/1"))
                  .header("Content-Type", "application/octet-stream")
                  .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      LoggedRequest seen = onlyRequest().request();
      assertThat(seen.getMethod().getName()).isEqualTo("PUT");
      assertThat(seen.getUrl()).isEqualTo("/blobs/1");
      assertThat(seen.getBody()).isEqualTo(body);
    }
  }

  @Test
  void fileBodyReachesTheBackendByteForByte(@TempDir Path dir) throws Exception {
    byte[] content = new byte[200_000];
    new Random(7).nextBytes(content);
    Path file = Files.write(dir.resolve("upload.bin"), content);
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/uploads?name=upload.bin"))
                  .POST(HttpRequest.BodyPublishers.ofFile(file))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      LoggedRequest seen = onlyRequest().request();
      assertThat(seen.getMethod().getName()).isEqualTo("POST");
      assertThat(seen.getUrl()).isEqualTo("/uploads?name=upload.bin");
      assertThat(seen.getBody()).isEqualTo(content);
    }
  }

  @Test
  void sendAsyncForwardsTheSameWay() throws Exception {
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client
              .sendAsync(
                  HttpRequest.newBuilder(URI.create("http://api/async/1?k=v"))
                      .header("X-Async", "yes")
                      .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"op\":1}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .get(30, TimeUnit.SECONDS);

      Received got = onlyRequest();
      assertThat(got.request().getMethod().getName()).isEqualTo("PATCH");
      assertThat(got.request().getUrl()).isEqualTo("/async/1?k=v");
      assertThat(got.request().getHeader("X-Async")).isEqualTo("yes");
      assertThat(got.request().getBodyAsString()).isEqualTo("{\"op\":1}");
      assertThat(r.uri()).isEqualTo(URI.create("http://127.0.0.1:" + port(got.server()) + "/async/1?k=v"));
      assertThat(r.body()).isEqualTo("b" + got.server());
    }
  }

  @Test
  void responseStatusHeadersAndBodyReachTheCallerIntact() throws Exception {
    byte[] payload = new byte[10_000];
    new Random(3).nextBytes(payload);
    for (WireMockServer s : SERVERS) {
      s.stubFor(
          any(anyUrl())
              .willReturn(
                  aResponse()
                      .withStatus(418)
                      .withHeader("X-Resp", "one", "two")
                      .withHeader("Content-Type", "application/x-teapot")
                      .withHeader("Cache-Control", "no-store")
                      .withBody(payload)));
    }
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<byte[]> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/teapot?brew=1")).build(),
              HttpResponse.BodyHandlers.ofByteArray());

      Received got = onlyRequest();
      assertThat(r.statusCode()).isEqualTo(418);
      assertThat(r.headers().allValues("X-Resp")).containsExactly("one", "two");
      assertThat(r.headers().firstValue("Content-Type")).contains("application/x-teapot");
      assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
      assertThat(r.body()).isEqualTo(payload);
      assertThat(r.uri()).isEqualTo(URI.create("http://127.0.0.1:" + port(got.server()) + "/teapot?brew=1"));
    }
  }

  @Test
  void aRetriableResponseThatStaysTheAnswerReachesTheCallerIntact() throws Exception {
    // Every backend answers 503, which the retry policy retries: the body is kept aside while a
    // retry may follow, and handed to the caller's body handler once the retries are exhausted.
    for (int i = 0; i < BACKENDS; i++) {
      SERVERS.get(i).stubFor(
          any(anyUrl())
              .willReturn(
                  aResponse()
                      .withStatus(503)
                      .withHeader("X-Resp", "a", "b")
                      .withHeader("Retry-After", "7")
                      .withBody("unavailable " + i)));
    }
    RetryPolicy retries =
        RetryPolicy.builder().maxAttempts(2).backoff(Duration.ZERO, Duration.ZERO).build();
    try (LoadBalancer lb = lb();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).retryPolicy(retries).build()) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/busy?x=1")).build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(totalReceived()).as("attempts the backends saw").isEqualTo(2);
      assertThat(r.statusCode()).isEqualTo(503);
      int last = -1;
      for (int i = 0; i < BACKENDS; i++) {
        if (r.uri().getPort() == port(i)) {
          last = i;
        }
      }
      assertThat(last).as("the server the final response came from, %s", r.uri()).isNotNegative();
      assertThat(r.body()).isEqualTo("unavailable " + last);
      assertThat(r.headers().allValues("X-Resp")).containsExactly("a", "b");
      assertThat(r.headers().firstValue("Retry-After")).contains("7");
      assertThat(r.uri().getRawPath()).isEqualTo("/busy");
      assertThat(r.uri().getRawQuery()).isEqualTo("x=1");
    }
  }

  @Test
  void aBackendBasePathPrefixesTheRequestPath() throws Exception {
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", p -> p
                    .backend("http://127.0.0.1:" + port(0) + "/base")
                    .backend("http://127.0.0.1:" + port(1) + "/base/")
                    .backend("http://127.0.0.1:" + port(2) + "/deep/er")
                    .algorithm(Algorithms.roundRobin()))
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      for (int i = 0; i < BACKENDS; i++) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://api/x/y%20z?q=1")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      // A trailing slash on the base path gives no "//".
      assertThat(urls(0)).containsExactly("/base/x/y%20z?q=1");
      assertThat(urls(1)).containsExactly("/base/x/y%20z?q=1");
      assertThat(urls(2)).containsExactly("/deep/er/x/y%20z?q=1");

      resetServers();
      // A request without a path asks for the base path's root.
      for (int i = 0; i < BACKENDS; i++) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://api")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      assertThat(urls(0)).containsExactly("/base/");
      assertThat(urls(1)).containsExactly("/base/");
      assertThat(urls(2)).containsExactly("/deep/er/");
    }
  }

  private static List<String> urls(int server) {
    return SERVERS.get(server).findAll(allRequests()).stream().map(LoggedRequest::getUrl).toList();
  }

  @Test
  void aRoutesPrefixRewriteChangesThePathAndKeepsTheQuery() throws Exception {
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", p -> p.backend("http://127.0.0.1:" + port(0)))
                .pool("web", p -> p
                    .backend("http://127.0.0.1:" + port(1))
                    .backend("http://127.0.0.1:" + port(2) + "/svc"))
                .route("strip", r -> r.pathPrefix("/web/").stripPrefix().toPool("web"))
                .route("v1", r -> r.pathPrefix("/v1/").replacePrefix("/api/v2/").toPool("web"))
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<String> sent =
          List.of(
              "http://api/web/users?id=3",
              "http://api/web/users?id=3",
              "http://api/v1/items/9?full=true",
              "http://api/v1/items/9?full=true",
              "http://api/plain/web/v1/?z");
      for (String uri : sent) {
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create(uri)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
      }
      // Pool web is weighted round robin over two equal backends: each gets one of each pair.
      assertThat(urls(1)).containsExactlyInAnyOrder("/users?id=3", "/api/v2/items/9?full=true");
      assertThat(urls(2))
          .containsExactlyInAnyOrder("/svc/users?id=3", "/svc/api/v2/items/9?full=true");
      // No route matched: the host names pool api, and the path goes as it is.
      assertThat(urls(0)).containsExactly("/plain/web/v1/?z");
    }
  }
}
