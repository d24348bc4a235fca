package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.request;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeout;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.Explanation;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.routing.Route.PathKind;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Whatever a request carries, matching ends, in time linear in the input, with an answer: no {@code
 * Error} or exception reaches {@code select} or {@code explain}. Each case is an input of 10,000 to
 * 100,000 characters built to defeat a backtracking matcher (deep recursion, or exponential and
 * polynomial retrying). The bound is asserted on the engine's step count, which is exact, not on the
 * clock; the 2 s timeouts only stop a regression from hanging the build.
 */
class AdversarialMatchingTest {

  private static final Duration GENEROUS = Duration.ofSeconds(2);

  /** Selects and explains {@code request} with route {@code hit} to pool a and default pool c. */
  private static String poolOf(UnaryOperator<RouteBuilder> hit, RequestView request) {
    LoadBalancerBuilder b =
        threePools().defaultPool("c").route("hit", r -> hit.apply(r).toPool("a"));
    try (LoadBalancer lb = b.build()) {
      return assertTimeout(
          GENEROUS,
          () -> {
            String selected;
            try (Lease lease = lb.select(request).leaseOrThrow()) {
              RouteMatch route = Objects.requireNonNull(lease.route());
              selected = route.pool();
            }
            Explanation explanation = lb.explain(request);
            RouteMatch explained = Objects.requireNonNull(explanation.route());
            assertThat(explained.pool()).as("explain agrees with select").isEqualTo(selected);
            return selected;
          });
    }
  }

  private static RequestView withHeader(String name, String value) {
    return request("GET", "/").header(name, value).build();
  }

  /** Asserts the last regex match on this thread stayed within (input + 1) x program size steps. */
  private static void assertLinear(Regex regex, int inputLength) {
    assertThat(Regex.lastSteps())
        .as("steps for %s on %d characters", regex, inputLength)
        .isLessThanOrEqualTo((long) (inputLength + 1) * regex.programSize() * 2);
  }

  @Test
  void alternationUnderAStarMatchesAPathThatOverflowedTheStackOfTheJdkEngine() {
    // java.util.regex recurses once per repetition of (a|b): ~2,560 characters were enough to throw
    // StackOverflowError out of select.
    String matching = "/" + "ab".repeat(50_000) + "c";
    String failing = "/" + "ab".repeat(50_000) + "d";
    assertThat(poolOf(r -> r.pathRegex("/(a|b)*c"), get(matching))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathRegex("/(a|b)*c"), get(failing))).isEqualTo("c");
    Regex regex = Regex.compile("test", "/(a|b)*c");
    assertThat(regex.matches(matching)).isTrue();
    assertLinear(regex, matching.length());
  }

  @Test
  void nestedPlusOnThePathFailsInLinearTime() {
    // (a+)+ against a run of a's that cannot end the match: 2^n ways to split the run when
    // backtracking (1.2 s on 10,240 characters with the JDK engine).
    String failing = "/" + "a".repeat(100_000) + "!";
    String matching = "/" + "a".repeat(100_000);
    assertThat(poolOf(r -> r.pathRegex("/(a+)+"), get(failing))).isEqualTo("c");
    assertThat(poolOf(r -> r.pathRegex("/(a+)+"), get(matching))).isEqualTo("a");
    Regex regex = Regex.compile("test", "/(a+)+");
    assertThat(regex.matches(failing)).isFalse();
    assertLinear(regex, failing.length());
  }

  @Test
  void nestedPlusOnAHeaderValueFailsInLinearTime() {
    String failing = "a".repeat(100_000);
    UnaryOperator<RouteBuilder> route = r -> r.headerRegex("X-Probe", "(a+)+b");
    assertThat(poolOf(route, withHeader("X-Probe", failing))).isEqualTo("c");
    assertThat(poolOf(route, withHeader("X-Probe", failing + "b"))).isEqualTo("a");
    Regex regex = Regex.compile("test", "(a+)+b");
    assertThat(regex.matches(failing)).isFalse();
    assertLinear(regex, failing.length());
  }

  @Test
  void overlappingAlternativesOnAQueryParameterFailInLinearTime() {
    // (a|aa)* splits a run of n a's in Fibonacci(n) ways.
    String failing = "a".repeat(100_000) + "x";
    UnaryOperator<RouteBuilder> route = r -> r.queryParameterRegex("q", "(a|aa)*c");
    assertThat(poolOf(route, get("/s?q=" + failing))).isEqualTo("c");
    assertThat(poolOf(route, get("/s?q=aaac"))).isEqualTo("a");
    Regex regex = Regex.compile("test", "(a|aa)*c");
    assertThat(regex.matches(failing)).isFalse();
    assertLinear(regex, failing.length());
  }

  @Test
  void countedRepetitionOfADotStarIsPolynomialForBacktrackingButLinearHere() {
    // (.*a){12} retries every placement of twelve a's: O(n^12) for a backtracking engine.
    String failing = "/" + "a".repeat(20_000);
    assertThat(poolOf(r -> r.pathRegex("/(.*a){12}b"), get(failing))).isEqualTo("c");
    assertThat(poolOf(r -> r.pathRegex("/(.*a){12}b"), get(failing + "b"))).isEqualTo("a");
  }

  @Test
  void aGlobWithALongLiteralIsLinearInThePathNotInPathTimesLiteral() {
    // ~100 ms with the old O(glob x path) table; one KMP pass per literal now.
    String literal = "a".repeat(999) + "b";
    String failing = "/x/" + "a".repeat(100_000);
    String matching = "/x/" + "a".repeat(100_000) + "b";
    assertThat(poolOf(r -> r.pathGlob("/**/" + literal), get(failing))).isEqualTo("c");
    assertThat(poolOf(r -> r.pathGlob("/**/" + literal), get("/x/y/" + literal))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathGlob("/*/**" + literal), get(matching))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathGlob("/*/*" + literal), get(matching))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathGlob("/*/*" + literal), get("/x/y/" + literal))).isEqualTo("c");
  }

  @Test
  void aGlobWithEveryWildcardOnALongPathOfSlashesEndsWithTheRightAnswer() {
    String glob = "/" + "*?/".repeat(14) + "**?"; // 16 stars, 15 question marks
    String path = "/" + "a/".repeat(50_000);
    Route r = Route.builder("r").pathGlob(glob).toPool("a").build();
    assertThat(r.pathKind()).isEqualTo(PathKind.GLOB);
    assertThat(assertTimeout(GENEROUS, () -> r.matchesPath(path))).isFalse();
    assertThat(assertTimeout(GENEROUS, () -> r.matchesPath(path + "z"))).isTrue();
  }

  @Test
  void longHostsAndCookiesAreComparedInLinearTime() {
    String host = "a.".repeat(50_000) + "example.com";
    UnaryOperator<RouteBuilder> hosts = r -> r.hosts("*.example.com");
    assertThat(poolOf(hosts, request("GET", "/").host(host).build())).isEqualTo("a");
    assertThat(poolOf(hosts, request("GET", "/").host(host + ".evil").build())).isEqualTo("c");
    String cookies = "x=" + "a".repeat(100_000) + "; session=abc";
    assertThat(poolOf(r -> r.cookie("session", "abc"), withHeader("Cookie", cookies)))
        .isEqualTo("a");
  }

  @Test
  void supplementaryCharactersInALongPathAreOneCodePointEach() {
    String emoji = new String(Character.toChars(0x1F600));
    String path = "/" + emoji.repeat(30_000);
    assertThat(poolOf(r -> r.pathRegex("/(.|x)+"), get(path))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathRegex("/(..)+"), get(path))).isEqualTo("a");
    assertThat(poolOf(r -> r.pathRegex("/(..)+"), get(path + emoji))).isEqualTo("c");
  }
}
