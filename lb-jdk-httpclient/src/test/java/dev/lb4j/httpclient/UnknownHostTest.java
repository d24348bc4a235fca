package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.matching.RequestPatternBuilder.allRequests;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.httpclient.LoadBalancedHttpClient.UnknownHosts;
import java.net.Authenticator;
import java.net.CookieManager;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which requests {@link LoadBalancedHttpClient} balances and where: host names that are pools,
 * routing rules first, and the three {@link UnknownHosts} choices for the rest; plus the builder's
 * checks and the {@code HttpClient} settings that come from the wrapped client.
 */
class UnknownHostTest {

  /** Servers 0 and 1 are pool "api", servers 2 and 3 pool "web". */
  private static final int SERVER_COUNT = 4;

  private static final List<WireMockServer> SERVERS = new ArrayList<>();

  @BeforeAll
  static void startServers() {
    WireMockPoolFixture.startLoopbackServers(SERVERS, SERVER_COUNT);
  }

  @AfterAll
  static void stopServers() {
    WireMockPoolFixture.stopAll(SERVERS);
  }

  @BeforeEach
  void resetServers() {
    for (int i = 0; i < SERVER_COUNT; i++) {
      WireMockServer s = SERVERS.get(i);
      s.resetAll();
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("b" + i)));
    }
  }

  private static int port(int server) {
    return SERVERS.get(server).port();
  }

  private static List<String> urls(int server) {
    return SERVERS.get(server).findAll(allRequests()).stream().map(LoggedRequest::getUrl).toList();
  }

  private static int totalReceived() {
    int n = 0;
    for (WireMockServer s : SERVERS) {
      n += s.findAll(allRequests()).size();
    }
    return n;
  }

  /** Pools "api" (servers 0, 1) and "web" (servers 2, 3), round robin, no default pool. */
  private static LoadBalancerBuilder twoPools() {
    return LoadBalancer.builder()
        .pool("api", p -> p
            .backend("http://127.0.0.1:" + port(0))
            .backend("http://127.0.0.1:" + port(1))
            .algorithm(Algorithms.roundRobin()))
        .pool("web", p -> p
            .backend("http://127.0.0.1:" + port(2))
            .backend("http://127.0.0.1:" + port(3))
            .algorithm(Algorithms.roundRobin()));
  }

  private static long picks(LoadBalancer lb) {
    long n = 0;
    for (String pool : lb.poolNames()) {
      n += lb.stats().pool(pool).backends().stream().mapToLong(b -> b.picks()).sum();
    }
    return n;
  }

  private static HttpRequest get(String uri) {
    return HttpRequest.newBuilder(URI.create(uri)).build();
  }

  private static HttpResponse<String> send(HttpClient client, String uri) throws Exception {
    return client.send(get(uri), HttpResponse.BodyHandlers.ofString());
  }

  /** Which server answered: the body names it. */
  private static int server(HttpResponse<String> r) {
    return Integer.parseInt(r.body().substring(1));
  }

  @Test
  void aHostThatNamesNoPoolIsRejectedNamingTheHostAndThePools() throws Exception {
    try (LoadBalancer lb = twoPools().build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      assertThatThrownBy(() -> send(client, "http://nosuchpool/x"))
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> {
                assertThat(e.noBackend().reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
                assertThat(e.getMessage()).contains("'nosuchpool'").contains("api").contains("web");
              });

      CompletableFuture<HttpResponse<String>> async =
          client.sendAsync(get("http://nosuchpool/y"), HttpResponse.BodyHandlers.ofString());
      assertThat(async).as("failed before anything is sent").isCompletedExceptionally();
      Throwable thrown = catchThrowable(() -> async.get(30, TimeUnit.SECONDS));
      assertThat(thrown).isInstanceOf(ExecutionException.class);
      assertThat(thrown.getCause())
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> {
                assertThat(e.noBackend().reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
                assertThat(e.getMessage()).contains("'nosuchpool'");
              });

      assertThat(totalReceived()).isZero();
      assertThat(picks(lb)).isZero();
    }
  }

  @Test
  void aHostThatNamesAPoolGoesToThatPool() throws Exception {
    try (LoadBalancer lb = twoPools().build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      for (int i = 0; i < 4; i++) {
        assertThat(server(send(client, "http://api/a"))).isIn(0, 1);
        assertThat(server(send(client, "http://web/w"))).isIn(2, 3);
      }
      assertThat(urls(0)).containsExactly("/a", "/a");
      assertThat(urls(1)).containsExactly("/a", "/a");
      assertThat(urls(2)).containsExactly("/w", "/w");
      assertThat(urls(3)).containsExactly("/w", "/w");
    }
  }

  @Test
  void routingRulesTakePrecedenceOverTheHostName() throws Exception {
    try (LoadBalancer lb =
            twoPools().route("web-pages", r -> r.pathPrefix("/pages/").toPool("web")).build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      // Host api, but the rule matches: pool web.
      assertThat(server(send(client, "http://api/pages/home"))).isIn(2, 3);
      assertThat(server(send(client, "http://api/pages/about"))).isIn(2, 3);
      // The rule matches whatever the host, even one that names no pool.
      assertThat(server(send(client, "http://nosuchpool/pages/x"))).isIn(2, 3);
      // The rule does not match: the host decides.
      assertThat(server(send(client, "http://api/other"))).isIn(0, 1);

      assertThat(lb.stats().pool("web").backends().stream().mapToLong(b -> b.picks()).sum())
          .isEqualTo(3);
      assertThat(lb.stats().pool("api").backends().stream().mapToLong(b -> b.picks()).sum())
          .isEqualTo(1);
      List<String> webUrls = new ArrayList<>(urls(2));
      webUrls.addAll(urls(3));
      assertThat(webUrls).containsExactlyInAnyOrder("/pages/home", "/pages/about", "/pages/x");
    }
  }

  @Test
  void passThroughSendsARealHostsRequestUntouchedWithoutBalancingOrPolicies() throws Exception {
    HeaderTransform mark =
        HeaderTransform.builder("mark").setRequestHeader("X-Balanced", "yes").build();
    try (LoadBalancer lb = twoPools().policy(mark).build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).unknownHosts(UnknownHosts.PASS_THROUGH).build()) {
      URI direct = URI.create("http://127.0.0.1:" + port(2) + "/direct/a%20b?x=1&y=%2F");
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(direct)
                  .header("X-Caller", "c")
                  .POST(HttpRequest.BodyPublishers.ofString("payload"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("b2");
      assertThat(r.uri()).isEqualTo(direct);
      List<LoggedRequest> got = SERVERS.get(2).findAll(allRequests());
      assertThat(got).hasSize(1);
      assertThat(got.get(0).getUrl()).isEqualTo("/direct/a%20b?x=1&y=%2F");
      assertThat(got.get(0).getMethod().getName()).isEqualTo("POST");
      assertThat(got.get(0).getBodyAsString()).isEqualTo("payload");
      assertThat(got.get(0).getHeader("X-Caller")).isEqualTo("c");
      assertThat(got.get(0).containsHeader("X-Balanced")).as("no policy ran").isFalse();
      assertThat(totalReceived()).isEqualTo(1);
      assertThat(picks(lb)).as("no backend picked").isZero();

      // A host that names a pool is still balanced, with the policies.
      HttpResponse<String> balanced = send(client, "http://api/b");
      assertThat(server(balanced)).isIn(0, 1);
      LoggedRequest seen = SERVERS.get(server(balanced)).findAll(allRequests()).get(0);
      assertThat(seen.getHeader("X-Balanced")).isEqualTo("yes");
      assertThat(picks(lb)).isEqualTo(1);
    }
  }

  @Test
  void defaultPoolBalancesUnknownHostsOverTheDefaultPool() throws Exception {
    HeaderTransform mark =
        HeaderTransform.builder("mark").setRequestHeader("X-Balanced", "${backend_id}").build();
    try (LoadBalancer lb = twoPools().defaultPool("web").policy(mark).build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).unknownHosts(UnknownHosts.DEFAULT_POOL).build()) {
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> r = send(client, "http://nosuchpool/y?z=" + i);
        assertThat(server(r)).isIn(2, 3);
        // The policies run as for any balanced request.
        List<LoggedRequest> got = SERVERS.get(server(r)).findAll(allRequests());
        assertThat(got.get(got.size() - 1).getHeader("X-Balanced"))
            .isEqualTo("127.0.0.1:" + port(server(r)));
        // Rewritten to the backend like any balanced request.
        assertThat(r.uri()).isEqualTo(URI.create("http://127.0.0.1:" + port(server(r)) + "/y?z=" + i));
      }
      assertThat(urls(2)).hasSize(2);
      assertThat(urls(3)).hasSize(2);
      // A host that names a pool still goes to that pool, not the default one.
      assertThat(server(send(client, "http://api/x"))).isIn(0, 1);
      assertThat(lb.stats().pool("web").backends().stream().mapToLong(b -> b.picks()).sum())
          .isEqualTo(4);
    }
  }

  @Test
  void defaultPoolWithoutADefaultPoolStillFailsWithNoRoute() throws Exception {
    try (LoadBalancer lb = twoPools().build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb).unknownHosts(UnknownHosts.DEFAULT_POOL).build()) {
      assertThatThrownBy(() -> send(client, "http://nosuchpool/x"))
          .isInstanceOfSatisfying(
              NoBackendAvailableException.class,
              e -> assertThat(e.noBackend().reason()).isEqualTo(NoBackend.Reason.NO_ROUTE));
      assertThat(totalReceived()).isZero();
    }
  }

  @Test
  void theBuilderRefusesALoadBalancedClientAsTheWrappedClient() {
    try (LoadBalancer lb = twoPools().build();
        LoadBalancedHttpClient balanced = LoadBalancedHttpClient.of(lb)) {
      LoadBalancedHttpClient.Builder builder = LoadBalancedHttpClient.builder(lb);
      assertThatThrownBy(() -> builder.client(balanced))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("client")
          .hasMessageContaining("LoadBalancedHttpClient");
      // The refused call left the builder usable.
      try (LoadBalancedHttpClient built = builder.build()) {
        assertThat(built.delegate()).isNotInstanceOf(LoadBalancedHttpClient.class);
      }
    }
  }

  @Test
  @SuppressWarnings("NullAway") // passes null on purpose
  void nullArgumentsAreRefusedWithTheirName() {
    try (LoadBalancer lb = twoPools().build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      LoadBalancedHttpClient.Builder builder = LoadBalancedHttpClient.builder(lb);
      assertThatThrownBy(() -> LoadBalancedHttpClient.builder(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("loadBalancer");
      assertThatThrownBy(() -> LoadBalancedHttpClient.of(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("loadBalancer");
      assertThatThrownBy(() -> builder.client(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("client");
      assertThatThrownBy(() -> builder.retryPolicy(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("policy");
      assertThatThrownBy(() -> builder.unknownHosts(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("unknownHosts");
      assertThatThrownBy(() -> client.send(null, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("request");
      assertThatThrownBy(() -> client.send(get("http://api/x"), null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("responseBodyHandler");
      assertThatThrownBy(() -> client.sendAsync(null, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("request");
      assertThat(totalReceived()).isZero();
      assertThat(picks(lb)).isZero();
    }
  }

  @Test
  void theHttpClientSettingsAreTheWrappedClients() throws Exception {
    AtomicInteger tasks = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Executor executor =
        task -> {
          tasks.incrementAndGet();
          pool.execute(task);
        };
    try {
      CookieManager cookies = new CookieManager();
      Authenticator authenticator = new Authenticator() {};
      ProxySelector proxy = ProxySelector.of(null); // direct: no proxy for any URI
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, null, null);
      HttpClient wrapped =
          HttpClient.newBuilder()
              .executor(executor)
              .connectTimeout(Duration.ofSeconds(7))
              .followRedirects(HttpClient.Redirect.ALWAYS)
              .version(HttpClient.Version.HTTP_1_1)
              .cookieHandler(cookies)
              .authenticator(authenticator)
              .proxy(proxy)
              .sslContext(ssl)
              .build();
      try (LoadBalancer lb = twoPools().build();
          LoadBalancedHttpClient client =
              LoadBalancedHttpClient.builder(lb).client(wrapped).build()) {
        assertThat(client.delegate()).isSameAs(wrapped);
        assertThat(client.loadBalancer()).isSameAs(lb);
        assertThat(client.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(client.executor()).containsSame(executor);
        assertThat(client.followRedirects()).isEqualTo(HttpClient.Redirect.ALWAYS);
        assertThat(client.connectTimeout()).contains(Duration.ofSeconds(7));
        assertThat(client.sslContext()).isSameAs(ssl);
        assertThat(client.proxy()).containsSame(proxy);
        assertThat(client.authenticator()).containsSame(authenticator);
        assertThat(client.cookieHandler()).containsSame(cookies);
        assertThat(client.sslParameters().getProtocols())
            .containsExactly(wrapped.sslParameters().getProtocols());

        // And they apply to balanced requests: the backend's redirect is followed (on the same
        // backend), over HTTP/1.1, its cookie lands in the wrapped client's cookie handler, and
        // the wrapped client's executor runs the exchange.
        for (int i = 0; i < 2; i++) {
          SERVERS.get(i).stubFor(
              WireMock.get(urlPathEqualTo("/start"))
                  .willReturn(
                      aResponse()
                          .withStatus(302)
                          .withHeader("Location", "/landed?from=start")
                          .withHeader("Set-Cookie", "session=s" + i + "; Path=/")));
          SERVERS.get(i).stubFor(
              WireMock.get(urlPathEqualTo("/landed")).willReturn(aResponse().withStatus(200).withBody("landed " + i)));
        }
        HttpResponse<String> r =
            client
                .sendAsync(get("http://api/start"), HttpResponse.BodyHandlers.ofString())
                .get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).startsWith("landed ");
        int server = Integer.parseInt(r.body().substring("landed ".length()));
        assertThat(r.uri())
            .isEqualTo(URI.create("http://127.0.0.1:" + port(server) + "/landed?from=start"));
        assertThat(r.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(r.previousResponse()).isPresent();
        assertThat(r.previousResponse().orElseThrow().statusCode())
            .isEqualTo(302);
        assertThat(urls(server)).containsExactly("/start", "/landed?from=start");
        assertThat(cookies.getCookieStore().getCookies())
            .anySatisfy(c -> assertThat(c.getValue()).isEqualTo("s" + server));
        assertThat(tasks.get()).as("tasks the wrapped client's executor ran").isPositive();
        assertThat(lb.stats().pool("api").inFlight()).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
