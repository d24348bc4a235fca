package dev.lb4j.core.health;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Slow start for one pool: a backend that joins the pool, or comes back after being unhealthy,
 * ejected, drained or disabled, takes a reduced share of traffic that ramps up over a window.
 * Immutable.
 *
 * <p>The ramp follows Envoy's slow-start formula: during the window a backend's share is scaled by
 * {@code max(minWeightPercent / 100, (elapsed / window)^(1 / aggression))}; aggression 1 is linear,
 * larger values ramp faster at first. Defaults: aggression 1, minimum 10% (Envoy's defaults).
 *
 * <p><b>How it applies to every algorithm.</b> lb4j does not rebuild pickers as the ramp advances.
 * When the algorithm picks a warming backend, the pick is kept with probability equal to the ramp
 * factor. Otherwise, for the built-in algorithms that pick in proportion to weight (round robin,
 * weighted round robin, random, weighted random) the algorithm simply picks again, which gives
 * exactly Envoy's scaled weight. For every other algorithm (least request, P2C, peak EWMA, your own)
 * the rejected backend is excluded for the rest of that request and the algorithm picks among the
 * others: the warming backend then gets at most the ramp factor times the share the algorithm would
 * give it (least request and peak EWMA favour an idle newcomer, so that share starts high), and its
 * share still grows smoothly over the window.
 *
 * <p><b>Consistent hashing</b> (ring hash, Maglev, rendezvous, bounded load): the decision is made
 * per key instead of per request. Each key has a fixed position in {@code [0, 1)} derived from its
 * hash and the backend's id; keys whose position is below the ramp factor go to the warming backend,
 * the others to the backend the algorithm chooses when it is excluded (the one they would use if it
 * were absent). Keys therefore move to the new backend gradually, each key once, and stay there: no
 * key flaps between backends during the ramp.
 *
 * <p>Slow start does nothing while every serving backend is warming (when a whole pool starts
 * together there is nobody to shift load to), and backends present when the load balancer is built
 * start at full share. Applying an unchanged backend list through {@code Admin.setBackends} does not
 * restart a ramp.
 *
 * @since 0.1.0
 */
public final class SlowStart {

  private final Duration window;
  private final double aggression;
  private final int minWeightPercent;

  private SlowStart(Duration window, double aggression, int minWeightPercent) {
    this.window = window;
    this.aggression = aggression;
    this.minWeightPercent = minWeightPercent;
  }

  /**
   * A linear ramp over {@code window}, starting at 10%.
   *
   * @param window 1 second to 1 hour
   * @return the configuration
   */
  public static SlowStart linear(Duration window) {
    return of(window, 1.0, 10);
  }

  /**
   * A ramp with every parameter.
   *
   * @param window 1 second to 1 hour
   * @param aggression 0.1 to 10: the factor is {@code (elapsed / window)^(1 / aggression)}
   * @param minWeightPercent 1 to 100: the share a backend starts with
   * @return the configuration
   */
  public static SlowStart of(Duration window, double aggression, int minWeightPercent) {
    Durations.check("slowStart.window", window, Duration.ofSeconds(1), Duration.ofHours(1));
    if (!(aggression >= 0.1 && aggression <= 10)) { // also rejects NaN
      throw new IllegalArgumentException(
          "slowStart.aggression: " + aggression + " (expected: 0.1..10)");
    }
    if (minWeightPercent < 1 || minWeightPercent > 100) {
      throw new IllegalArgumentException(
          "slowStart.minWeightPercent: " + minWeightPercent + " (expected: 1..100)");
    }
    return new SlowStart(window, aggression, minWeightPercent);
  }

  /**
   * The ramp window.
   *
   * @return the window
   */
  public Duration window() {
    return window;
  }

  /**
   * The aggression exponent.
   *
   * @return the aggression
   */
  public double aggression() {
    return aggression;
  }

  /**
   * The share a warming backend starts with, in percent.
   *
   * @return {@code 1..100}
   */
  public int minWeightPercent() {
    return minWeightPercent;
  }

  /**
   * The ramp factor {@code elapsedNanos} into the window.
   *
   * @param elapsedNanos time since the backend started warming
   * @return the factor in {@code [minWeightPercent / 100, 1]}
   */
  public double factor(long elapsedNanos) {
    long windowNanos = window.toNanos();
    if (elapsedNanos >= windowNanos) {
      return 1.0;
    }
    double time = Math.max(0, elapsedNanos) / (double) windowNanos;
    double ramp = aggression == 1.0 ? time : Math.pow(time, 1.0 / aggression);
    return Math.max(minWeightPercent / 100.0, ramp);
  }

  /** Equal to a ramp with the same window, aggression and minimum weight. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SlowStart s
        && s.window.equals(window)
        && Double.compare(s.aggression, aggression) == 0
        && s.minWeightPercent == minWeightPercent;
  }

  @Override
  public int hashCode() {
    return Objects.hash(window, aggression, minWeightPercent);
  }

  @Override
  public String toString() {
    return "SlowStart{window=" + window + ", aggression=" + aggression + ", minWeightPercent="
        + minWeightPercent + "}";
  }
}
