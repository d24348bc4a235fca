package dev.lb4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What needs backtracking, or is outside the supported subset, or is too large, is refused when the
 * route is built, with the field, the pattern, the construct and what is allowed; a request never
 * meets such a pattern.
 */
class RegexRefusalTest {

  private static final String EXPECTED =
      " (expected: RE2 syntax without backreferences or lookaround: literals, '.', classes such as"
          + " [a-z] and [^/], \\d \\w \\s, ^ $, groups, | and the quantifiers * + ? {m,n}; no"
          + " possessive quantifiers, atomic groups, inline flags, \\b, \\p{..} or \\Q..\\E)";

  private static RouteBuilder builder() {
    return Route.builder("api");
  }

  @Test
  void aBackreferenceIsRefusedWithTheFieldThePatternAndWhatIsAllowed() {
    assertThatThrownBy(() -> builder().pathRegex("/(a)\\1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathRegex: regex '/(a)\\1' uses a backreference '\\1' at index 4"
                + " (expected: RE2 syntax without backreferences or lookaround: literals, '.',"
                + " classes such as [a-z] and [^/], \\d \\w \\s, ^ $, groups, | and the quantifiers"
                + " * + ? {m,n}; no possessive quantifiers, atomic groups, inline flags, \\b,"
                + " \\p{..} or \\Q..\\E)");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiterString = " => ",
      value = {
        "(?<n>a)\\k<n> => uses a backreference '\\k' at index 7",
        "a(?=b)b => uses lookaround '(?=' at index 1",
        "(?!a)b => uses lookaround '(?!' at index 0",
        "(?<=a)b => uses lookaround '(?<=' at index 0",
        "(?<!a)b => uses lookaround '(?<!' at index 0",
        "a*+b => uses a possessive quantifier '*+' at index 1",
        "a{2}+ => uses a possessive quantifier '{2}+' at index 1",
        "(?>a|ab)c => uses an atomic group '(?>' at index 0",
        "(?i)abc => uses inline flags '(?i)' at index 0",
        "x(?i:abc) => uses inline flags '(?i:' at index 1",
        "\\bword => uses '\\b' at index 0, which is not supported",
        "\\p{L}+ => uses '\\p' at index 0, which is not supported",
        "\\Qa.b\\E => uses '\\Q' at index 0, which is not supported",
        "\\0101 => uses '\\0' at index 0, which is not supported",
        "[a-z&&[^x]] => uses a class intersection '&&' at index 4",
        "[a[bc]] => uses a nested class '[' at index 2",
        "[]a] => uses ']' first in a class at index 1; write \\] for a literal ']'",
        "[a-c-e] => uses '-' at index 4, which is not supported",
        "[\\d-z] => uses '-' at index 3, which is not supported",
        "(?:^|ab){2} => repeats '^' or '$' at least twice with the quantifier at index 8",
        "a*{2} => uses a quantifier on a quantifier at index 2; put the first in a group, as in"
            + " (?:a{2}){3}",
      })
  void constructsThatNeedBacktrackingOrFallOutsideTheSubsetAreRefusedByName(
      String regex, String problem) {
    assertThat(Pattern.compile(regex)).as("valid java.util.regex syntax").isNotNull();
    assertThatThrownBy(() -> builder().headerRegex("X-V", regex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.headerRegex: regex '" + regex + "' " + problem + EXPECTED);
  }

  @Test
  void aPatternOverTheProgramSizeCapIsRefused() {
    String message =
        "' compiles to more than 1000 instructions (expected: at most 1000; large counted"
            + " repetitions such as {1000} cost one instruction per copy)";
    assertThatThrownBy(() -> builder().queryParameterRegex("q", "a{1000}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.queryParameterRegex: regex 'a{1000}" + message);
    assertThatThrownBy(() -> builder().pathRegex("/(a{100}){100}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("routes.api.pathRegex: regex '/(a{100}){100}" + message);
    // counts large enough to overflow an int product are refused, not wrapped around
    assertThatThrownBy(() -> builder().pathRegex("/((a{100000}){100000}){100000}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("compiles to more than 1000 instructions");
    // just under the cap is accepted: 998 characters, the leading '/' and MATCH
    assertThat(Regex.compile("f", "/a{998}").programSize()).isEqualTo(1000);
  }

  @Test
  void anEmptyGroupRepeatedAnAstronomicalNumberOfTimesCompilesToNothing() {
    Regex regex = Regex.compile("f", "/(){2147483647}x");
    assertThat(regex.programSize()).isEqualTo(3);
    assertThat(regex.matches("/x")).isTrue();
  }

  @Test
  void groupsNestedTooDeeplyAreRefused() {
    String deep = "/" + "(".repeat(101) + "a" + ")".repeat(101);
    assertThatThrownBy(() -> builder().pathRegex(deep))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathRegex: regex '" + deep + "' nests groups more than 100 deep at index"
                + " 101" + EXPECTED);
    assertThat(Regex.compile("f", "/" + "(".repeat(100) + "a" + ")".repeat(100)).matches("/a"))
        .isTrue();
  }

  @Test
  void lazyQuantifiersAreAcceptedBecauseAWholeValueMatchDoesNotDependOnThem() {
    Route r = builder().pathRegex("/a+?b*?c??").toPool("a").build();
    assertThat(r.matchesPath("/aabbc")).isTrue();
    assertThat(r.matchesPath("/aab")).isTrue();
    assertThat(r.matchesPath("/bc")).isFalse();
  }

  @Test
  void invalidSyntaxKeepsTheJdkDescriptionBeforeAnySubsetCheck() {
    assertThatThrownBy(() -> builder().pathRegex("/(a)\\1("))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("routes.api.pathRegex: '/(a)\\1(' is not a valid regular expression (");
  }

  @Test
  void aGlobWithTooManyQuestionMarksIsRefused() {
    String glob = "/" + "?".repeat(65);
    assertThatThrownBy(() -> builder().pathGlob(glob))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.api.pathGlob: '" + glob + "' has 65 '?' (expected: at most 64, which keeps"
                + " matching fast)");
    assertThat(builder().pathGlob("/" + "?".repeat(64)).toPool("a").build().matchesPath("/" + "x".repeat(64)))
        .isTrue();
  }
}
