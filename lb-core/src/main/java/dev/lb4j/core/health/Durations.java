package dev.lb4j.core.health;

import java.time.Duration;
import java.util.Objects;

/** Range checks for durations, with messages that name the field. */
final class Durations {

  private Durations() {}

  static Duration check(String field, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, field);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          field + ": " + value + " (expected: " + min + ".." + max + ")");
    }
    return value;
  }
}
