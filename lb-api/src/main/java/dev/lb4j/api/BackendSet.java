package dev.lb4j.api;

import java.util.List;

/**
 * The backends currently available in one pool, as handed to {@link Algorithm#newPicker}.
 *
 * <p>The list is immutable and never empty; its order is the pool's configuration order and is the
 * same every time the same backends are available. The set also exposes pool-wide live values that
 * some algorithms need at pick time.
 *
 * <p>Thread-safety: immutable apart from the live values, which may be read from any thread.
 *
 * @since 0.1.0
 */
public interface BackendSet {

  /**
   * The available backends, in configuration order.
   *
   * @return an immutable, non-empty list
   */
  List<Backend> backends();

  /**
   * The number of requests in flight across every backend of the pool, including backends that are
   * not in this set (draining ones, say). Bounded-load algorithms compare a backend's load with this.
   *
   * @return the pool's in-flight count, never negative
   */
  long poolInFlight();

  /**
   * The current reading of the load balancer's ticker, in nanoseconds. Algorithms that decay state
   * with time must use this rather than {@link System#nanoTime()}, so tests can control time.
   *
   * @return the ticker reading
   */
  long nanoTime();

  /**
   * The time constant, in nanoseconds, with which the engine decays {@link
   * Backend#latencyEwmaNanos()}: an observation {@code t} nanoseconds old weighs {@code exp(-t /
   * latencyDecayNanos())}. Latency-aware algorithms use it to age estimates at pick time.
   *
   * @return the decay time constant, {@code > 0}
   */
  long latencyDecayNanos();
}
