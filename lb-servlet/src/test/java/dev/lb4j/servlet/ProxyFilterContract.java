package dev.lb4j.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.RetryPolicy;
import jakarta.servlet.Filter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The reverse proxy's behaviour inside a real servlet container, with real backends on loopback.
 * Each container runs it through a subclass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@SuppressWarnings("StringConcatToTextBlock") // raw requests spell their CRLFs out
@Timeout(value = 120, unit = TimeUnit.SECONDS)
abstract class ProxyFilterContract {

  private static final long LARGE = 1024L * 1024 * 1024; // 1 GiB through a 160 MiB heap

  /** Starts the container under test with the filter in front of the application. */
  abstract ProxyContainer start(Filter filter) throws Exception;

  /**
   * Whether a request with both Content-Length and Transfer-Encoding reaches the filter. Jetty
   * rejects it itself (400); Tomcat drops Content-Length (RFC 9112 section 6.3, item 3: chunked
   * wins), frames the body as chunked and closes the connection after the response, so the filter
   * sees an unambiguous chunked request and the bytes after it are never read.
   */
  abstract boolean containerDropsContentLengthBesideChunked();

  private ProxyTestBackend api1;
  private ProxyTestBackend api2;
  private ProxyTestBackend hang;
  private ProxyTestBackend busy;
  private ProxyGarbageServer garbage;
  private ProxyGarbageServer broken;
  private LoadBalancer lb;
  private ProxyContainer container;
  private HttpClient client;

  @BeforeAll
  void startAll() throws Exception {
    api1 = new ProxyTestBackend();
    api2 = new ProxyTestBackend();
    hang = new ProxyTestBackend();
    busy = new ProxyTestBackend();
    busy.forcedStatus = 503;
    garbage = new ProxyGarbageServer();
    // Promises 4 MiB, sends 512 KiB (more than a container's response buffer), then closes.
    byte[] head = "HTTP/1.1 200 OK\r\nContent-Length: 4194304\r\n\r\n"
        .getBytes(StandardCharsets.US_ASCII);
    byte[] cut = java.util.Arrays.copyOf(head, head.length + 512 * 1024);
    broken = new ProxyGarbageServer(cut);
    int refused1 = freePort();
    int refused2 = freePort();
    lb = LoadBalancer.builder()
        .pool("api", p -> p.backend(api1.uri()).backend(api2.uri())
            .algorithm(Algorithms.roundRobin()))
        .pool("down", p -> p.backend(api1.uri()))
        .pool("dead", p -> p.backend("http://127.0.0.1:" + refused1)
            .backend("http://127.0.0.1:" + refused2))
        .pool("hang", p -> p.backend(hang.uri()))
        .pool("flaky", p -> p.backend(busy.uri()).backend(api1.uri())
            .algorithm(Algorithms.roundRobin()))
        .pool("busy", p -> p.backend(busy.uri()))
        .pool("garbage", p -> p.backend(garbage.uri()))
        .pool("broken", p -> p.backend(broken.uri()))
        .route("api", r -> r.pathPrefix("/api/").toPool("api"))
        .route("down", r -> r.pathPrefix("/down/").toPool("down"))
        .route("dead", r -> r.pathPrefix("/dead/").toPool("dead"))
        .route("hang", r -> r.pathPrefix("/hang/").toPool("hang"))
        .route("flaky", r -> r.pathPrefix("/flaky/").toPool("flaky"))
        .route("busy", r -> r.pathPrefix("/busy/").toPool("busy"))
        .route("garbage", r -> r.pathPrefix("/garbage/").toPool("garbage"))
        .route("broken", r -> r.pathPrefix("/broken/").toPool("broken"))
        .defaultPool("api") // unrouted requests still go to the application (not proxyUnrouted)
        .build();
    lb.admin().drain("down", lb.pool("down").backends().get(0).id());
    container = start(LoadBalancingFilter.builder(lb)
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).build())
        .timeout(Duration.ofSeconds(60))
        .build());
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  void stopAll() throws Exception {
    try {
      container.close();
    } finally {
      lb.close();
      api1.close();
      api2.close();
      hang.close();
      busy.close();
      garbage.close();
      broken.close();
    }
  }

  @AfterEach
  void everyLeaseIsReleased() {
    awaitTrue(() -> lb.poolNames().stream().allMatch(n -> lb.pool(n).stats().inFlight() == 0),
        "in-flight counters back to 0");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + container.port() + pathAndQuery);
  }

  private int apiRequests() {
    return api1.requests.get() + api2.requests.get();
  }

  private ProxyTestBackend.Seen seenAt(String rawPath) {
    for (ProxyTestBackend b : List.of(api1, api2)) {
      for (ProxyTestBackend.Seen s : b.seen) {
        if (s.rawUri().getRawPath().equals(rawPath)) {
          return s;
        }
      }
    }
    throw new AssertionError("no backend saw " + rawPath);
  }

  private static long sum(PoolStats stats, java.util.function.ToLongFunction<BackendStats> f) {
    return stats.backends().stream().mapToLong(f).sum();
  }

  /** Waits for a condition the proxy reaches asynchronously, bounded by 15 s. */
  private static void awaitTrue(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() - deadline).as("timed out waiting for: " + what).isNegative();
      Thread.onSpinWait();
      try {
        Thread.sleep(5); // polling a condition, not waiting for time to pass
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  // ------------------------------------------------------------------ streaming

  @Test
  void streamsALargeUploadWithoutHoldingIt() throws Exception {
    long expectedCrc = ProxyBytes.crc(LARGE);
    long completedBefore = sum(lb.pool("api").stats(), BackendStats::completed);
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(uri("/api/upload/large"))
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> ProxyBytes.stream(LARGE)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).as("bytes and CRC32 the backend received")
        .isEqualTo(LARGE + " " + expectedCrc);
    awaitTrue(() -> sum(lb.pool("api").stats(), BackendStats::completed) == completedBefore + 1,
        "the lease completed with the status");
  }

  @Test
  void streamsALargeDownloadWithoutHoldingIt() throws Exception {
    long expectedCrc = ProxyBytes.crc(LARGE);
    HttpResponse<InputStream> r = client.send(
        HttpRequest.newBuilder(uri("/api/download/large?size=" + LARGE)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(LARGE);
    long[] got;
    try (InputStream in = r.body()) {
      got = ProxyBytes.drain(in);
    }
    assertThat(got).containsExactly(LARGE, expectedCrc);
  }

  // ------------------------------------------------------------------ headers, paths

  @Test
  void stripsHopByHopHeadersBothWays() throws Exception {
    ProxyRaw.Response r = ProxyRaw.exchange(container.port(),
        "GET /api/echo/hop HTTP/1.1\r\n"
            + "Host: localhost\r\n"
            + "Connection: close, X-Hop\r\n"
            + "X-Hop: secret\r\n"
            + "Keep-Alive: timeout=5\r\n"
            + "Proxy-Connection: keep-alive\r\n"
            + "Proxy-Authorization: Basic c2VjcmV0\r\n"
            + "TE: trailers\r\n"
            + "Trailer: X-Checksum\r\n"
            + "X-End: kept\r\n"
            + "\r\n");
    assertThat(r.status()).isEqualTo(200);
    ProxyTestBackend.Seen seen = seenAt("/api/echo/hop");
    assertThat(seen.headers().keySet())
        .as("hop-by-hop request headers the backend got")
        .doesNotContainAnyElementsOf(List.of("X-Hop", "Keep-Alive", "Proxy-Connection",
            "Proxy-Authorization", "Te", "Trailer", "Upgrade", "Transfer-Encoding"));
    assertThat(seen.all("Connection")).as("the proxy's own Connection, if any")
        .noneMatch(v -> v.contains("X-Hop"));
    assertThat(seen.all("X-End")).containsExactly("kept");
    assertThat(r.names()).as("hop-by-hop response headers the client got")
        .doesNotContain("x-resp-hop", "keep-alive", "proxy-authenticate");
    assertThat(r.all("X-End")).containsExactly("kept");
  }

  @Test
  void setsForwardedHeadersAndAppendsToXForwardedFor() throws Exception {
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(uri("/api/echo/forwarded"))
            .header("X-Forwarded-For", "203.0.113.9")
            .header("Forwarded", "for=203.0.113.9;proto=https")
            .build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    ProxyTestBackend.Seen seen = seenAt("/api/echo/forwarded");
    int port = container.port();
    assertThat(seen.all("X-Forwarded-For")).containsExactly("203.0.113.9, 127.0.0.1");
    assertThat(seen.all("X-Forwarded-Proto")).containsExactly("http");
    assertThat(seen.all("X-Forwarded-Host")).containsExactly("127.0.0.1:" + port);
    assertThat(seen.all("X-Forwarded-Port")).containsExactly(Integer.toString(port));
    assertThat(seen.all("Forwarded")).containsExactly("for=203.0.113.9;proto=https",
        "for=127.0.0.1;host=\"127.0.0.1:" + port + "\";proto=http");
    assertThat(seen.all("Host")).as("the backend's own authority")
        .allMatch(h -> h.equals("127.0.0.1:" + api1.port()) || h.equals("127.0.0.1:" + api2.port()));
  }

  @Test
  void preservesTheClientsHostWhenConfigured() throws Exception {
    try (ProxyContainer preserving = start(LoadBalancingFilter.builder(lb).preserveHost().build())) {
      String host = "shop.example.test"; // this JVM's client may send Host (see the pom)
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(
          "http://127.0.0.1:" + preserving.port() + "/api/echo/preserved-host"))
          .header("Host", host).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      ProxyTestBackend.Seen seen = seenAt("/api/echo/preserved-host");
      assertThat(seen.all("Host")).as("the client's Host, not the backend's").containsExactly(host);
      assertThat(seen.all("X-Forwarded-Host")).containsExactly(host);
    }
  }

  @Test
  void forwardsThePathAndQueryByteForByte() throws Exception {
    String path = "/api/echo/a%2Fb/c%20d/%25e";
    String query = "q=%2F&r=a+b%26c&empty&x=%E2%82%AC";
    HttpResponse<String> r = client.send(
        HttpRequest.newBuilder(uri(path + "?" + query)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    ProxyTestBackend.Seen seen = seenAt(path);
    assertThat(seen.rawUri().getRawQuery()).isEqualTo(query);
  }

  @Test
  void forwardsRepeatedHeadersBothWays() throws Exception {
    ProxyRaw.Response r = ProxyRaw.exchange(container.port(),
        "GET /api/echo/repeated HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + "X-Multi: a\r\nX-Multi: b\r\nAccept: text/plain\r\nAccept: text/html\r\n\r\n");
    assertThat(r.status()).isEqualTo(200);
    ProxyTestBackend.Seen seen = seenAt("/api/echo/repeated");
    assertThat(String.join(",", seen.all("X-Multi"))).isIn("a,b", "a, b");
    assertThat(String.join(",", seen.all("Accept"))).isIn("text/plain,text/html", "text/plain, text/html");
    assertThat(r.all("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; Path=/");
    assertThat(String.join(",", r.all("X-Multi"))).isIn("one,two", "one, two");
  }

  // ------------------------------------------------------------------ failures

  @Test
  void answers503WhenNoBackendIsAvailable() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/down/x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.headers().firstValue(LoadBalancingFilter.ERROR_HEADER)).hasValue("no-backend");
    assertThat(r.body()).contains("no backend available", "down");
  }

  @Test
  void answers502WhenNoBackendCanBeReachedAfterRetries() throws Exception {
    long failuresBefore = sum(lb.pool("dead").stats(), BackendStats::failures);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/dead/x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue(LoadBalancingFilter.ERROR_HEADER)).hasValue("bad-gateway");
    assertThat(r.body()).contains("no connection to the backend");
    assertThat(sum(lb.pool("dead").stats(), BackendStats::failures) - failuresBefore)
        .as("both attempts' leases failed (CONNECT), one per backend").isEqualTo(2);
  }

  @Test
  void aRetryableStatusIsRetriedOnAnotherBackendWhenTheRequestHasNoBody() throws Exception {
    int busyBefore = busy.requests.get();
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/flaky/echo")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("echo");
    }
    assertThat(busy.requests.get() - busyBefore).as("the 503 backend was tried").isPositive();
  }

  @Test
  void aRetryableStatusWithNoOtherBackendReachesTheClientWhole() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/busy/x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
    assertThat(r.headers().firstValue(LoadBalancingFilter.ERROR_HEADER))
        .as("the backend's own answer, not the proxy's").isEmpty();
  }

  @Test
  void aRequestWithABodyIsNeverRetriedOnAStatus() throws Exception {
    int busyBefore = busy.requests.get();
    int apiBefore = api1.requests.get();
    int unavailable = 0;
    for (int i = 0; i < 4; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/flaky/echo"))
          .POST(HttpRequest.BodyPublishers.ofString("payload")).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 503) {
        assertThat(r.body()).isEqualTo("busy");
        unavailable++;
      } else {
        assertThat(r.statusCode()).isEqualTo(200);
      }
    }
    assertThat(unavailable).as("round robin sends half of them to the 503 backend").isEqualTo(2);
    assertThat(busy.requests.get() - busyBefore).isEqualTo(2);
    assertThat(api1.requests.get() - apiBefore).as("one attempt each, never a second").isEqualTo(2);
  }

  @Test
  void sendsThroughTheTransportItIsGiven() throws Exception {
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    UpstreamTransport jdk = UpstreamTransport.of(client);
    UpstreamTransport counting = (request, handler) -> {
      sent.incrementAndGet();
      return jdk.send(request, handler);
    };
    try (ProxyContainer c = start(LoadBalancingFilter.builder(lb).transport(counting).build())) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + c.port() + "/api/echo/transport")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("echo");
      assertThat(sent.get()).isEqualTo(1);
    }
  }

  @Test
  void aTransportsConnectionFailureIsRetriedThenAnswered502() throws Exception {
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    UpstreamTransport refusing = (request, handler) -> {
      sent.incrementAndGet();
      return java.util.concurrent.CompletableFuture.failedFuture(
          new java.net.ConnectException("refused by the test's transport"));
    };
    long failuresBefore = sum(lb.pool("api").stats(), BackendStats::failures);
    try (ProxyContainer c = start(LoadBalancingFilter.builder(lb).transport(refusing)
        .retryPolicy(RetryPolicy.builder().maxAttempts(2).build()).build())) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + c.port() + "/api/echo")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).contains("no connection to the backend");
      assertThat(sent.get()).as("both backends tried, once each").isEqualTo(2);
      assertThat(sum(lb.pool("api").stats(), BackendStats::failures) - failuresBefore)
          .as("each attempt counted as the backend's failure").isEqualTo(2);
    }
  }

  @Test
  void answers504WhenTheBackendDoesNotAnswerInTime() throws Exception {
    try (ProxyContainer quick = start(LoadBalancingFilter.builder(lb)
        .timeout(Duration.ofMillis(300)).build())) {
      HttpResponse<String> r = client.send(
          HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + quick.port() + "/hang/x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(504);
      assertThat(r.headers().firstValue(LoadBalancingFilter.ERROR_HEADER))
          .hasValue("gateway-timeout");
      assertThat(r.body()).contains("did not answer in time");
      assertThat(hang.hanging.get()).as("the backend got the request").isPositive();
    }
  }

  @Test
  void answers502ForAResponseThatIsNotHttp() throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/garbage/x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue(LoadBalancingFilter.ERROR_HEADER)).hasValue("bad-gateway");
    assertThat(r.body()).contains("not valid HTTP").doesNotContain("garbage");
    assertThat(garbage.requests.get()).isPositive();
  }

  @Test
  void aBackendThatBreaksOffMidBodyNeverLooksLikeACompleteResponse() throws Exception {
    long failuresBefore = sum(lb.pool("broken").stats(), BackendStats::failures);
    // Jetty closes the connection at once; Tomcat keeps it open (its idle timeout, 60 s) after
    // the proxy ends a response short of its Content-Length: a bounded wait stands for "never
    // completes", and either way the client never gets a complete response.
    java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> f = client.sendAsync(
        HttpRequest.newBuilder(uri("/broken/x")).build(), HttpResponse.BodyHandlers.ofByteArray());
    try {
      HttpResponse<byte[]> r = f.get(3, TimeUnit.SECONDS);
      // Only a response the proxy could still replace: its own 502.
      assertThat(r.statusCode()).as("status of a response that arrived whole").isEqualTo(502);
    } catch (java.util.concurrent.ExecutionException truncated) {
      assertThat(truncated).hasCauseInstanceOf(IOException.class); // ended before Content-Length
    } catch (java.util.concurrent.TimeoutException stalled) {
      f.cancel(true); // closes the client's connection
    }
    awaitTrue(() -> sum(lb.pool("broken").stats(), BackendStats::failures) > failuresBefore,
        "the lease failed (RESET)");
  }

  @Test
  void aClientThatGoesAwayCancelsTheUpstreamRequest() throws Exception {
    int cutBefore = api1.uploadsCutShort.get() + api2.uploadsCutShort.get();
    long bytesBefore = api1.uploadBytes.get() + api2.uploadBytes.get();
    long cancelledBefore = sum(lb.pool("api").stats(), BackendStats::cancelled);
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), container.port())) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /api/upload/abort HTTP/1.1\r\nHost: localhost\r\n"
          + "Content-Length: 104857600\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      // Bounded: at most 16 MiB, until the backend is receiving the body.
      for (int i = 0; i < 256
          && api1.uploadBytes.get() + api2.uploadBytes.get() == bytesBefore; i++) {
        out.write(chunk);
        out.flush();
      }
      awaitTrue(() -> api1.uploadBytes.get() + api2.uploadBytes.get() > bytesBefore,
          "the backend receives the body");
    } // the client goes away mid-body
    awaitTrue(() -> api1.uploadsCutShort.get() + api2.uploadsCutShort.get() > cutBefore,
        "the backend sees its connection closed");
    awaitTrue(() -> sum(lb.pool("api").stats(), BackendStats::cancelled) > cancelledBefore,
        "the lease is released as cancelled");
  }

  @Test
  void rejectsContentLengthWithTransferEncoding() throws Exception {
    int before = apiRequests();
    ProxyRaw.Response r = ProxyRaw.exchange(container.port(),
        "POST /api/echo/smuggle HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
            + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\nGET /api/echo/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n");
    if (!containerDropsContentLengthBesideChunked()) {
      assertThat(r.status()).isEqualTo(400);
      assertThat(apiRequests()).as("requests the backends saw").isEqualTo(before);
    } else {
      ProxyTestBackend.Seen outer = seenAt("/api/echo/smuggle");
      assertThat(outer.all("Content-Length")).as("framing the backend got").isIn(
          List.of(), List.of("0"));
      assertThat(apiRequests()).as("requests the backends saw").isEqualTo(before + 1);
    }
    assertThat(r.body()).doesNotContain("echo/smuggled");
    for (ProxyTestBackend b : List.of(api1, api2)) {
      assertThat(b.seen).as("the smuggled request never reaches a backend")
          .noneMatch(s -> s.rawUri().getRawPath().equals("/api/echo/smuggled"));
    }
  }

  @Test
  void rejectsControlCharactersInHeaderValues() throws Exception {
    int before = apiRequests();
    for (String value : List.of("a\rInjected: yes", "a\u0000b")) {
      ProxyRaw.Response r = ProxyRaw.exchange(container.port(),
          "GET /api/echo/inject HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
              + "X-Bad: " + value + "\r\n\r\n");
      assertThat(r.status()).as("status for %s", value.replace("\r", "\\r")).isEqualTo(400);
    }
    assertThat(apiRequests()).as("requests the backends saw").isEqualTo(before);
  }

  // ------------------------------------------------------------------ pass-through, load

  @Test
  void passesUnroutedRequestsToTheApplication() throws Exception {
    int before = apiRequests();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/app/hello")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("app GET /app/hello");
    assertThat(apiRequests()).as("the default pool caught nothing").isEqualTo(before);
  }

  @Test
  void serves200ConcurrentClientsOf20RequestsEach() throws Exception {
    int clients = 200;
    int each = 20;
    CountDownLatch gate = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<List<String>>> results = new ArrayList<>();
    try {
      for (int c = 0; c < clients; c++) {
        int id = c;
        results.add(pool.submit(() -> {
          List<String> failures = new ArrayList<>();
          gate.await();
          for (int i = 0; i < each; i++) {
            HttpResponse<String> r = client.send(
                HttpRequest.newBuilder(uri("/api/echo/load-" + id + "-" + i)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200 || !r.body().equals("echo")) {
              failures.add(r.statusCode() + " " + r.body());
            }
          }
          return failures;
        }));
      }
      gate.countDown();
      List<String> failures = new ArrayList<>();
      for (Future<List<String>> f : results) {
        failures.addAll(f.get(100, TimeUnit.SECONDS));
      }
      assertThat(failures).as("failed requests of %d", clients * each).isEmpty();
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
