package dev.lb4j.config.internal;

import java.time.Duration;
import java.util.regex.Matcher;

/**
 * Durations as configuration files write them: a whole number and a unit ({@code ns}, {@code us},
 * {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}), such as {@code 500ms} or {@code 30s}, and
 * sums of them such as {@code 1m30s}; {@code 0} alone is zero.
 */
public final class DurationText {

  /** The schema's pattern for a duration. */
  public static final String PATTERN = "^(0|([0-9]{1,12}(ns|us|ms|s|m|h|d))+)$";

  static final String EXPECTED = "a duration such as 500ms, 30s, 5m or 1m30s (units ns, us, ms, s,"
      + " m, h, d), up to 3650d";

  private static final java.util.regex.Pattern WHOLE = java.util.regex.Pattern.compile(PATTERN);
  private static final java.util.regex.Pattern PART =
      java.util.regex.Pattern.compile("([0-9]{1,12})(ns|us|ms|s|m|h|d)");

  private DurationText() {}

  /**
   * Parses a duration.
   *
   * @param text the text
   * @return the duration
   * @throws IllegalArgumentException if the text is not a duration
   */
  public static Duration parse(String text) {
    String t = text;
    if (!WHOLE.matcher(t).matches()) {
      throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")");
    }
    Duration total = Duration.ZERO;
    Matcher m = PART.matcher(t);
    try {
      total = sum(m);
    } catch (ArithmeticException e) {
      throw new IllegalArgumentException("'" + text + "' (expected: " + EXPECTED + ")", e);
    }
    return total;
  }

  private static Duration sum(Matcher m) {
    Duration total = Duration.ZERO;
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      total = total.plus(switch (m.group(2)) {
        case "ns" -> Duration.ofNanos(n);
        case "us" -> Duration.ofNanos(n * 1_000);
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      });
    }
    return total;
  }

  /**
   * Writes a duration the way {@link #parse} reads it, in the largest unit that is exact.
   *
   * @param d the duration
   * @return the text
   */
  public static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos == 0) {
      return "0";
    }
    long[] sizes = {86_400_000_000_000L, 3_600_000_000_000L, 60_000_000_000L, 1_000_000_000L,
        1_000_000L, 1_000L, 1L};
    String[] units = {"d", "h", "m", "s", "ms", "us", "ns"};
    for (int i = 0; i < sizes.length; i++) {
      if (nanos % sizes[i] == 0) {
        return (nanos / sizes[i]) + units[i];
      }
    }
    return nanos + "ns";
  }
}
