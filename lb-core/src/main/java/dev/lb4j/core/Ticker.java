package dev.lb4j.core;

/**
 * A source of nanosecond time readings for the engine: lease latencies, EWMA decay, and every later
 * time-based feature. Inject a fake one in tests so they control time and never sleep.
 *
 * <p>Readings only need to be monotonic; they are compared with each other, never with wall-clock
 * time. Implementations must be thread-safe.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Ticker {

  /**
   * The current reading, in nanoseconds.
   *
   * @return the reading
   */
  long nanoTime();

  /**
   * The ticker backed by {@link System#nanoTime()}, the default.
   *
   * @return the system ticker
   */
  static Ticker system() {
    return System::nanoTime;
  }
}
