package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.request;
import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * First match in declaration order, whatever the kind of path matcher: the index of exact paths and
 * prefixes must not change which rule wins.
 */
class RoutePrecedenceTest {

  /**
   * Builds a load balancer with default pool {@code c}, routes {@code request} and names the rule.
   */
  private static String winner(UnaryOperator<LoadBalancerBuilder> routes, RequestView request) {
    try (LoadBalancer lb = routes.apply(threePools().defaultPool("c")).build()) {
      return routed(lb, request).rule().name();
    }
  }

  private static String winner(UnaryOperator<LoadBalancerBuilder> routes, String path) {
    return winner(routes, get(path));
  }

  @Test
  void anEarlierGlobBeatsALaterPrefixAndALaterExactPath() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("glob", r -> r.pathGlob("/api/*/x").toPool("a"))
                .route("prefix", r -> r.pathPrefix("/api/").toPool("b"))
                .route("exact", r -> r.pathExact("/api/v1/x").toPool("b"));
    assertThat(winner(routes, "/api/v1/x")).isEqualTo("glob");
    assertThat(winner(routes, "/api/v1/y")).isEqualTo("prefix");
  }

  @Test
  void anEarlierRegexBeatsALaterPrefix() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("regex", r -> r.pathRegex("/api/\\d+").toPool("a"))
                .route("prefix", r -> r.pathPrefix("/api").toPool("b"));
    assertThat(winner(routes, "/api/42")).isEqualTo("regex");
    assertThat(winner(routes, "/api/x")).isEqualTo("prefix");
  }

  @Test
  void anEarlierRouteWithoutPathBeatsLaterIndexedRoutes() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("canary", r -> r.header("X-Canary", "1").toPool("a"))
                .route("prefix", r -> r.pathPrefix("/").toPool("b"))
                .route("exact", r -> r.pathExact("/x").toPool("b"));
    assertThat(winner(routes, request("GET", "/x").header("X-Canary", "1").build()))
        .isEqualTo("canary");
    assertThat(winner(routes, get("/x"))).isEqualTo("prefix");
  }

  @Test
  void aLaterGlobLosesToAnEarlierPrefix() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("prefix", r -> r.pathPrefix("/api/").toPool("b"))
                .route("glob", r -> r.pathGlob("/api/**").toPool("a"))
                .route("any", r -> r.toPool("a"));
    assertThat(winner(routes, "/api/v1/x")).isEqualTo("prefix");
    assertThat(winner(routes, "/web")).isEqualTo("any");
  }

  @Test
  void anEarlierPrefixBeatsALaterExactPath() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("prefix", r -> r.pathPrefix("/api").toPool("a"))
                .route("exact", r -> r.pathExact("/api/health").toPool("b"));
    assertThat(winner(routes, "/api/health")).isEqualTo("prefix");
  }

  @Test
  void anEarlierExactPathBeatsALaterPrefix() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("exact", r -> r.pathExact("/api/health").toPool("b"))
                .route("prefix", r -> r.pathPrefix("/api").toPool("a"));
    assertThat(winner(routes, "/api/health")).isEqualTo("exact");
    assertThat(winner(routes, "/api/healthz")).isEqualTo("prefix");
  }

  @Test
  void amongPrefixesTheEarliestDeclaredWinsEvenIfShorter() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("short", r -> r.pathPrefix("/api").toPool("a"))
                .route("long", r -> r.pathPrefix("/api/v1/users").toPool("b"));
    assertThat(winner(routes, "/api/v1/users/7")).isEqualTo("short");

    UnaryOperator<LoadBalancerBuilder> reversed =
        b ->
            b.route("long", r -> r.pathPrefix("/api/v1/users").toPool("b"))
                .route("short", r -> r.pathPrefix("/api").toPool("a"));
    assertThat(winner(reversed, "/api/v1/users/7")).isEqualTo("long");
    assertThat(winner(reversed, "/api/v1/orders")).isEqualTo("short");
  }

  @Test
  void samePrefixTwiceKeepsDeclarationOrder() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("first", r -> r.pathPrefix("/api").methods("POST").toPool("a"))
                .route("second", r -> r.pathPrefix("/api").toPool("b"))
                .route("third", r -> r.pathPrefix("/api").toPool("a"));
    assertThat(winner(routes, request("POST", "/api/x").build())).isEqualTo("first");
    assertThat(winner(routes, request("GET", "/api/x").build())).isEqualTo("second");
  }

  @Test
  void samePathExactTwiceKeepsDeclarationOrder() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("first", r -> r.pathExact("/x").header("X-A", "1").toPool("a"))
                .route("second", r -> r.pathExact("/x").toPool("b"));
    assertThat(winner(routes, request("GET", "/x").header("X-A", "1").build())).isEqualTo("first");
    assertThat(winner(routes, get("/x"))).isEqualTo("second");
  }

  @Test
  void aPrefixRouteWhoseOtherMatchersFailFallsThroughToTheNextMatch() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("posts", r -> r.pathPrefix("/api/").methods("POST").toPool("a"))
                .route("longer", r -> r.pathPrefix("/api/v1/").header("X-V", "1").toPool("a"))
                .route("exact", r -> r.pathExact("/api/v1/x").toPool("b"))
                .route("rest", r -> r.pathPrefix("/api").toPool("b"));
    assertThat(winner(routes, request("POST", "/api/v1/x").build())).isEqualTo("posts");
    assertThat(winner(routes, request("GET", "/api/v1/x").header("X-V", "1").build()))
        .isEqualTo("longer");
    assertThat(winner(routes, request("GET", "/api/v1/x").build())).isEqualTo("exact");
    assertThat(winner(routes, request("GET", "/api/v1/y").build())).isEqualTo("rest");
    assertThat(winner(routes, request("GET", "/web").build())).isEqualTo("default");
  }

  @Test
  void anExactRouteWhoseOtherMatchersFailFallsThroughToALaterPrefix() {
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("exact", r -> r.pathExact("/login").methods("POST").toPool("a"))
                .route("prefix", r -> r.pathPrefix("/log").toPool("b"));
    assertThat(winner(routes, request("POST", "/login").build())).isEqualTo("exact");
    assertThat(winner(routes, request("GET", "/login").build())).isEqualTo("prefix");
  }

  /**
   * A custom rule that routes paths starting with {@code start} to {@code pool}, counting calls.
   */
  private static final class StartsWith implements RoutingRule {
    final String name;
    final String start;
    final String pool;
    final AtomicInteger calls = new AtomicInteger();

    StartsWith(String name, String start, String pool) {
      this.name = name;
      this.start = start;
      this.pool = pool;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public @Nullable String route(RequestView request) {
      calls.incrementAndGet();
      return request.path().startsWith(start) ? pool : null;
    }
  }

  @Test
  void aCustomRuleIsEvaluatedInItsDeclaredPosition() {
    StartsWith custom = new StartsWith("custom", "/api", "b");
    UnaryOperator<LoadBalancerBuilder> routes =
        b ->
            b.route("exact-before", r -> r.pathExact("/api/a").toPool("a"))
                .rule(custom)
                .route("prefix-after", r -> r.pathPrefix("/api/").toPool("a"))
                .route("exact-after", r -> r.pathExact("/api/b").toPool("a"))
                .route("other", r -> r.pathPrefix("/other").toPool("a"));
    assertThat(winner(routes, "/api/a")).isEqualTo("exact-before");
    assertThat(winner(routes, "/api/b")).isEqualTo("custom");
    assertThat(winner(routes, "/api/c")).isEqualTo("custom");
    assertThat(winner(routes, "/other")).isEqualTo("other"); // the custom rule returned null
  }

  @Test
  void aCustomRuleChoosesThePoolAndTheMatchNamesIt() {
    StartsWith custom = new StartsWith("custom", "/api", "b");
    try (LoadBalancer lb =
        threePools()
            .route("first", r -> r.pathPrefix("/web").toPool("a"))
            .rule(custom)
            .defaultPool("c")
            .build()) {
      RouteMatch m = routed(lb, get("/api/x"));
      assertThat(m.rule()).isSameAs(custom);
      assertThat(m.pool()).isEqualTo("b");
      assertThat(m.rewrite("/api/x")).isEqualTo("/api/x");
      try (Lease lease = lb.select(get("/api/x")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("b");
      }
    }
  }

  @Test
  void aRuleAfterTheFirstMatchIsNotAsked() {
    StartsWith before = new StartsWith("before", "/nothing", "b");
    StartsWith after = new StartsWith("after", "/", "b");
    try (LoadBalancer lb =
        threePools()
            .rule(before)
            .route("prefix", r -> r.pathPrefix("/api").toPool("a"))
            .rule(after)
            .defaultPool("c")
            .build()) {
      RouteMatch m = routed(lb, get("/api/x"));
      assertThat(m.rule().name()).isEqualTo("prefix");
      assertThat(before.calls.get()).isEqualTo(1);
      assertThat(after.calls.get()).isZero();
    }
  }

  @Test
  void aStandaloneRouteAddedAsARuleIsIndexedLikeAnInlineOne() {
    Route exact = Route.builder("exact").pathExact("/x").toPool("b").build();
    Route prefix = Route.builder("prefix").pathPrefix("/").toPool("a").build();
    try (LoadBalancer lb = threePools().rule(prefix).rule(exact).defaultPool("c").build()) {
      RouteMatch m = routed(lb, get("/x"));
      assertThat(m.rule()).isSameAs(prefix);
    }
    try (LoadBalancer lb = threePools().rule(exact).rule(prefix).defaultPool("c").build()) {
      RouteMatch m = routed(lb, get("/x"));
      assertThat(m.rule()).isSameAs(exact);
    }
  }
}
