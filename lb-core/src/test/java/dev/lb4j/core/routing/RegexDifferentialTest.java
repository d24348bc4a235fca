package dev.lb4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The linear-time engines agree with {@link java.util.regex.Pattern} on everything they accept:
 * random patterns of the supported subset against random short strings (short enough that the JDK's
 * backtracking stays quick), with fixed seeds, and globs against their translation to a JDK regex.
 */
class RegexDifferentialTest {

  /** Characters that exercise classes, anchors, line terminators, surrogate pairs and lone halves. */
  private static final String[] INPUT_UNITS = {
    "a", "b", "c", "/", "-", "1", " ", "\n", "\r", ".", "_", "\u0085", "\u2028", "\u00e9",
    new String(Character.toChars(0x1F600)), "\uD83D", "\uDE00"
  };

  private static final String[] LITERALS = {
    "a", "b", "c", "/", "-", "1", "\\.", "\\-", "\\n", "\\r", "\\/", "\\x61", "\\u00e9", "\\x{1F600}",
    new String(Character.toChars(0x1F600)), "]", "}", " "
  };

  private static final String[] CLASSES = {
    ".", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", "[ab]", "[^a]", "[a-c]", "[^/]", "[-a]", "[a-]",
    "[\\d/]", "[^\\w]", "[\\s-]", "[.]", "[a-c1]", "[^\\n]", "[\\x{1F600}a]", "[$^]", "[a^]"
  };

  private static final String[] QUANTIFIERS = {
    "*", "+", "?", "{0}", "{1}", "{2}", "{1,}", "{0,2}", "{1,3}", "{2,}", "*?", "+?", "??", "{1,2}?"
  };

  private static String pattern(Random random, int depth) {
    int choice = random.nextInt(depth > 3 ? 4 : 9);
    return switch (choice) {
      case 0, 1 -> LITERALS[random.nextInt(LITERALS.length)];
      case 2 -> CLASSES[random.nextInt(CLASSES.length)];
      case 3 -> random.nextInt(4) == 0 ? (random.nextBoolean() ? "^" : "$") : "a";
      case 4 -> (random.nextBoolean() ? "(" : "(?:") + pattern(random, depth + 1) + ")";
      case 5 -> pattern(random, depth + 1) + "|" + pattern(random, depth + 1);
      case 6 -> pattern(random, depth + 1) + pattern(random, depth + 1);
      case 7, 8 -> {
        String atom = pattern(random, depth + 1);
        boolean single =
            atom.codePointCount(0, atom.length()) == 1
                || List.of(LITERALS).contains(atom)
                || List.of(CLASSES).contains(atom);
        if (!single) {
          atom = "(?:" + atom + ")";
        }
        yield atom + QUANTIFIERS[random.nextInt(QUANTIFIERS.length)];
      }
      default -> throw new AssertionError(choice);
    };
  }

  private static String input(Random random) {
    StringBuilder sb = new StringBuilder();
    int length = random.nextInt(9);
    for (int i = 0; i < length; i++) {
      sb.append(INPUT_UNITS[random.nextInt(INPUT_UNITS.length)]);
    }
    return sb.toString();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8})
  void randomPatternsOfTheSubsetMatchExactlyAsJavaUtilRegexDoes(long seed) {
    Random random = new Random(seed);
    int compared = 0;
    int matched = 0;
    int refusedByJdk = 0;
    int refusedByUs = 0;
    for (int p = 0; p < 600; p++) {
      String regex = pattern(random, 0);
      Pattern jdk;
      try {
        jdk = Pattern.compile(regex);
      } catch (PatternSyntaxException e) {
        refusedByJdk++;
        continue;
      }
      Regex ours;
      try {
        ours = Regex.compile("test", regex);
      } catch (IllegalArgumentException e) {
        // the one refusal the generator can hit: an anchor in a group repeated at least twice
        assertThat(e).hasMessageContaining("repeats '^' or '$' at least twice");
        refusedByUs++;
        continue;
      }
      List<String> inputs = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        inputs.add(input(random));
      }
      for (String s : inputs) {
        boolean expected = jdk.matcher(s).matches();
        assertThat(ours.matches(s))
            .as("regex '%s' on '%s'", escape(regex), escape(s))
            .isEqualTo(expected);
        compared++;
        matched += expected ? 1 : 0;
      }
    }
    assertThat(refusedByJdk).as("patterns the JDK refused").isLessThan(60);
    assertThat(refusedByUs).as("patterns we refused").isLessThan(60);
    assertThat(matched).as("matching cases among %d", compared).isGreaterThan(compared / 50);
  }

  @ParameterizedTest(name = "''{0}'' on ''{1}''")
  @CsvSource(
      delimiterString = " ~ ",
      quoteCharacter = '"',
      value = {
        "a$ ~ a",
        "a$ ~ a\\n",
        "a$ ~ a\\r\\n",
        "a$ ~ a\\r",
        "a$\\n ~ a\\n",
        "a$\\r\\n ~ a\\r\\n",
        "a$\\n ~ a\\r\\n",
        "a\\r$\\n ~ a\\r\\n",
        "$\\n ~ \\n",
        "a$ ~ a\\u2028",
        "^$ ~ ''",
        "^^a$$ ~ a",
        "a^b ~ ab",
        "(|a)* ~ aaa",
        "()* ~ ''",
        "(a*)*b ~ aaab",
        "(a*)+ ~ ''",
        "(a?){3} ~ a",
        "(?:a|ab)(?:c|bcd) ~ abcd",
        "(^a)*a ~ aa",
        "(a$)* ~ a",
        "[^a] ~ \\n",
        ". ~ \\r",
        ". ~ \\u0085",
        "\\s ~ \\u000B",
        "\\w+ ~ \\u00e9",
        "x{0} ~ ''",
        "(){5} ~ ''",
        "a{2,3}? ~ aaa",
        "(?<year>\\d{4})-\\d{2} ~ 2024-05",
      })
  void edgeCasesMatchExactlyAsJavaUtilRegexDoes(String regex, String rawInput) {
    String input = unescape(rawInput.equals("''") ? "" : rawInput);
    String re = regex;
    assertThat(Regex.compile("test", re).matches(input))
        .as("regex '%s' on '%s'", re, escape(input))
        .isEqualTo(Pattern.compile(re).matcher(input).matches());
  }

  // ---------------------------------------------------------------- globs

  private static final String[] GLOB_TOKENS = {"a", "b", "/", "-", "*", "**", "?", "ab", "/a"};
  private static final String[] PATH_UNITS = {"a", "b", "/", "-", "ab", "//"};

  /** The glob as a JDK regex: {@code *} is {@code [^/]*}, {@code **} any run, {@code ?} {@code [^/]}. */
  private static Pattern reference(String glob) {
    StringBuilder re = new StringBuilder();
    for (int g = 0; g < glob.length(); g++) {
      char c = glob.charAt(g);
      if (c == '*' && g + 1 < glob.length() && glob.charAt(g + 1) == '*') {
        re.append("[\\s\\S]*");
        g++;
      } else if (c == '*') {
        re.append("[^/]*");
      } else if (c == '?') {
        re.append("[^/]");
      } else {
        re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13})
  void randomGlobsMatchExactlyAsTheirRegexTranslation(long seed) {
    Random random = new Random(seed);
    int compared = 0;
    int matched = 0;
    for (int p = 0; p < 500; p++) {
      StringBuilder sb = new StringBuilder("/");
      int tokens = random.nextInt(7);
      for (int t = 0; t < tokens; t++) {
        sb.append(GLOB_TOKENS[random.nextInt(GLOB_TOKENS.length)]);
      }
      String glob = sb.toString();
      if (glob.contains("***")) {
        continue;
      }
      Glob ours = Glob.compile(Glob.check("test", glob));
      Pattern jdk = reference(glob);
      for (int i = 0; i < 40; i++) {
        StringBuilder path = new StringBuilder("/");
        int units = random.nextInt(7);
        for (int u = 0; u < units; u++) {
          path.append(PATH_UNITS[random.nextInt(PATH_UNITS.length)]);
        }
        boolean expected = jdk.matcher(path).matches();
        assertThat(ours.matches(path.toString())).as("glob '%s' on '%s'", glob, path).isEqualTo(expected);
        compared++;
        matched += expected ? 1 : 0;
      }
    }
    assertThat(matched).as("matching cases among %d", compared).isGreaterThan(compared / 50);
  }

  // ---------------------------------------------------------------- helpers

  private static String unescape(String s) {
    return s.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\u2028", "\u2028")
        .replace("\\u0085", "\u0085")
        .replace("\\u000B", "\u000B")
        .replace("\\u00e9", "\u00e9");
  }

  private static String escape(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .forEach(
            cp -> {
              if (cp < 0x20 || cp > 0x7e) {
                sb.append(String.format("\\x{%X}", cp));
              } else {
                sb.append(Character.toChars(cp));
              }
            });
    return sb.toString();
  }
}
