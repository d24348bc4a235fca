package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The indexed router against a naive reference: the first route, in declaration order, whose {@link
 * Route#match} accepts the request (or the default route when none does). Routes and requests are
 * random but seeded, over a small alphabet so that paths, prefixes and globs collide often.
 */
class RouterPropertyTest {

  private static final String[] SEGMENTS = {"a", "ab", "b", "api", "v1", "x", ""};
  private static final String[] METHODS = {"GET", "POST", "PUT"};
  private static final String[] POOLS = {"a", "b", "c"};

  private static <T> T pick(Random rnd, T[] values) {
    return values[rnd.nextInt(values.length)];
  }

  private static String randomPath(Random rnd) {
    int segments = rnd.nextInt(5);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < segments; i++) {
      sb.append('/').append(pick(rnd, SEGMENTS));
    }
    if (sb.length() == 0 || rnd.nextInt(6) == 0) {
      sb.append('/');
    }
    return sb.toString();
  }

  /** A character prefix of a random path: may end in the middle of a segment. */
  private static String randomPrefix(Random rnd) {
    String path = randomPath(rnd);
    return path.substring(0, 1 + rnd.nextInt(path.length()));
  }

  private static String randomGlob(Random rnd) {
    int segments = 1 + rnd.nextInt(4);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < segments; i++) {
      sb.append('/');
      String segment = pick(rnd, SEGMENTS);
      switch (rnd.nextInt(6)) {
        case 0 -> sb.append('*');
        case 1 -> sb.append("**");
        case 2 -> sb.append(segment.isEmpty() ? "?" : "?" + segment.substring(1));
        case 3 -> sb.append(segment).append('*');
        default -> sb.append(segment);
      }
    }
    return sb.toString();
  }

  /** Paths to estimate how broad a path matcher is. */
  private static final List<String> SAMPLE_PATHS = samplePaths();

  private static List<String> samplePaths() {
    Random rnd = new Random(0);
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      paths.add(randomPath(rnd));
    }
    return paths;
  }

  /**
   * Adds non-path conditions, more of them the more paths the path matcher accepts, so that broad
   * routes (no path, {@code /a}, {@code /**}) do not shadow most of the routes declared after them.
   */
  private static void randomConditions(Random rnd, RouteBuilder b, double pathCoverage) {
    int n =
        pathCoverage > 0.5
            ? 3
            : pathCoverage > 0.2 ? 2 : pathCoverage > 0.05 ? 1 + rnd.nextInt(2) : rnd.nextInt(2);
    for (int i = 0; i < n; i++) {
      switch (rnd.nextInt(6)) {
        case 0 -> b.methods(pick(rnd, METHODS));
        case 1, 2 -> b.header("X-T", Integer.toString(1 + rnd.nextInt(12)));
        case 3 -> b.headerPresent("X-U");
        case 4 -> b.headerAbsent("X-T");
        default -> b.queryParameter("q", Integer.toString(1 + rnd.nextInt(4)));
      }
    }
  }

  private static Route randomRoute(Random rnd, String name) {
    Consumer<RouteBuilder> path;
    int kind = rnd.nextInt(20);
    if (kind < 6) {
      String exact = randomPath(rnd);
      path = b -> b.pathExact(exact);
    } else if (kind < 13) {
      String prefix = randomPrefix(rnd);
      path = b -> b.pathPrefix(prefix);
    } else if (kind < 17) {
      String glob = randomGlob(rnd);
      path = b -> b.pathGlob(glob);
    } else if (kind < 18) {
      path = b -> b.pathRegex("/(a|ab)/.*");
    } else {
      path = b -> {}; // no path matcher
    }
    RouteBuilder probe = Route.builder("probe");
    path.accept(probe);
    Route probed = probe.toPool("a").build();
    double coverage =
        SAMPLE_PATHS.stream().filter(probed::matchesPath).count() / (double) SAMPLE_PATHS.size();
    RouteBuilder b = Route.builder(name);
    path.accept(b);
    randomConditions(rnd, b, coverage);
    if (rnd.nextInt(10) == 0) {
      b.split("a", 1).split("b", 1);
    } else {
      b.toPool(pick(rnd, POOLS));
    }
    return b.build();
  }

  private static RequestView randomRequest(Random rnd) {
    // Now and then a path outside the routes' alphabet, which mostly falls to the default route.
    StringBuilder path = new StringBuilder(rnd.nextInt(10) == 0 ? "/zz" : randomPath(rnd));
    if (rnd.nextInt(2) == 0) {
      path.append("?q=").append(1 + rnd.nextInt(4));
    }
    RequestViewBuilder b = RequestView.builder().method(pick(rnd, METHODS)).path(path.toString());
    int t = rnd.nextInt(13);
    if (t > 0) {
      b.header(rnd.nextBoolean() ? "X-T" : "x-t", Integer.toString(t));
    }
    if (rnd.nextInt(4) == 0) {
      b.header("X-U", "u");
    }
    return b.build();
  }

  /** The reference: the first route in declaration order that matches, or {@code null}. */
  private static @Nullable Route reference(List<Route> routes, RequestView request) {
    for (Route r : routes) {
      if (r.match(request) != null) {
        return r;
      }
    }
    return null;
  }

  /** How many requests matched a route (not the default), and how many distinct rules won. */
  private record Coverage(int matched, int distinctWinners) {}

  /** Asserts the router and the reference agree on every request. */
  private static Coverage assertAgreesWithReference(
      List<Route> routes, List<RequestView> requests) {
    LoadBalancerBuilder builder = threePools().defaultPool("c");
    routes.forEach(builder::rule);
    int matched = 0;
    Set<String> winners = new HashSet<>();
    try (LoadBalancer lb = builder.build()) {
      for (RequestView request : requests) {
        Route expected = reference(routes, request);
        RouteMatch actual = routed(lb, request);
        winners.add(actual.rule().name());
        if (expected == null) {
          assertThat(actual.rule().name()).as("rule for %s", request).isEqualTo("default");
          assertThat(actual.pool()).isEqualTo("c");
        } else {
          matched++;
          RoutingRule rule = actual.rule();
          assertThat(rule)
              .as("rule for %s: expected %s, got %s", request, expected, rule)
              .isSameAs(expected);
          assertThat(expected.pools()).contains(actual.pool());
          if (expected.pools().size() == 1) {
            assertThat(actual.pool()).isEqualTo(expected.pools().get(0));
          }
        }
      }
    }
    return new Coverage(matched, winners.size());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 20261126})
  void routerAgreesWithFirstMatchInDeclarationOrder(long seed) {
    Random rnd = new Random(seed);
    List<Route> routes = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      routes.add(randomRoute(rnd, "r" + i));
    }
    List<RequestView> requests = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      requests.add(randomRequest(rnd));
    }
    Coverage coverage = assertAgreesWithReference(routes, requests);
    // Guard against a vacuous property: most requests hit some route, some fall through, and the
    // winners are many different routes (not one broad route shadowing the rest).
    assertThat(coverage.matched()).as("requests that matched a route").isBetween(1_500, 2_990);
    assertThat(coverage.distinctWinners()).as("distinct winning rules").isGreaterThan(60);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7, 8})
  void aThousandPrefixRoutesAgreeWithTheReference(long seed) {
    Random rnd = new Random(seed);
    String alphabet = "ab/";
    List<Route> routes = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      // Random prefixes over a three-letter alphabet, 1 to 12 characters after the leading '/':
      // long and short ones, nested in every order.
      StringBuilder prefix = new StringBuilder("/");
      int length = 1 + rnd.nextInt(12);
      for (int c = 0; c < length; c++) {
        prefix.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      prefixes.add(prefix.toString());
      RouteBuilder b = Route.builder("p" + i).pathPrefix(prefix.toString());
      // Short prefixes always carry a condition that one request in 32 meets, so that they do not
      // shadow the longer ones; long ones sometimes match on the path alone.
      if (length < 6 || rnd.nextInt(5) != 0) {
        b.header("X-T", Integer.toString(rnd.nextInt(32)));
      }
      routes.add(b.toPool(pick(rnd, POOLS)).build());
    }
    List<RequestView> requests = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) {
      StringBuilder path = new StringBuilder(prefixes.get(rnd.nextInt(prefixes.size())));
      int extra = rnd.nextInt(4);
      for (int c = 0; c < extra; c++) {
        path.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      if (rnd.nextInt(4) == 0) { // cut it short, possibly in front of every prefix
        path.setLength(1 + rnd.nextInt(path.length()));
      }
      RequestViewBuilder b = RequestView.builder().path(path.toString());
      if (rnd.nextInt(10) != 0) {
        b.header("X-T", Integer.toString(rnd.nextInt(32)));
      }
      requests.add(b.build());
    }
    Coverage coverage = assertAgreesWithReference(routes, requests);
    assertThat(coverage.matched()).as("requests that matched a route").isBetween(1_000, 4_990);
    assertThat(coverage.distinctWinners()).as("distinct winning rules").isGreaterThan(200);
  }

  /**
   * Pieces of keys and paths for the radix tree: more than eight ASCII letters (so that wide nodes
   * get their ASCII table), {@code /}, characters above ASCII (Latin-1 and wider), and characters
   * outside the BMP, whose surrogate pairs keys and paths may cut in half.
   */
  private static final String[] TOKENS = {
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "/", "/", "ab", "api/", "é", "ü", "€",
    "日本", "\uD83D\uDE00", "\uD83D\uDE01", "a\uD83D\uDE00"
  };

  private static String randomKey(Random rnd, int tokens) {
    StringBuilder sb = new StringBuilder("/");
    for (int i = 0; i < tokens; i++) {
      sb.append(pick(rnd, TOKENS));
    }
    return sb.toString();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14})
  void overlappingPrefixesAndExactPathsInManyScriptsAgreeWithTheReference(long seed) {
    Random rnd = new Random(seed);
    List<Route> routes = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    // The shortest prefix there is, declared first: every path starts with it.
    routes.add(Route.builder("slash").pathPrefix("/").header("X-T", "31").toPool("a").build());
    for (int i = 0; i < 1_000; i++) {
      String key;
      int shape = keys.isEmpty() ? 0 : rnd.nextInt(4);
      if (shape == 1) { // a prefix of an earlier key, possibly in the middle of a surrogate pair
        String earlier = keys.get(rnd.nextInt(keys.size()));
        key = earlier.substring(0, 1 + rnd.nextInt(earlier.length()));
      } else if (shape == 2) { // an earlier key going on: splits nothing, or an edge further down
        key = keys.get(rnd.nextInt(keys.size())) + randomKey(rnd, 1 + rnd.nextInt(3)).substring(1);
      } else { // a fresh key: shares a first edge with others, splitting it where they part
        key = randomKey(rnd, 1 + rnd.nextInt(8));
      }
      keys.add(key);
      RouteBuilder b = Route.builder("k" + i);
      if (rnd.nextInt(5) < 3) {
        b.pathPrefix(key);
      } else {
        b.pathExact(key);
      }
      // Most routes need one of the header values requests send (one in 8 for long keys, one in 32
      // for short ones, which would otherwise shadow the keys they start), so that routes with the
      // same key or along the same path compete and declaration order decides; a few need nothing.
      if (key.length() < 6) {
        b.header("X-T", Integer.toString(rnd.nextInt(32)));
      } else if (rnd.nextInt(6) != 0) {
        b.header("X-T", Integer.toString(rnd.nextInt(8)));
      }
      routes.add(b.toPool(pick(rnd, POOLS)).build());
    }
    List<RequestView> requests = new ArrayList<>();
    for (int i = 0; i < 6_000; i++) {
      String path =
          rnd.nextInt(8) == 0
              ? randomKey(rnd, rnd.nextInt(6))
              : keys.get(rnd.nextInt(keys.size()))
                  + (rnd.nextBoolean() ? "" : randomKey(rnd, 1 + rnd.nextInt(3)).substring(1));
      if (rnd.nextInt(5) == 0) { // cut short: ends inside an edge, or between surrogates
        path = path.substring(0, 1 + rnd.nextInt(path.length()));
      }
      RequestViewBuilder b = RequestView.builder().path(path);
      if (rnd.nextInt(10) != 0) {
        b.header("X-T", Integer.toString(rnd.nextInt(rnd.nextBoolean() ? 8 : 32)));
      }
      requests.add(b.build());
    }
    Coverage coverage = assertAgreesWithReference(routes, requests);
    assertThat(coverage.matched()).as("requests that matched a route").isBetween(2_000, 5_990);
    assertThat(coverage.distinctWinners()).as("distinct winning rules").isGreaterThan(150);
  }

  /** A custom rule: header {@code X-T} equal to its value sends the request to its target. */
  private record HeaderRule(String name, String value, String target) implements RoutingRule {
    @Override
    public @Nullable String route(RequestView request) {
      return value.equals(request.header("X-T")) ? target : null;
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {5, 6, 2026})
  void customRulesMixedInKeepDeclarationOrderAndAnUnknownPoolTakesTheDefaultRoute(long seed) {
    Random rnd = new Random(seed);
    List<RoutingRule> rules = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rules.add(
          rnd.nextInt(8) == 0
              ? new HeaderRule(
                  "h" + i,
                  Integer.toString(1 + rnd.nextInt(12)),
                  rnd.nextInt(4) == 0 ? "nowhere" : pick(rnd, POOLS))
              : randomRoute(rnd, "r" + i));
    }
    LoadBalancerBuilder builder = threePools().defaultPool("c");
    rules.forEach(builder::rule);
    int custom = 0;
    int unknown = 0;
    try (LoadBalancer lb = builder.build()) {
      for (int i = 0; i < 3_000; i++) {
        RequestView request = randomRequest(rnd);
        RoutingRule expected = null;
        for (RoutingRule rule : rules) {
          if (rule.route(request) != null) {
            expected = rule;
            break;
          }
        }
        RouteMatch actual = routed(lb, request);
        if (expected == null
            || (expected instanceof HeaderRule h && h.target().equals("nowhere"))) {
          unknown += expected == null ? 0 : 1;
          assertThat(actual.rule().name()).as("rule for %s", request).isEqualTo("default");
        } else {
          custom += expected instanceof HeaderRule ? 1 : 0;
          assertThat(actual.rule()).as("rule for %s", request).isSameAs(expected);
          if (expected instanceof HeaderRule h) {
            assertThat(actual.pool()).isEqualTo(h.target());
          }
        }
      }
    }
    assertThat(custom).as("requests a custom rule routed").isGreaterThan(100);
    assertThat(unknown).as("requests a custom rule sent to an unknown pool").isGreaterThan(10);
  }
}
