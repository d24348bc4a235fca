package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.request;
import static dev.lb4j.core.routing.RoutingTestSupport.route;
import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.LoadBalancer;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every matcher of a route, alone and combined, against requests that should and should not match.
 */
class RouteMatchersTest {

  private static boolean matches(Route route, RequestView request) {
    RouteMatch m = route.match(request);
    if (m != null) {
      assertThat(m.rule()).isSameAs(route);
      assertThat(m.pool()).isEqualTo("a");
    }
    return m != null;
  }

  // ---------------------------------------------------------------- paths

  @ParameterizedTest(name = "exact {0} vs {1} -> {2}")
  @CsvSource({
    "/api, /api, true",
    "/api, /api/, false",
    "/api, /apis, false",
    "/api, /ap, false",
    "/api, /API, false",
    "/api/users, /api/users, true",
    "/, /, true",
    "/, /a, false",
    // matched as received: no percent-decoding, no dot-segment removal
    "/a%20b, /a%20b, true",
    "/a%20b, /a b, false",
    "/a/b, /a/./b, false",
  })
  void pathExact(String exact, String path, boolean expected) {
    Route r = route(b -> b.pathExact(exact));
    assertThat(r.pathKind()).isEqualTo(Route.PathKind.EXACT);
    assertThat(r.path()).isEqualTo(exact);
    assertThat(r.matchesPath(path)).isEqualTo(expected);
    assertThat(matches(r, get(path))).isEqualTo(expected);
  }

  @Test
  void pathExactIgnoresTheQuery() {
    Route r = route(b -> b.pathExact("/search"));
    assertThat(matches(r, get("/search?q=x"))).isTrue();
  }

  @ParameterizedTest(name = "prefix {0} vs {1} -> {2}")
  @CsvSource({
    // a character prefix: /api matches /apis too
    "/api, /api, true",
    "/api, /api/, true",
    "/api, /api/users, true",
    "/api, /apis, true",
    "/api, /ap, false",
    "/api, /v1/api, false",
    "/api, /API/users, false",
    // ending with / restricts it to whole segments
    "/api/, /api/users, true",
    "/api/, /api/, true",
    "/api/, /api, false",
    "/api/, /apis/x, false",
    "/, /, true",
    "/, /anything/at/all, true",
  })
  void pathPrefix(String prefix, String path, boolean expected) {
    Route r = route(b -> b.pathPrefix(prefix));
    assertThat(r.pathKind()).isEqualTo(Route.PathKind.PREFIX);
    assertThat(r.matchesPath(path)).isEqualTo(expected);
    assertThat(matches(r, get(path))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "glob {0} vs {1} -> {2}")
  @CsvSource({
    // a pattern without stars is an exact path
    "/a/b, /a/b, true",
    "/a/b, /a/b/, false",
    "/a/b, /a/bc, false",
    // * is any run (possibly empty) within one segment
    "/api/*/users, /api/42/users, true",
    "/api/*/users, /api/abc-def/users, true",
    "/api/*/users, /api//users, true",
    "/api/*/users, /api/4/2/users, false",
    "/api/*/users, /api/42/users/x, false",
    "/files/*.json, /files/a.b.json, true",
    "/files/*.json, /files/.json, true",
    "/files/*.json, /files/a/b.json, false",
    "/files/*.json, /files/a.jsonx, false",
    "/a*c, /abbbc, true",
    "/a*c, /ac, true",
    "/a*c, /ab/c, false",
    // a trailing * takes the rest of the last segment only
    "/a/*, /a/b, true",
    "/a/*, /a/, true",
    "/a/*, /a, false",
    "/a/*, /a/b/c, false",
    "/a/*, /a/b/, false",
    // ** is any run across segments
    "/a/**, /a/, true",
    "/a/**, /a/b, true",
    "/a/**, /a/b/c/d, true",
    "/a/**, /a, false",
    "/a/**, /ab, false",
    "/a/**/z, /a/b/z, true",
    "/a/**/z, /a/b/c/d/z, true",
    "/a/**/z, /a/b/c/d/zz, false",
    // a leading **: any path ending as the rest says
    "/**, /, true",
    "/**, /x/y/z, true",
    "/**.png, /img/2024/cat.png, true",
    "/**.png, /img/2024/cat.jpg, false",
    "/**/x, /a/x, true",
    "/**/x, /a/b/x, true",
    "/**/x, /a/b/y, false",
    // ? is exactly one character other than /
    "/v?/x, /v1/x, true",
    "/v?/x, /v/x, false",
    "/v?/x, /v12/x, false",
    "/v?/x, /v//x, false",
    "/??, /ab, true",
    "/??, /a, false",
    // several stars, needing backtracking
    "/*/*/*, /a/b/c, true",
    "/*/*/*, /a/b, false",
    "/*-*-*, /a-b-c-d, true",
    "/*-*-*, /a-b, false",
  })
  void pathGlob(String glob, String path, boolean expected) {
    Route r = route(b -> b.pathGlob(glob));
    assertThat(r.pathKind()).isEqualTo(Route.PathKind.GLOB);
    assertThat(r.matchesPath(path)).isEqualTo(expected);
    assertThat(matches(r, get(path))).isEqualTo(expected);
  }

  @Test
  void sixteenStarGlobIsAcceptedAndMatches() {
    String glob = "/" + "*-".repeat(15) + "*"; // 16 stars
    Route r = route(b -> b.pathGlob(glob));
    assertThat(r.matchesPath("/" + "x-".repeat(15) + "x")).isTrue();
    assertThat(r.matchesPath("/" + "x-".repeat(14) + "x")).isFalse();
  }

  @Test
  void globMatchingStaysFastOnAdversarialPaths() {
    // Nine single stars separated by 'a' and ending in 'b', against a long run of 'a' with no 'b':
    // a naive backtracking matcher tries every placement of the stars (C(44, 8) ~ 1.8e8, about
    // 10 s); a matcher that is O(pattern x path) does it in microseconds. 2 s is a huge margin.
    Route r = route(b -> b.pathGlob("/" + "*a".repeat(8) + "*b"));
    String path = "/" + "a".repeat(44);
    boolean matched = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> r.matchesPath(path));
    assertThat(matched).isFalse();
  }

  @ParameterizedTest(name = "regex {0} vs {1} -> {2}")
  @CsvSource({
    "/users/\\d+, /users/42, true",
    // the regex must match the whole path, not a part of it
    "/users/\\d+, /users/42/orders, false",
    "/users/\\d+, /v1/users/42, false",
    "/users/\\d+, /users/x, false",
    "/(a|b)/.*, /a/x/y, true",
    "/(a|b)/.*, /c/x, false",
    "users, /users, false",
  })
  void pathRegex(String regex, String path, boolean expected) {
    Route r = route(b -> b.pathRegex(regex));
    assertThat(r.pathKind()).isEqualTo(Route.PathKind.REGEX);
    assertThat(r.path()).isEqualTo(regex);
    assertThat(r.matchesPath(path)).isEqualTo(expected);
    assertThat(matches(r, get(path))).isEqualTo(expected);
  }

  @Test
  void noMatcherMatchesEveryRequest() {
    Route r = route(b -> {});
    assertThat(r.pathKind()).isEqualTo(Route.PathKind.ANY);
    assertThat(r.path()).isEmpty();
    assertThat(matches(r, get("/"))).isTrue();
    assertThat(matches(r, get("/any/thing?x=1"))).isTrue();
    assertThat(
            matches(
                r,
                request("DELETE", "/x")
                    .host(null)
                    .header("Cookie", "a=b")
                    .clientAddress("10.0.0.1")
                    .build()))
        .isTrue();
  }

  // ---------------------------------------------------------------- hosts

  @ParameterizedTest(name = "hosts {0} vs {1} -> {2}")
  @CsvSource({
    "api.example.com, api.example.com, true",
    "api.example.com, API.Example.COM, true",
    "API.EXAMPLE.COM, api.example.com, true",
    "api.example.com, api.example.com:8443, true",
    "api.example.com, api.example.co, false",
    "api.example.com, xapi.example.com, false",
    "api.example.com, api.example.com.evil, false",
    "api.example.com, www.example.com, false",
    "localhost, localhost:80, true",
    // a wildcard matches every subdomain, at any depth, but not the domain itself
    "*.example.com, a.example.com, true",
    "*.example.com, a.b.example.com, true",
    "*.example.com, A.EXAMPLE.com:8080, true",
    "*.example.com, example.com, false",
    "*.example.com, example.com:80, false",
    "*.example.com, xexample.com, false",
    "*.example.com, a.example.org, false",
    "*.example.com, a.example.com.evil, false",
  })
  void hosts(String configured, String host, boolean expected) {
    Route r = route(b -> b.hosts(configured));
    assertThat(matches(r, request("GET", "/").host(host).build())).isEqualTo(expected);
  }

  @Test
  void anyListedHostMatchesAcrossCalls() {
    Route r = route(b -> b.hosts("a.test", "b.test").hosts("*.c.test"));
    assertThat(matches(r, request("GET", "/").host("a.test").build())).isTrue();
    assertThat(matches(r, request("GET", "/").host("b.test").build())).isTrue();
    assertThat(matches(r, request("GET", "/").host("x.c.test").build())).isTrue();
    assertThat(matches(r, request("GET", "/").host("c.test").build())).isFalse();
    assertThat(matches(r, request("GET", "/").host("d.test").build())).isFalse();
  }

  @Test
  void aRouteWithHostsDoesNotMatchARequestWithoutAHost() {
    Route r = route(b -> b.hosts("a.test"));
    assertThat(matches(r, request("GET", "/").build())).isFalse();
    assertThat(r.whyNot(request("GET", "/").build())).contains("host");
  }

  // ---------------------------------------------------------------- methods

  @Test
  void methodsMatchAnyListedMethod() {
    Route r = route(b -> b.methods("GET", "head").methods("POST"));
    assertThat(matches(r, request("GET", "/").build())).isTrue();
    assertThat(matches(r, request("HEAD", "/").build())).isTrue();
    assertThat(matches(r, request("post", "/").build())).isTrue(); // views hold upper case
    assertThat(matches(r, request("PUT", "/").build())).isFalse();
    assertThat(matches(r, request("DELETE", "/").build())).isFalse();
    assertThat(r.whyNot(request("PUT", "/").build())).contains("method PUT");
  }

  // ---------------------------------------------------------------- headers

  @Test
  void headerEqualsMatchesTheExactValueWithAnyNameCase() {
    Route r = route(b -> b.header("X-Env", "canary"));
    assertThat(matches(r, request("GET", "/").header("X-Env", "canary").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("x-env", "canary").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("X-ENV", "canary").build())).isTrue();
    Route lower = route(b -> b.header("x-env", "canary"));
    assertThat(matches(lower, request("GET", "/").header("X-Env", "canary").build())).isTrue();
    // values are compared exactly
    assertThat(matches(r, request("GET", "/").header("X-Env", "Canary").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-Env", "canary ").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-Env", "").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-Other", "canary").build())).isFalse();
    assertThat(matches(r, request("GET", "/").build())).isFalse();
  }

  @Test
  void headerEqualsLooksAtTheFirstValueWhenRepeated() {
    Route r = route(b -> b.header("X-Env", "canary"));
    RequestView firstCanary =
        request("GET", "/").header("X-Env", "canary").header("X-Env", "stable").build();
    RequestView secondCanary =
        request("GET", "/").header("X-Env", "stable").header("x-env", "canary").build();
    assertThat(matches(r, firstCanary)).isTrue();
    assertThat(matches(r, secondCanary)).isFalse();
  }

  @Test
  void headerRegexMustMatchTheWholeValue() {
    Route r = route(b -> b.headerRegex("X-Version", "v\\d+"));
    assertThat(matches(r, request("GET", "/").header("x-version", "v2").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("X-VERSION", "v123").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("X-Version", "v2-beta").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-Version", "xv2").build())).isFalse();
    assertThat(matches(r, request("GET", "/").build())).isFalse();
  }

  @Test
  void headerPresentAndAbsent() {
    Route present = route(b -> b.headerPresent("X-Debug"));
    Route absent = route(b -> b.headerAbsent("X-Debug"));
    RequestView with = request("GET", "/").header("x-debug", "").build();
    RequestView withValue = request("GET", "/").header("X-DEBUG", "1").build();
    RequestView without = request("GET", "/").header("X-Other", "1").build();
    assertThat(matches(present, with)).isTrue();
    assertThat(matches(present, withValue)).isTrue();
    assertThat(matches(present, without)).isFalse();
    assertThat(matches(absent, with)).isFalse();
    assertThat(matches(absent, withValue)).isFalse();
    assertThat(matches(absent, without)).isTrue();
  }

  // ---------------------------------------------------------------- query parameters

  @Test
  void queryParameterEqualsComparesTheValueAsSent() {
    Route r = route(b -> b.queryParameter("q", "a%20b"));
    assertThat(matches(r, get("/s?q=a%20b"))).isTrue();
    assertThat(matches(r, get("/s?x=1&q=a%20b&y=2"))).isTrue();
    assertThat(matches(r, request("GET", "/s").query("q=a%20b").build())).isTrue();
    // not decoded: the decoded value does not match, and an encoded request is not decoded either
    Route decoded = route(b -> b.queryParameter("q", "a b"));
    assertThat(matches(decoded, get("/s?q=a%20b"))).isFalse();
    assertThat(matches(r, get("/s?q=a+b"))).isFalse();
    assertThat(matches(r, get("/s?q=a%20bc"))).isFalse();
    // names are case-sensitive
    assertThat(matches(r, get("/s?Q=a%20b"))).isFalse();
    assertThat(matches(r, get("/s"))).isFalse();
  }

  @Test
  void queryParameterEqualsLooksAtTheFirstOccurrence() {
    Route r = route(b -> b.queryParameter("v", "2"));
    assertThat(matches(r, get("/s?v=2&v=1"))).isTrue();
    assertThat(matches(r, get("/s?v=1&v=2"))).isFalse();
  }

  @Test
  void queryParameterRegexMustMatchTheWholeValue() {
    Route r = route(b -> b.queryParameterRegex("page", "[0-9]{1,3}"));
    assertThat(matches(r, get("/list?page=7"))).isTrue();
    assertThat(matches(r, get("/list?page=999"))).isTrue();
    assertThat(matches(r, get("/list?page=1000"))).isFalse();
    assertThat(matches(r, get("/list?page=7x"))).isFalse();
    assertThat(matches(r, get("/list?Page=7"))).isFalse();
    assertThat(matches(r, get("/list"))).isFalse();
  }

  @Test
  void queryParameterPresentAcceptsABareOrEmptyParameter() {
    Route r = route(b -> b.queryParameterPresent("debug"));
    assertThat(matches(r, get("/x?debug"))).isTrue();
    assertThat(matches(r, get("/x?debug="))).isTrue();
    assertThat(matches(r, get("/x?a=1&debug=yes"))).isTrue();
    assertThat(matches(r, get("/x?debugger=1"))).isFalse();
    assertThat(matches(r, get("/x?DEBUG=1"))).isFalse();
    assertThat(matches(r, get("/x"))).isFalse();
  }

  // ---------------------------------------------------------------- cookies

  @Test
  void cookieEqualsComparesTheExactValueOfTheNamedCookie() {
    Route r = route(b -> b.cookie("beta", "on"));
    assertThat(matches(r, request("GET", "/").header("Cookie", "beta=on").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("cookie", "a=1; beta=on; b=2").build()))
        .isTrue();
    assertThat(matches(r, request("GET", "/").header("Cookie", "beta=off").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("Cookie", "Beta=on").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("Cookie", "xbeta=on").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-Beta", "on").build())).isFalse();
    assertThat(matches(r, request("GET", "/").build())).isFalse();
  }

  @Test
  void cookiePresent() {
    Route r = route(b -> b.cookiePresent("session"));
    assertThat(matches(r, request("GET", "/").header("Cookie", "session=abc").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("Cookie", "a=1; session=").build())).isTrue();
    assertThat(matches(r, request("GET", "/").header("Cookie", "sessions=abc").build())).isFalse();
    assertThat(matches(r, request("GET", "/").build())).isFalse();
  }

  // ---------------------------------------------------------------- AND

  @Test
  void everyMatcherMustHold() {
    Route r =
        route(
            b ->
                b.pathPrefix("/api/")
                    .hosts("*.example.com")
                    .methods("POST")
                    .header("X-Env", "canary")
                    .headerAbsent("X-Skip")
                    .queryParameter("v", "2")
                    .cookiePresent("session"));
    RequestView all =
        request("POST", "/api/orders?v=2")
            .host("shop.example.com")
            .header("X-Env", "canary")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, all)).isTrue();
    assertThat(r.whyNot(all)).isNull();

    // each one failing alone makes the route miss
    assertThat(
            matches(
                r,
                request("POST", "/web/orders?v=2")
                    .host("shop.example.com")
                    .header("X-Env", "canary")
                    .header("Cookie", "session=s1")
                    .build()))
        .isFalse();
    RequestView wrongHost =
        request("POST", "/api/orders?v=2")
            .host("example.com")
            .header("X-Env", "canary")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, wrongHost)).isFalse();
    assertThat(r.whyNot(wrongHost)).startsWith("host ");
    RequestView wrongMethod =
        request("GET", "/api/orders?v=2")
            .host("shop.example.com")
            .header("X-Env", "canary")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, wrongMethod)).isFalse();
    assertThat(r.whyNot(wrongMethod)).startsWith("method ");
    RequestView wrongHeader =
        request("POST", "/api/orders?v=2")
            .host("shop.example.com")
            .header("X-Env", "stable")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, wrongHeader)).isFalse();
    assertThat(r.whyNot(wrongHeader)).startsWith("header ");
    RequestView unwantedHeader =
        request("POST", "/api/orders?v=2")
            .host("shop.example.com")
            .header("X-Env", "canary")
            .header("X-Skip", "1")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, unwantedHeader)).isFalse();
    RequestView wrongQuery =
        request("POST", "/api/orders?v=1")
            .host("shop.example.com")
            .header("X-Env", "canary")
            .header("Cookie", "session=s1")
            .build();
    assertThat(matches(r, wrongQuery)).isFalse();
    assertThat(r.whyNot(wrongQuery)).startsWith("query parameter ");
    RequestView noCookie =
        request("POST", "/api/orders?v=2")
            .host("shop.example.com")
            .header("X-Env", "canary")
            .build();
    assertThat(matches(r, noCookie)).isFalse();
    assertThat(r.whyNot(noCookie)).startsWith("cookie ");
  }

  @Test
  void severalMatchersOfOneKindMustAllHold() {
    Route r = route(b -> b.header("X-A", "1").header("X-B", "2").queryParameterPresent("p"));
    assertThat(matches(r, request("GET", "/?p").header("X-A", "1").header("X-B", "2").build()))
        .isTrue();
    assertThat(matches(r, request("GET", "/?p").header("X-A", "1").build())).isFalse();
    assertThat(matches(r, request("GET", "/?p").header("X-B", "2").build())).isFalse();
    assertThat(matches(r, request("GET", "/").header("X-A", "1").header("X-B", "2").build()))
        .isFalse();
  }

  // ---------------------------------------------------------------- through the load balancer

  @Test
  void theLoadBalancerRoutesWithTheSameMatchers() {
    try (LoadBalancer lb =
        threePools()
            .route("beta", r -> r.cookie("beta", "on").toPool("b"))
            .route("admin", r -> r.hosts("admin.example.com").pathPrefix("/").toPool("c"))
            .defaultPool("a")
            .build()) {
      assertThat(poolOf(lb, request("GET", "/x").header("Cookie", "beta=on").build()))
          .isEqualTo("b");
      assertThat(poolOf(lb, request("GET", "/x").host("ADMIN.example.com:443").build()))
          .isEqualTo("c");
      assertThat(poolOf(lb, request("GET", "/x").host("www.example.com").build())).isEqualTo("a");
    }
  }

  private static String poolOf(LoadBalancer lb, RequestView request) {
    return routed(lb, request).pool();
  }
}
