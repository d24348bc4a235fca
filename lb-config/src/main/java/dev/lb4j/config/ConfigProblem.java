package dev.lb4j.config;

/**
 * One problem in a configuration: where it is, what was found there and what is allowed. Its
 * {@link #toString()} reads like {@code pools.api.backends[2].weight: -3 (expected: 1..10000)}.
 *
 * @param path where the problem is, in the file's keys ({@code pools.api.backends[2].weight}), or
 *     {@code (document)} for the document as a whole
 * @param found what was found there: the value as written, {@code missing} or {@code unknown key}
 * @param expected what is allowed, starting with {@code expected}
 * @since 0.1.0
 */
public record ConfigProblem(String path, String found, String expected) {

  @Override
  public String toString() {
    return path + ": " + found + (expected.isEmpty() ? "" : " (" + expected + ")");
  }
}
