package dev.lb4j.core.health;

import dev.lb4j.api.HealthProbe;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Active health checking for one pool: a {@link HealthProbe} run against every backend at an
 * interval, with a timeout, and thresholds that turn a backend unhealthy and healthy again.
 * Immutable; build one with {@link #builder(HealthProbe)}.
 *
 * <p>Defaults follow HAProxy's ({@code inter 2s}, {@code fall 3}, {@code rise 2}): a probe every 2
 * seconds, with 10% jitter so probes of many backends do not fire together; a 1 second timeout;
 * unhealthy after 3 consecutive failures; healthy again after 2 consecutive successes; backends start
 * healthy ({@link InitialState#ASSUME_HEALTHY}).
 *
 * <p>Probes of one backend never overlap: the next one is scheduled an interval (with jitter) after
 * the previous one finished or timed out. A probe that throws, returns {@code null}, completes
 * exceptionally or does not complete within the timeout counts as a failure with that reason; the
 * engine cancels a stage it gave up on.
 *
 * @since 0.1.0
 */
public final class HealthCheck {

  /** The default probe interval: 2 seconds, HAProxy's {@code inter}. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

  /** The default probe timeout: 1 second. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

  /** The default jitter: each interval is stretched or shrunk by up to 10%. */
  public static final double DEFAULT_JITTER = 0.1;

  /** The default number of consecutive failures that make a backend unhealthy (HAProxy's fall). */
  public static final int DEFAULT_UNHEALTHY_THRESHOLD = 3;

  /** The default number of consecutive successes that make it healthy again (HAProxy's rise). */
  public static final int DEFAULT_HEALTHY_THRESHOLD = 2;

  /** What a backend's state is before its first probe has finished. */
  public enum InitialState {
    /** Serve traffic at once; the first failed probes count towards the unhealthy threshold. */
    ASSUME_HEALTHY,
    /**
     * Take no traffic until a probe passes; the first success makes the backend healthy (no need to
     * reach the healthy threshold), as in Envoy, so a fresh pool starts serving after one probe.
     */
    WAIT_FOR_FIRST_PROBE
  }

  private final HealthProbe probe;
  private final Duration interval;
  private final Duration timeout;
  private final double jitter;
  private final int unhealthyThreshold;
  private final int healthyThreshold;
  private final InitialState initialState;

  private HealthCheck(Builder b) {
    this.probe = b.probe;
    this.interval = b.interval;
    this.timeout = b.timeout;
    this.jitter = b.jitter;
    this.unhealthyThreshold = b.unhealthyThreshold;
    this.healthyThreshold = b.healthyThreshold;
    this.initialState = b.initialState;
  }

  /**
   * Starts building a health check that runs {@code probe}.
   *
   * @param probe the probe, for example {@link TcpProbe#create()}
   * @return a builder with the defaults
   */
  public static Builder builder(HealthProbe probe) {
    return new Builder(Objects.requireNonNull(probe, "probe"));
  }

  /**
   * A health check with every default.
   *
   * @param probe the probe
   * @return the health check
   */
  public static HealthCheck of(HealthProbe probe) {
    return builder(probe).build();
  }

  /**
   * The probe.
   *
   * @return the probe
   */
  public HealthProbe probe() {
    return probe;
  }

  /**
   * The time between the end of one probe of a backend and the start of the next, before jitter.
   *
   * @return the interval
   */
  public Duration interval() {
    return interval;
  }

  /**
   * How long a probe may take before it counts as failed.
   *
   * @return the timeout
   */
  public Duration timeout() {
    return timeout;
  }

  /**
   * The share by which each interval is randomly stretched or shrunk, {@code 0..0.5}.
   *
   * @return the jitter
   */
  public double jitter() {
    return jitter;
  }

  /**
   * Consecutive failed probes that turn a healthy backend unhealthy.
   *
   * @return the threshold, {@code >= 1}
   */
  public int unhealthyThreshold() {
    return unhealthyThreshold;
  }

  /**
   * Consecutive passed probes that turn an unhealthy backend healthy.
   *
   * @return the threshold, {@code >= 1}
   */
  public int healthyThreshold() {
    return healthyThreshold;
  }

  /**
   * The state of a backend before its first probe.
   *
   * @return the initial state
   */
  public InitialState initialState() {
    return initialState;
  }

  /**
   * Equal to a check with the same settings and an equal probe (built-in probes are singletons; a
   * probe of your own is equal as its {@code equals} says): a reconfiguration then keeps the pool's
   * probe loops as they are.
   */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HealthCheck c
        && c.probe.equals(probe)
        && c.interval.equals(interval)
        && c.timeout.equals(timeout)
        && Double.compare(c.jitter, jitter) == 0
        && c.unhealthyThreshold == unhealthyThreshold
        && c.healthyThreshold == healthyThreshold
        && c.initialState == initialState;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        probe, interval, timeout, jitter, unhealthyThreshold, healthyThreshold, initialState);
  }

  @Override
  public String toString() {
    return "HealthCheck{probe=" + probe + ", interval=" + interval + ", timeout=" + timeout
        + ", jitter=" + jitter + ", unhealthyThreshold=" + unhealthyThreshold
        + ", healthyThreshold=" + healthyThreshold + ", initialState=" + initialState + "}";
  }

  /**
   * Builds a {@link HealthCheck}. Setters check their argument; {@link #build()} checks the rules
   * between fields. Every message names the field ({@code healthCheck.timeout}), the value and what
   * is allowed. Not thread-safe.
   */
  public static final class Builder {
    private final HealthProbe probe;
    private Duration interval = DEFAULT_INTERVAL;
    private Duration timeout = DEFAULT_TIMEOUT;
    private double jitter = DEFAULT_JITTER;
    private int unhealthyThreshold = DEFAULT_UNHEALTHY_THRESHOLD;
    private int healthyThreshold = DEFAULT_HEALTHY_THRESHOLD;
    private InitialState initialState = InitialState.ASSUME_HEALTHY;

    private Builder(HealthProbe probe) {
      this.probe = probe;
    }

    /**
     * Sets the probe interval.
     *
     * @param interval 1 ms to 1 hour
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = Durations.check("healthCheck.interval", interval, Duration.ofMillis(1),
          Duration.ofHours(1));
      return this;
    }

    /**
     * Sets the probe timeout.
     *
     * @param timeout 1 ms to the interval
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Durations.check("healthCheck.timeout", timeout, Duration.ofMillis(1),
          Duration.ofHours(1));
      return this;
    }

    /**
     * Sets the jitter.
     *
     * @param jitter {@code 0} (none) to {@code 0.5} (each interval is 50% to 150% of the setting)
     * @return this builder
     */
    public Builder jitter(double jitter) {
      if (!(jitter >= 0 && jitter <= 0.5)) { // also rejects NaN
        throw new IllegalArgumentException(
            "healthCheck.jitter: " + jitter + " (expected: 0.0..0.5)");
      }
      this.jitter = jitter;
      return this;
    }

    /**
     * Sets how many consecutive failed probes make a healthy backend unhealthy.
     *
     * @param failures 1 to 1000
     * @return this builder
     */
    public Builder unhealthyThreshold(int failures) {
      this.unhealthyThreshold = checkThreshold("healthCheck.unhealthyThreshold", failures);
      return this;
    }

    /**
     * Sets how many consecutive passed probes make an unhealthy backend healthy.
     *
     * @param successes 1 to 1000
     * @return this builder
     */
    public Builder healthyThreshold(int successes) {
      this.healthyThreshold = checkThreshold("healthCheck.healthyThreshold", successes);
      return this;
    }

    /**
     * Sets the state of a backend before its first probe.
     *
     * @param initialState the initial state
     * @return this builder
     */
    public Builder initialState(InitialState initialState) {
      this.initialState = Objects.requireNonNull(initialState, "initialState");
      return this;
    }

    /**
     * Checks the rules between fields and builds the health check.
     *
     * @return the health check
     * @throws IllegalArgumentException if the timeout is longer than the interval
     */
    public HealthCheck build() {
      if (timeout.compareTo(interval) > 0) {
        throw new IllegalArgumentException(
            "healthCheck.timeout: " + timeout + " (expected: at most healthCheck.interval, "
                + interval + "; a probe that may outlast the interval cannot keep it)");
      }
      return new HealthCheck(this);
    }

    private static int checkThreshold(String field, int value) {
      if (value < 1 || value > 1000) {
        throw new IllegalArgumentException(field + ": " + value + " (expected: 1..1000)");
      }
      return value;
    }
  }
}
