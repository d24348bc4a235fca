package dev.lb4j.core.routing;

import org.jspecify.annotations.Nullable;

/**
 * One condition on a named value of a request (a header, a query parameter, a cookie). Every kind runs
 * in time linear in the value: equality, presence, or a {@link Regex} (whole value).
 */
final class ValueMatcher {

  enum Kind {
    EQUALS,
    REGEX,
    PRESENT,
    ABSENT
  }

  final Kind kind;
  final String name;
  final String value;
  final @Nullable Regex pattern;

  private ValueMatcher(Kind kind, String name, String value, @Nullable Regex pattern) {
    this.kind = kind;
    this.name = name;
    this.value = value;
    this.pattern = pattern;
  }

  static ValueMatcher equalTo(String name, String value) {
    return new ValueMatcher(Kind.EQUALS, name, value, null);
  }

  static ValueMatcher regex(String name, Regex pattern) {
    return new ValueMatcher(Kind.REGEX, name, pattern.source(), pattern);
  }

  static ValueMatcher present(String name) {
    return new ValueMatcher(Kind.PRESENT, name, "", null);
  }

  static ValueMatcher absent(String name) {
    return new ValueMatcher(Kind.ABSENT, name, "", null);
  }

  boolean test(@Nullable String actual) {
    return switch (kind) {
      case EQUALS -> value.equals(actual);
      case REGEX -> actual != null && pattern != null && pattern.matches(actual);
      case PRESENT -> actual != null;
      case ABSENT -> actual == null;
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case EQUALS -> name + " == '" + value + "'";
      case REGEX -> name + " ~ /" + value + "/";
      case PRESENT -> name + " present";
      case ABSENT -> name + " absent";
    };
  }
}
