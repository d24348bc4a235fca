package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancer;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Path rewrites: {@code stripPrefix()} and {@code replacePrefix(x)}, through {@link RouteMatch}.
 */
class RouteRewriteTest {

  /** The match of a standalone route for {@code path}, which must match. */
  private static RouteMatch matchOf(Route route, String path) {
    RouteMatch m = route.match(get(path));
    assertThat(m).as("%s matches %s", route, path).isNotNull();
    return Objects.requireNonNull(m);
  }

  @ParameterizedTest(name = "strip {0}: {1} -> {2}")
  @CsvSource({
    "/api, /api/users, /users",
    "/api, /api/users/7/orders, /users/7/orders",
    "/api, /api, /",
    "/api, /api/, /",
    // a character prefix strips characters: /apis keeps what follows the prefix
    "/api, /apis, /s",
    // a prefix ending with / leaves no double slash and no missing slash
    "/api/, /api/users, /users",
    "/api/, /api/, /",
    "/, /x/y, /x/y",
  })
  void stripPrefixRemovesTheMatchedPrefix(String prefix, String path, String expected) {
    Route route = Route.builder("r").pathPrefix(prefix).stripPrefix().toPool("a").build();
    assertThat(matchOf(route, path).rewrite(path)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "replace {0} with {1}: {2} -> {3}")
  @CsvSource({
    "/v1/, /api/v2/, /v1/users, /api/v2/users",
    "/v1/, /api/v2/, /v1/, /api/v2/",
    "/v1, /api/v2, /v1/users, /api/v2/users",
    "/v1, /api/v2, /v1, /api/v2",
    // replacement ending with / and prefix without: no double slash
    "/v1, /api/v2/, /v1/users, /api/v2/users",
    "/v1, /api/v2/, /v1, /api/v2/",
    "/old, /new, /old/a/b, /new/a/b",
    "/old, /, /old/a, /a",
  })
  void replacePrefixSubstitutesTheMatchedPrefix(
      String prefix, String replacement, String path, String expected) {
    Route route =
        Route.builder("r").pathPrefix(prefix).replacePrefix(replacement).toPool("a").build();
    assertThat(matchOf(route, path).rewrite(path)).isEqualTo(expected);
  }

  @Test
  void rewriteOfAPathNotStartingWithThePrefixReturnsItUnchanged() {
    Route route = Route.builder("r").pathPrefix("/api/").stripPrefix().toPool("a").build();
    RouteMatch m = matchOf(route, "/api/users");
    assertThat(m.rewrite("/web/users")).isEqualTo("/web/users");
    assertThat(m.rewrite("/api")).isEqualTo("/api");
    assertThat(m.rewrite("/")).isEqualTo("/");
  }

  @Test
  void aRouteWithoutRewriteLeavesThePathUnchanged() {
    Route prefix = Route.builder("p").pathPrefix("/api").toPool("a").build();
    Route exact = Route.builder("e").pathExact("/api/x").toPool("a").build();
    Route any = Route.builder("n").toPool("a").build();
    for (Route route : new Route[] {prefix, exact, any}) {
      assertThat(matchOf(route, "/api/x").rewrite("/api/x")).isEqualTo("/api/x");
    }
  }

  @Test
  void aMatchMadeByHandOrByACustomRuleDoesNotRewrite() {
    RoutingRule custom =
        new RoutingRule() {
          @Override
          public String name() {
            return "custom";
          }

          @Override
          public @Nullable String route(RequestView request) {
            return "b";
          }
        };
    assertThat(new RouteMatch(custom, "b").rewrite("/api/x")).isEqualTo("/api/x");
    try (LoadBalancer lb = threePools().rule(custom).build()) {
      assertThat(routed(lb, get("/api/x")).rewrite("/api/x")).isEqualTo("/api/x");
    }
  }

  @Test
  void theLoadBalancersMatchRewritesForEveryPoolOfASplit() {
    try (LoadBalancer lb =
        threePools()
            .route(
                "api",
                r ->
                    r.pathPrefix("/api/")
                        .replacePrefix("/internal/")
                        .split("a", 1)
                        .split("b", 1)
                        .sticky(HashKey.header("X-User")))
            .route("rest", r -> r.toPool("c"))
            .build()) {
      boolean sawA = false;
      boolean sawB = false;
      for (int i = 0; i < 200 && !(sawA && sawB); i++) {
        RouteMatch m =
            routed(
                lb,
                RoutingTestSupport.request("GET", "/api/users").header("X-User", "u" + i).build());
        assertThat(m.rewrite("/api/users")).isEqualTo("/internal/users");
        sawA |= m.pool().equals("a");
        sawB |= m.pool().equals("b");
      }
      assertThat(sawA && sawB).as("both pools of the split were seen").isTrue();
      // the route without rewrite that catches the rest
      assertThat(routed(lb, get("/api")).rewrite("/api")).isEqualTo("/api");
    }
  }
}
