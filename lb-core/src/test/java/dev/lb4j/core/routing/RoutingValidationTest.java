package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Route configuration errors: each is reported at once (setters) or by {@code build()}, with a
 * message naming the field ({@code routes.<name>.<field>}), the value and what is allowed.
 */
class RoutingValidationTest {

  private static RouteBuilder builder() {
    return Route.builder("api");
  }

  /** The description and index {@link Pattern} reports for {@code regex}, as the message quotes. */
  private static String syntaxError(String regex) {
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      return e.getDescription() + " near index " + e.getIndex();
    }
    throw new AssertionError(regex + " is a valid regex");
  }

  // ---------------------------------------------------------------- route names

  @ParameterizedTest
  @ValueSource(strings = {"", "a.b", "a b", "-api", "_api", "api/v1", "ümlaut", "default"})
  void invalidRouteNamesAreRejected(String name) {
    String expected =
        "routes: name '"
            + name
            + "' (expected: 1 to 64 letters, digits, '_' or '-', starting with a letter or digit;"
            + " 'default' names the default route)";
    assertThatThrownBy(() -> Route.builder(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(expected);
    assertThatThrownBy(() -> threePools().route(name, r -> r.toPool("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(expected);
  }

  @Test
  void routeNamesOfOneToSixtyFourCharactersAreAccepted() {
    assertThat(Route.builder("a").toPool("a").build().name()).isEqualTo("a");
    String longest = "A" + "b_-9".repeat(15) + "xyz"; // 64 characters
    assertThat(Route.builder(longest).toPool("a").build().name()).isEqualTo(longest);
    assertThatThrownBy(() -> Route.builder(longest + "z"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("routes: name '" + longest + "z' (expected: 1 to 64");
  }

  @Test
  void duplicateRouteNamesAreRejected() {
    LoadBalancerBuilder b = threePools().route("api", r -> r.pathPrefix("/a").toPool("a"));
    assertThatThrownBy(() -> b.route("api", r -> r.pathPrefix("/b").toPool("b")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api was already defined");
    assertThatThrownBy(() -> b.rule(Route.builder("api").toPool("b").build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api was already defined");
    RoutingRule custom =
        new RoutingRule() {
          @Override
          public String name() {
            return "api";
          }

          @Override
          public @Nullable String route(RequestView request) {
            return null;
          }
        };
    assertThatThrownBy(() -> b.rule(custom))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api was already defined");
  }

  // ---------------------------------------------------------------- regexes

  @Test
  void invalidPathRegexNamesTheFieldAndTheRegex() {
    assertThatThrownBy(() -> builder().pathRegex("/users/(\\d+"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathRegex: '/users/(\\d+' is not a valid regular expression ("
                + syntaxError("/users/(\\d+")
                + ")")
        .hasCauseInstanceOf(PatternSyntaxException.class);
  }

  @Test
  void invalidHeaderRegexNamesTheFieldAndTheRegex() {
    assertThatThrownBy(() -> builder().headerRegex("X-Version", "v[0-9"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.headerRegex: 'v[0-9' is not a valid regular expression ("
                + syntaxError("v[0-9")
                + ")");
  }

  @Test
  void invalidQueryParameterRegexNamesTheFieldAndTheRegex() {
    assertThatThrownBy(() -> builder().queryParameterRegex("page", "*7"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.queryParameterRegex: '*7' is not a valid regular expression ("
                + syntaxError("*7")
                + ")");
  }

  // ---------------------------------------------------------------- paths and globs

  @ParameterizedTest
  @ValueSource(strings = {"", "api", "api/*", "*/users"})
  void globNotStartingWithSlashIsRejected(String glob) {
    assertThatThrownBy(() -> builder().pathGlob(glob))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathGlob: '"
                + glob
                + "' (expected: a path glob starting with '/', such as /api/*/users)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/***", "/a/***/b", "/a****"})
  void globWithThreeStarsInARowIsRejected(String glob) {
    assertThatThrownBy(() -> builder().pathGlob(glob))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathGlob: '"
                + glob
                + "' (expected: '*' or '**', not three or more '*' in a row)");
  }

  @Test
  void globWithMoreThanSixteenStarsIsRejected() {
    String sixteen = "/" + "*/".repeat(8) + "**/**/**/**"; // 8 + 8 stars
    assertThatCode(() -> builder().pathGlob(sixteen)).doesNotThrowAnyException();
    String seventeen = sixteen + "/*";
    assertThatThrownBy(() -> builder().pathGlob(seventeen))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathGlob: '"
                + seventeen
                + "' (expected: at most 16 '*', which keeps matching fast)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "api", "api/users", "*"})
  void pathExactAndPathPrefixNotStartingWithSlashAreRejected(String path) {
    assertThatThrownBy(() -> builder().pathExact(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.pathExact: '" + path + "' (expected: a path starting with '/')");
    assertThatThrownBy(() -> builder().pathPrefix(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.pathPrefix: '" + path + "' (expected: a path starting with '/')");
  }

  @Test
  void twoPathMatchersOnOneRouteAreRejected() {
    assertThatThrownBy(() -> builder().pathExact("/a").pathPrefix("/b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "routes.api.pathPrefix: a path matcher was already set (exact '/a'); a route has at"
                + " most one");
    assertThatThrownBy(() -> builder().pathPrefix("/a").pathGlob("/b/*"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "routes.api.pathGlob: a path matcher was already set (prefix '/a'); a route has at"
                + " most one");
    assertThatThrownBy(() -> builder().pathGlob("/a/*").pathRegex("/b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "routes.api.pathRegex: a path matcher was already set (glob '/a/*'); a route has at"
                + " most one");
    assertThatThrownBy(() -> builder().pathRegex("/a.*").pathExact("/b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "routes.api.pathExact: a path matcher was already set (regex '/a.*'); a route has at"
                + " most one");
    assertThatThrownBy(() -> builder().pathPrefix("/a").pathPrefix("/a"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("routes.api.pathPrefix: a path matcher was already set");
  }

  // ---------------------------------------------------------------- hosts and methods

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "*",
        "*.",
        "a..b",
        "-a.example.com",
        "a-.example.com",
        "a_b.example.com",
        "a b.example.com",
        "api.example.com:8080",
        "example.com.",
        "*.*.example.com",
        "a.*.example.com",
        "*example.com",
        "http://example.com"
      })
  void badHostNamesAreRejected(String host) {
    assertThatThrownBy(() -> builder().hosts("ok.example.com", host))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.hosts: '"
                + host
                + "' (expected: a host name such as api.example.com, or *.example.com for every"
                + " subdomain)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "GE T", "GET/1", "GET,POST", "ÄBC", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"})
  void badMethodsAreRejected(String method) {
    assertThatThrownBy(() -> builder().methods("GET", method))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.methods: '" + method + "' (expected: an HTTP method such as GET or"
                + " M-SEARCH)");
  }

  @Test
  void extensionMethodsAreAccepted() {
    assertThat(builder().methods("M-SEARCH", "PROPFIND").toPool("a").build().toString())
        .contains("method in [M-SEARCH, PROPFIND]");
  }

  // ---------------------------------------------------------------- header, query, cookie names

  @Test
  void emptyHeaderQueryAndCookieNamesAreRejected() {
    assertEmptyNameRejected("header", b -> b.header("", "v"));
    assertEmptyNameRejected("headerRegex", b -> b.headerRegex("", "v.*"));
    assertEmptyNameRejected("headerPresent", b -> b.headerPresent(""));
    assertEmptyNameRejected("headerAbsent", b -> b.headerAbsent(""));
    assertEmptyNameRejected("queryParameter", b -> b.queryParameter("", "v"));
    assertEmptyNameRejected("queryParameterRegex", b -> b.queryParameterRegex("", "v.*"));
    assertEmptyNameRejected("queryParameterPresent", b -> b.queryParameterPresent(""));
    assertEmptyNameRejected("cookie", b -> b.cookie("", "v"));
    assertEmptyNameRejected("cookiePresent", b -> b.cookiePresent(""));
  }

  private static void assertEmptyNameRejected(String field, Consumer<RouteBuilder> call) {
    assertThatThrownBy(() -> call.accept(builder()))
        .as(field)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api." + field + ": '' (expected: a non-empty name)");
  }

  // ---------------------------------------------------------------- actions

  @ParameterizedTest
  @ValueSource(ints = {-1, Integer.MIN_VALUE, 1_000_001, Integer.MAX_VALUE})
  void splitWeightOutOfRangeIsRejected(int weight) {
    assertThatThrownBy(() -> builder().split("stable", 1).split("canary", weight))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.split.canary: " + weight + " (expected: a weight 0..1000000)");
  }

  @Test
  void splitWeightsAtTheBoundsAreAccepted() {
    Route route = builder().split("a", 1_000_000).split("b", 0).split("c", 1_000_000).build();
    assertThat(route.pools()).containsExactly("a", "b", "c");
  }

  @Test
  void splitWeightsSummingToZeroAreRejected() {
    assertThatThrownBy(() -> builder().split("a", 0).split("b", 0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.split: weights [0, 0] sum to 0 (expected: a positive sum)");
  }

  @Test
  void theSamePoolTwiceInASplitIsRejected() {
    assertThatThrownBy(() -> builder().split("a", 1).split("a", 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api.split.a was already set");
  }

  @Test
  void aRouteWithoutActionIsRejected() {
    assertThatThrownBy(() -> builder().pathPrefix("/api").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.toPool: not set (expected: toPool(pool) or split(pool, weight))");
    assertThatThrownBy(() -> threePools().route("api", r -> r.pathPrefix("/api")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.toPool: not set (expected: toPool(pool) or split(pool, weight))");
  }

  @Test
  void toPoolTwiceIsRejected() {
    assertThatThrownBy(() -> builder().toPool("a").toPool("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("routes.api.toPool");
  }

  @Test
  void unknownPoolInToPoolIsRejectedWhenTheLoadBalancerIsBuilt() {
    LoadBalancerBuilder b = threePools().route("api", r -> r.pathPrefix("/api").toPool("nope"));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.toPool: 'nope' (expected: one of the pools [a, b, c])");
  }

  @Test
  void unknownPoolInSplitIsRejectedWhenTheLoadBalancerIsBuilt() {
    LoadBalancerBuilder b = threePools().route("canary", r -> r.split("a", 95).split("canary", 5));
    assertThatThrownBy(b::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.canary.split: 'canary' (expected: one of the pools [a, b, c])");
  }

  @Test
  void unknownPoolInAStandaloneRouteIsRejectedWhenTheLoadBalancerIsBuilt() {
    Route route = Route.builder("api").toPool("nope").build(); // pools are unknown here
    assertThatThrownBy(() -> threePools().rule(route).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.toPool: 'nope' (expected: one of the pools [a, b, c])");
  }

  @Test
  void stickyWithoutASplitIsRejected() {
    assertThatThrownBy(() -> builder().toPool("a").sticky(HashKey.header("X-User")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.sticky: header(X-User) (expected: only with a split over two or more"
                + " pools)");
    assertThatThrownBy(() -> builder().split("a", 5).sticky(HashKey.cookie("u")).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.sticky: cookie(u) (expected: only with a split over two or more pools)");
  }

  @Test
  void stickyTwiceIsRejected() {
    assertThatThrownBy(
            () -> builder().sticky(HashKey.header("X-User")).sticky(HashKey.cookie("user")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api.sticky was already set to header(X-User)");
  }

  // ---------------------------------------------------------------- rewrites

  @Test
  void stripPrefixWithoutPathPrefixIsRejected() {
    assertThatThrownBy(() -> builder().pathExact("/api").stripPrefix().toPool("a").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.stripPrefix: needs a pathPrefix to replace (the route's path matcher is"
                + " exact)");
    assertThatThrownBy(() -> builder().stripPrefix().toPool("a").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.stripPrefix: needs a pathPrefix to replace (the route's path matcher is"
                + " any)");
  }

  @Test
  void replacePrefixWithoutPathPrefixIsRejected() {
    assertThatThrownBy(() -> builder().pathGlob("/api/**").replacePrefix("/v2").toPool("a").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.replacePrefix: needs a pathPrefix to replace (the route's path matcher is"
                + " glob)");
    assertThatThrownBy(
            () -> builder().pathRegex("/api/.*").replacePrefix("/v2").toPool("a").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.replacePrefix: needs a pathPrefix to replace (the route's path matcher is"
                + " regex)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "v2", "v2/"})
  void replacementNotStartingWithSlashIsRejected(String replacement) {
    assertThatThrownBy(() -> builder().pathPrefix("/v1").replacePrefix(replacement))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.replacePrefix: '" + replacement + "' (expected: a path starting with '/')");
  }

  @Test
  void aSecondRewriteIsRejected() {
    assertThatThrownBy(() -> builder().pathPrefix("/v1").stripPrefix().replacePrefix("/v2"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("routes.api.replacePrefix was already set to '/'");
  }

  // ---------------------------------------------------------------- whole load balancer

  @Test
  void aValidRoutingConfigurationBuilds() {
    try (LoadBalancer lb =
        threePools()
            .route(
                "everything",
                r ->
                    r.pathPrefix("/api/")
                        .hosts("api.example.com", "*.api.example.com")
                        .methods("GET", "post")
                        .header("X-Env", "canary")
                        .headerRegex("X-Version", "v[0-9]+")
                        .headerPresent("X-Trace")
                        .headerAbsent("X-Skip")
                        .queryParameter("v", "2")
                        .queryParameterRegex("page", "[0-9]+")
                        .queryParameterPresent("debug")
                        .cookie("beta", "on")
                        .cookiePresent("session")
                        .split("a", 90)
                        .split("b", 10)
                        .sticky(HashKey.cookie("session"))
                        .replacePrefix("/internal/"))
            .build()) {
      assertThat(lb.poolNames()).containsExactly("a", "b", "c");
    }
  }
}
