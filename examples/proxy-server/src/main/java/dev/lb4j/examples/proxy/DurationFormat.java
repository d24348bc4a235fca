package dev.lb4j.examples.proxy;

import java.time.Duration;

/** Durations as a configuration file writes them: {@code 30s}, {@code 1500ms}. */
final class DurationFormat {

  private DurationFormat() {}

  static String of(Duration d) {
    long millis = d.toMillis();
    return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
  }
}
