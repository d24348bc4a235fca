package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder.allRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.RequestRejectedException;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.policy.RateLimit;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The load balancer's policies applied by {@link LoadBalancedHttpClient}: header edits the backend
 * and the caller see, and rejections (rate limit, access control, concurrency limit) that fail the
 * call without sending anything.
 */
class PolicyTest {

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
      s.stubFor(
          any(anyUrl())
              .willReturn(
                  aResponse()
                      .withStatus(200)
                      .withHeader("X-Resp-Set", "backend")
                      .withHeader("X-Resp-Add", "backend")
                      .withHeader("X-Resp-Remove", "internal")
                      .withHeader("X-Resp-Keep", "kept")
                      .withBody("b" + i)));
    }
  }

  private static int port(int server) {
    return SERVERS.get(server).port();
  }

  private static String id(int server) {
    return "127.0.0.1:" + port(server);
  }

  private static Consumer<PoolBuilder> threeBackends() {
    return p -> {
      for (int i = 0; i < BACKENDS; i++) {
        p.backend("http://127.0.0.1:" + port(i));
      }
      p.algorithm(Algorithms.roundRobin());
    };
  }

  /** Pool "api" over the three servers with one global policy. */
  private static LoadBalancer lbWith(Policy policy) {
    return LoadBalancer.builder().pool("api", threeBackends()).policy(policy).build();
  }

  private static int totalReceived() {
    int n = 0;
    for (WireMockServer s : SERVERS) {
      n += s.findAll(allRequests()).size();
    }
    return n;
  }

  private static long totalPicks(LoadBalancer lb) {
    return lb.stats().pool("api").backends().stream().mapToLong(b -> b.picks()).sum();
  }

  /** The one request the server that answered {@code r} received. */
  private static LoggedRequest receivedBy(HttpResponse<String> r) {
    int server = Integer.parseInt(r.body().substring(1));
    List<LoggedRequest> got = SERVERS.get(server).findAll(allRequests());
    assertThat(got).hasSize(1);
    return got.get(0);
  }

  private static List<String> values(LoggedRequest r, String name) {
    return r.getHeaders().getHeader(name).isPresent()
        ? r.getHeaders().getHeader(name).values()
        : List.of();
  }

  private static HttpRequest get(String uri) {
    return HttpRequest.newBuilder(URI.create(uri)).build();
  }

  /** The exception a future failed with; fails when it completed normally or not within 30 s. */
  private static Throwable failureOf(CompletableFuture<?> future) {
    Throwable thrown = catchThrowable(() -> future.get(30, TimeUnit.SECONDS));
    assertThat(thrown).as("the future's outcome").isInstanceOf(ExecutionException.class);
    return Objects.requireNonNull(thrown.getCause(), "cause");
  }

  /** The values a rejection's header edits set for a header (names are case-insensitive). */
  private static List<String> setOn(HeaderChanges edits, String name) {
    return edits.changes().stream()
        .filter(c -> c.op() == HeaderChanges.Op.SET && c.name().equalsIgnoreCase(name))
        .map(HeaderChanges.Change::value)
        .toList();
  }

  @Test
  void headerTransformEditsTheRequestTheBackendSeesAndTheResponseTheCallerSees() throws Exception {
    HeaderTransform headers =
        HeaderTransform.builder("headers")
            .setRequestHeader("X-Set", "policy")
            .addRequestHeader("X-Add", "added")
            .removeRequestHeader("X-Remove")
            .setRequestHeader("X-Backend", "${backend_id}")
            .setRequestHeader("X-Route", "${method} ${path} on ${host}")
            .requestId("X-Request-Id")
            .setResponseHeader("X-Resp-Set", "policy")
            .addResponseHeader("X-Resp-Add", "added")
            .removeResponseHeader("X-Resp-Remove")
            .build();
    try (LoadBalancer lb = lbWith(headers);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      Set<String> requestIds = new HashSet<>();
      for (int i = 0; i < BACKENDS; i++) { // round robin: one request per backend
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://api/h/" + i + "?q=1"))
                    .header("X-Set", "caller")
                    .header("X-Add", "caller")
                    .header("X-Remove", "secret")
                    .header("X-Keep", "k")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        int server = Integer.parseInt(r.body().substring(1));
        LoggedRequest seen = receivedBy(r);

        assertThat(values(seen, "X-Set")).containsExactly("policy");
        assertThat(values(seen, "X-Add")).containsExactly("caller", "added");
        assertThat(values(seen, "X-Remove")).isEmpty();
        assertThat(values(seen, "X-Keep")).containsExactly("k");
        // ${backend_id} is filled in for the backend actually picked.
        assertThat(values(seen, "X-Backend")).containsExactly(id(server));
        assertThat(values(seen, "X-Route")).containsExactly("GET /h/" + i + " on api");
        String requestId = seen.getHeader("X-Request-Id");
        assertThat(requestId).matches("[0-9a-f]{32}");
        requestIds.add(requestId);

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().allValues("X-Resp-Set")).containsExactly("policy");
        assertThat(r.headers().allValues("X-Resp-Add")).containsExactly("backend", "added");
        assertThat(r.headers().allValues("X-Resp-Remove")).isEmpty();
        assertThat(r.headers().allValues("X-Resp-Keep")).containsExactly("kept");
        // The caller gets the id the backend saw.
        assertThat(r.headers().allValues("X-Request-Id")).containsExactly(requestId);
        // Header names of the edited response stay case-insensitive, like the JDK's.
        assertThat(r.headers().firstValue("x-resp-set")).contains("policy");
      }
      assertThat(requestIds).as("one new id per request").hasSize(BACKENDS);
      for (int i = 0; i < BACKENDS; i++) {
        assertThat(SERVERS.get(i).findAll(allRequests())).hasSize(1);
      }
    }
  }

  @Test
  void aRequestIdTheCallerSentIsKept() throws Exception {
    HeaderTransform headers = HeaderTransform.builder("ids").requestId("X-Request-Id").build();
    try (LoadBalancer lb = lbWith(headers);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create("http://api/x"))
                  .header("X-Request-Id", "caller-id-1")
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(values(receivedBy(r), "X-Request-Id")).containsExactly("caller-id-1");
      assertThat(r.headers().allValues("X-Request-Id")).containsExactly("caller-id-1");
    }
  }

  @Test
  void restrictedHeadersSetByAPolicyAreSkippedAndTheRequestStillGoesThrough() throws Exception {
    HeaderTransform headers =
        HeaderTransform.builder("restricted")
            .setRequestHeader("Host", "evil.example")
            .setRequestHeader("Connection", "close")
            .setRequestHeader("Content-Length", "1")
            .setRequestHeader("Expect", "100-continue")
            .setRequestHeader("Upgrade", "websocket")
            .setRequestHeader("X-Allowed", "yes")
            .build();
    try (LoadBalancer lb = lbWith(headers);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      for (int i = 0; i < 2; i++) { // the warning is logged once; the skip happens every time
        resetServers();
        HttpResponse<String> r =
            client.send(
                HttpRequest.newBuilder(URI.create("http://api/restricted"))
                    .POST(HttpRequest.BodyPublishers.ofString("full body"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(r.statusCode()).isEqualTo(200);
        LoggedRequest seen = receivedBy(r);
        int server = Integer.parseInt(r.body().substring(1));
        assertThat(seen.getHeader("X-Allowed")).isEqualTo("yes");
        assertThat(seen.getHeader("Host")).isEqualTo(id(server));
        assertThat(values(seen, "Upgrade")).doesNotContain("websocket");
        assertThat(values(seen, "Expect")).isEmpty();
        assertThat(seen.getHeader("Content-Length")).isEqualTo("9");
        assertThat(seen.getBodyAsString()).isEqualTo("full body");
      }
    }
  }

  @Test
  void aRateLimitRejectionFailsSendAndSendAsyncWith429AndSendsNothing() throws Exception {
    AtomicLong now = new AtomicLong(); // time stands still: the bucket never refills
    RateLimit limit =
        RateLimit.builder("one-per-hour")
            .rate(1, Duration.ofHours(1))
            .burst(1)
            .ticker(now::get)
            .build();
    try (LoadBalancer lb = lbWith(limit);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> first = client.send(get("http://api/a"), HttpResponse.BodyHandlers.ofString());
      assertThat(first.statusCode()).isEqualTo(200);
      assertThat(totalReceived()).isEqualTo(1);

      assertThatThrownBy(() -> client.send(get("http://api/b"), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOfSatisfying(
              RequestRejectedException.class,
              e -> {
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.rejected().policy()).isEqualTo("one-per-hour");
                assertThat(e.rejected().pool()).isEqualTo("api");
                assertThat(e.getMessage()).startsWith("429 ").contains("one-per-hour");
                assertThat(setOn(e.rejected().responseHeaders(), "Retry-After")).containsExactly("3600");
              });

      CompletableFuture<HttpResponse<String>> async =
          client.sendAsync(get("http://api/c"), HttpResponse.BodyHandlers.ofString());
      assertThat(async).as("rejected before anything is sent").isCompletedExceptionally();
      Throwable cause = failureOf(async);
      assertThat(cause).isInstanceOf(RequestRejectedException.class);
      assertThat(((RequestRejectedException) cause).status()).isEqualTo(429);

      assertThat(totalReceived()).as("requests the backends received").isEqualTo(1);
      assertThat(totalPicks(lb)).as("backends picked").isEqualTo(1);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void aRoutesRateLimitAppliesOnlyToTheRequestsItMatches() throws Exception {
    AtomicLong now = new AtomicLong();
    RateLimit limit =
        RateLimit.builder("limited").rate(1, Duration.ofHours(1)).burst(1).ticker(now::get).build();
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", threeBackends())
                .route("limited", r -> r.pathPrefix("/limited/").policy(limit).toPool("api"))
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      assertThat(client.send(get("http://api/limited/1"), HttpResponse.BodyHandlers.ofString())
              .statusCode())
          .isEqualTo(200);
      assertThatThrownBy(
              () -> client.send(get("http://api/limited/2"), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(RequestRejectedException.class);
      for (int i = 0; i < 3; i++) {
        assertThat(client.send(get("http://api/free/" + i), HttpResponse.BodyHandlers.ofString())
                .statusCode())
            .isEqualTo(200);
      }
      assertThat(totalReceived()).isEqualTo(4);
    }
  }

  @Test
  void accessControlWithAllowRangesRejectsTheClientSideRequestWhoseAddressIsUnknown()
      throws Exception {
    // Client side, the request has no peer address (HttpRequestView.clientAddress() is null), and
    // AccessControl documents that an unknown client is rejected when there are allow ranges.
    AccessControl acl = AccessControl.builder("acl").allow("127.0.0.0/8", "10.0.0.0/8").build();
    try (LoadBalancer lb = lbWith(acl);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      assertThatThrownBy(() -> client.send(get("http://api/x"), HttpResponse.BodyHandlers.ofString()))
          .isInstanceOfSatisfying(
              RequestRejectedException.class,
              e -> {
                assertThat(e.status()).isEqualTo(403);
                assertThat(e.rejected().policy()).isEqualTo("acl");
                assertThat(e.rejected().reason()).contains("(unknown)");
              });
      Throwable cause =
          failureOf(client.sendAsync(get("http://api/y"), HttpResponse.BodyHandlers.ofString()));
      assertThat(cause).isInstanceOf(RequestRejectedException.class);
      assertThat(((RequestRejectedException) cause).status()).isEqualTo(403);

      assertThat(totalReceived()).isZero();
      assertThat(totalPicks(lb)).isZero();
    }
  }

  @Test
  void accessControlWithDenyRangesOnlyAdmitsTheClientSideRequest() throws Exception {
    // Deny ranges alone admit a request whose client is unknown (AccessControl's Javadoc).
    AccessControl acl = AccessControl.builder("deny-only").deny("0.0.0.0/0", "::/0").build();
    try (LoadBalancer lb = lbWith(acl);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpResponse<String> r = client.send(get("http://api/x"), HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(totalReceived()).isEqualTo(1);
    }
  }

  @Test
  void accessControlMethodListRejectsOtherMethodsWith405() throws Exception {
    AccessControl acl = AccessControl.builder("read-only").methods("GET", "HEAD").build();
    try (LoadBalancer lb = lbWith(acl);
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      HttpRequest post =
          HttpRequest.newBuilder(URI.create("http://api/x"))
              .POST(HttpRequest.BodyPublishers.ofString("body"))
              .build();
      assertThatThrownBy(() -> client.send(post, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOfSatisfying(
              RequestRejectedException.class,
              e -> {
                assertThat(e.status()).isEqualTo(405);
                assertThat(setOn(e.rejected().responseHeaders(), "Allow")).containsExactly("GET, HEAD");
              });
      assertThat(totalReceived()).isZero();

      assertThat(client.send(get("http://api/x"), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      assertThat(totalReceived()).isEqualTo(1);
    }
  }

  @Test
  void thePoolsConcurrencyLimitFailsTheCallWithoutTouchingTheNetwork() throws Exception {
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", p -> threeBackends().andThen(b -> b.maxRequests(1)).accept(p))
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      try (Lease held = lb.pool("api").select(RequestView.of("GET", "/held")).leaseOrThrow()) {
        assertThat(held.isOpen()).isTrue();

        assertThatThrownBy(
                () -> client.send(get("http://api/x"), HttpResponse.BodyHandlers.ofString()))
            .isInstanceOfSatisfying(
                NoBackendAvailableException.class,
                e -> {
                  assertThat(e.noBackend().reason()).isEqualTo(NoBackend.Reason.CONCURRENCY_LIMIT);
                  assertThat(e.noBackend().pool()).isEqualTo("api");
                });
        CompletableFuture<HttpResponse<String>> async =
            client.sendAsync(get("http://api/y"), HttpResponse.BodyHandlers.ofString());
        assertThat(async).isCompletedExceptionally();
        Throwable cause = failureOf(async);
        assertThat(cause).isInstanceOf(NoBackendAvailableException.class);
        assertThat(((NoBackendAvailableException) cause).noBackend().reason())
            .isEqualTo(NoBackend.Reason.CONCURRENCY_LIMIT);

        assertThat(totalReceived()).isZero();
        assertThat(lb.stats().pool("api").overLimit()).isEqualTo(2);
        assertThat(lb.stats().pool("api").inFlight()).isEqualTo(1);
      }
      // The slot is free again: the next request goes through, and gives its slot back.
      HttpResponse<String> r = client.send(get("http://api/z"), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(totalReceived()).isEqualTo(1);
      assertThat(client.send(get("http://api/z"), HttpResponse.BodyHandlers.ofString()).statusCode())
          .isEqualTo(200);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }
}
