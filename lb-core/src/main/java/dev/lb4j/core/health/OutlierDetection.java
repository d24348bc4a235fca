package dev.lb4j.core.health;

import dev.lb4j.api.ErrorKind;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import java.util.Set;

/**
 * Passive health checking for one pool: backends whose real traffic fails are ejected for a while.
 * Immutable; build one with {@link #builder()}.
 *
 * <p><b>Consecutive failures.</b> A backend whose leases record {@link #consecutiveFailures()}
 * failures in a row is ejected at once (on the thread that recorded the last failure). Which outcomes
 * are failures is configurable: by default any 5xx status and every connection-level {@link
 * ErrorKind} (connect, timeout, reset, protocol, other); {@link Builder#gatewayFailuresOnly()} counts
 * only 502, 503, 504 and connection-level errors, like Envoy's {@code consecutive_gateway_failure}.
 * Any other outcome (a 2xx, a 4xx, a status that is not counted) breaks the streak, as in Envoy;
 * cancelled requests count neither way.
 *
 * <p><b>Ejection time.</b> The n-th ejection in a row lasts {@code baseEjectionTime * n}, at most
 * {@code maxEjectionTime}. The multiplier decays by one for every base ejection time since the
 * backend's last ejection ended (whatever its state in between: drained or disabled time counts too),
 * so a backend that misbehaves once in a long while is ejected for the base time each time; and it
 * stops growing once the maximum is reached, so a long history does not delay recovery.
 *
 * <p><b>Cap.</b> At most {@link #maxEjectionPercent()} of the pool's backends (all members, disabled
 * and draining ones included, as in Envoy) are ejected at once;
 * one backend may always be ejected, even if that exceeds the percentage (Envoy does the same). A
 * failure streak that would exceed the cap is counted in the pool's stats and starts counting
 * afresh.
 *
 * <p><b>Failure percentage</b> (off by default, as in Envoy): every {@link #interval()}, each backend
 * that served at least {@code minimumRequests} requests in that interval is ejected if at least
 * {@code threshold}% of them failed, provided at least {@code minimumBackends} backends had enough
 * requests to judge.
 *
 * <p>Defaults are Envoy's: 5 consecutive failures, 10 second interval, 30 second base ejection time,
 * 300 second maximum, 10% cap; failure-percentage threshold 85%, 50 requests, 5 backends.
 *
 * @since 0.1.0
 */
public final class OutlierDetection {

  /** Envoy's default for {@code consecutive_5xx}. */
  public static final int DEFAULT_CONSECUTIVE_FAILURES = 5;

  /** Envoy's default sweep interval. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  /** Envoy's default base ejection time. */
  public static final Duration DEFAULT_BASE_EJECTION_TIME = Duration.ofSeconds(30);

  /** Envoy's default maximum ejection time (300 s). */
  public static final Duration DEFAULT_MAX_EJECTION_TIME = Duration.ofMinutes(5);

  /** Envoy's default cap on the share of ejected backends. */
  public static final int DEFAULT_MAX_EJECTION_PERCENT = 10;

  private final int consecutiveFailures;
  private final boolean[] failureStatus; // index: HTTP status 100..599
  private final Set<ErrorKind> failureErrors;
  private final Duration interval;
  private final Duration baseEjectionTime;
  private final Duration maxEjectionTime;
  private final int maxEjectionPercent;
  private final int failurePercentageThreshold; // 0 = off
  private final int failurePercentageMinimumRequests;
  private final int failurePercentageMinimumBackends;

  private OutlierDetection(Builder b) {
    this.consecutiveFailures = b.consecutiveFailures;
    this.failureStatus = b.failureStatus.clone();
    this.failureErrors = Set.copyOf(b.failureErrors);
    this.interval = b.interval;
    this.baseEjectionTime = b.baseEjectionTime;
    this.maxEjectionTime = b.maxEjectionTime;
    this.maxEjectionPercent = b.maxEjectionPercent;
    this.failurePercentageThreshold = b.failurePercentageThreshold;
    this.failurePercentageMinimumRequests = b.failurePercentageMinimumRequests;
    this.failurePercentageMinimumBackends = b.failurePercentageMinimumBackends;
  }

  /**
   * Starts building outlier detection with Envoy's defaults.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Outlier detection with every default.
   *
   * @return the configuration
   */
  public static OutlierDetection defaults() {
    return builder().build();
  }

  /**
   * Whether an outcome counts as a failure of the backend. Called for every released lease, so it
   * is a table lookup.
   *
   * @param status the HTTP status, or 0 when no response arrived
   * @param error the error kind, {@link ErrorKind#NONE} with a status
   * @return {@code true} if the outcome counts as a failure
   */
  public boolean isFailure(int status, ErrorKind error) {
    if (error != ErrorKind.NONE) {
      return failureErrors.contains(error);
    }
    return status >= 0 && status < failureStatus.length && failureStatus[status];
  }

  /**
   * Failures in a row that eject a backend.
   *
   * @return the threshold, {@code >= 1}
   */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * The connection-level error kinds that count as failures.
   *
   * @return an immutable set
   */
  public Set<ErrorKind> failureErrors() {
    return failureErrors;
  }

  /**
   * The interval of failure-percentage sweeps.
   *
   * @return the interval
   */
  public Duration interval() {
    return interval;
  }

  /**
   * The ejection time of a first ejection.
   *
   * @return the base ejection time
   */
  public Duration baseEjectionTime() {
    return baseEjectionTime;
  }

  /**
   * The longest any ejection lasts.
   *
   * @return the maximum ejection time
   */
  public Duration maxEjectionTime() {
    return maxEjectionTime;
  }

  /**
   * The largest share of the pool ejected at once, in percent; one backend may always be ejected.
   *
   * @return {@code 0..100}
   */
  public int maxEjectionPercent() {
    return maxEjectionPercent;
  }

  /**
   * The failure percentage at or above which a backend is ejected by a sweep, or 0 when
   * failure-percentage ejection is off.
   *
   * @return {@code 0..100}
   */
  public int failurePercentageThreshold() {
    return failurePercentageThreshold;
  }

  /**
   * Requests a backend must have served in a sweep interval to be judged by failure percentage.
   *
   * @return the minimum
   */
  public int failurePercentageMinimumRequests() {
    return failurePercentageMinimumRequests;
  }

  /**
   * Backends that must have enough requests for a failure-percentage sweep to eject anyone.
   *
   * @return the minimum
   */
  public int failurePercentageMinimumBackends() {
    return failurePercentageMinimumBackends;
  }

  /**
   * The ejection time of the {@code n}-th ejection in a row.
   *
   * @param n the multiplier, {@code >= 1}
   * @return {@code min(base * n, max(base, maxEjectionTime))} in nanoseconds
   */
  public long ejectionNanos(int n) {
    long base = baseEjectionTime.toNanos();
    long cap = Math.max(base, maxEjectionTime.toNanos());
    return n > cap / base ? cap : Math.min(cap, base * n); // n <= cap / base: base * n cannot overflow
  }

  /** Equal to outlier detection with the same settings: a reconfiguration keeps the pool. */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof OutlierDetection d
        && d.consecutiveFailures == consecutiveFailures
        && Arrays.equals(d.failureStatus, failureStatus)
        && d.failureErrors.equals(failureErrors)
        && d.interval.equals(interval)
        && d.baseEjectionTime.equals(baseEjectionTime)
        && d.maxEjectionTime.equals(maxEjectionTime)
        && d.maxEjectionPercent == maxEjectionPercent
        && d.failurePercentageThreshold == failurePercentageThreshold
        && d.failurePercentageMinimumRequests == failurePercentageMinimumRequests
        && d.failurePercentageMinimumBackends == failurePercentageMinimumBackends;
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        consecutiveFailures,
        Arrays.hashCode(failureStatus),
        failureErrors,
        interval,
        baseEjectionTime,
        maxEjectionTime,
        maxEjectionPercent,
        failurePercentageThreshold,
        failurePercentageMinimumRequests,
        failurePercentageMinimumBackends);
  }

  @Override
  public String toString() {
    StringBuilder statuses = new StringBuilder();
    for (int s = 0; s < failureStatus.length; s++) {
      if (failureStatus[s] && (s == 0 || !failureStatus[s - 1])) {
        int e = s;
        while (e + 1 < failureStatus.length && failureStatus[e + 1]) {
          e++;
        }
        statuses.append(statuses.length() == 0 ? "" : ",").append(s == e ? "" + s : s + "-" + e);
      }
    }
    return "OutlierDetection{consecutiveFailures=" + consecutiveFailures + ", failureStatuses="
        + statuses + ", failureErrors=" + failureErrors + ", interval=" + interval
        + ", baseEjectionTime=" + baseEjectionTime + ", maxEjectionTime=" + maxEjectionTime
        + ", maxEjectionPercent=" + maxEjectionPercent + ", failurePercentageThreshold="
        + failurePercentageThreshold + "}";
  }

  /**
   * Builds {@link OutlierDetection}. Every message names the field ({@code
   * outlierDetection.maxEjectionPercent}), the value and what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private int consecutiveFailures = DEFAULT_CONSECUTIVE_FAILURES;
    private final boolean[] failureStatus = new boolean[600];
    private final Set<ErrorKind> failureErrors = EnumSet.allOf(ErrorKind.class);
    private Duration interval = DEFAULT_INTERVAL;
    private Duration baseEjectionTime = DEFAULT_BASE_EJECTION_TIME;
    private Duration maxEjectionTime = DEFAULT_MAX_EJECTION_TIME;
    private int maxEjectionPercent = DEFAULT_MAX_EJECTION_PERCENT;
    private int failurePercentageThreshold;
    private int failurePercentageMinimumRequests = 50;
    private int failurePercentageMinimumBackends = 5;

    private Builder() {
      Arrays.fill(failureStatus, 500, 600, true);
      failureErrors.remove(ErrorKind.NONE);
      failureErrors.remove(ErrorKind.CANCELLED);
    }

    /**
     * Sets how many failures in a row eject a backend.
     *
     * @param failures 1 to 1000
     * @return this builder
     */
    public Builder consecutiveFailures(int failures) {
      if (failures < 1 || failures > 1000) {
        throw new IllegalArgumentException(
            "outlierDetection.consecutiveFailures: " + failures + " (expected: 1..1000)");
      }
      this.consecutiveFailures = failures;
      return this;
    }

    /**
     * Replaces the statuses that count as failures.
     *
     * @param statuses HTTP statuses, each {@code 100..599}; may be empty to count only
     *     connection-level errors
     * @return this builder
     */
    public Builder failureStatuses(int... statuses) {
      Objects.requireNonNull(statuses, "statuses");
      for (int s : statuses) {
        if (s < 100 || s > 599) {
          throw new IllegalArgumentException(
              "outlierDetection.failureStatuses: " + s + " (expected: HTTP statuses 100..599)");
        }
      }
      Arrays.fill(failureStatus, false);
      for (int s : statuses) {
        failureStatus[s] = true;
      }
      return this;
    }

    /**
     * Counts only gateway failures: statuses 502, 503 and 504, plus connection-level errors (Envoy's
     * {@code consecutive_gateway_failure}). A 500 from the application then does not eject.
     *
     * @return this builder
     */
    public Builder gatewayFailuresOnly() {
      return failureStatuses(502, 503, 504);
    }

    /**
     * Replaces the connection-level error kinds that count as failures.
     *
     * @param errors error kinds; neither {@link ErrorKind#NONE} nor {@link ErrorKind#CANCELLED}
     * @return this builder
     */
    public Builder failureErrors(Set<ErrorKind> errors) {
      Objects.requireNonNull(errors, "errors");
      for (ErrorKind e : errors) {
        if (!Objects.requireNonNull(e, "errors contains null").isBackendFailure()) {
          throw new IllegalArgumentException(
              "outlierDetection.failureErrors: " + e
                  + " (expected: kinds that blame the backend, not NONE or CANCELLED)");
        }
      }
      failureErrors.clear();
      failureErrors.addAll(errors);
      return this;
    }

    /**
     * Sets the interval of failure-percentage sweeps.
     *
     * @param interval 10 ms to 1 hour
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = Durations.check("outlierDetection.interval", interval,
          Duration.ofMillis(10), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets the ejection time of a first ejection.
     *
     * @param time 1 ms to 1 hour
     * @return this builder
     */
    public Builder baseEjectionTime(Duration time) {
      this.baseEjectionTime = Durations.check("outlierDetection.baseEjectionTime", time,
          Duration.ofMillis(1), Duration.ofHours(1));
      return this;
    }

    /**
     * Sets the longest ejection.
     *
     * @param time 1 ms to 1 day, and at least the base ejection time
     * @return this builder
     */
    public Builder maxEjectionTime(Duration time) {
      this.maxEjectionTime = Durations.check("outlierDetection.maxEjectionTime", time,
          Duration.ofMillis(1), Duration.ofDays(1));
      return this;
    }

    /**
     * Sets the cap on the share of ejected backends.
     *
     * @param percent 0 to 100; one backend may always be ejected
     * @return this builder
     */
    public Builder maxEjectionPercent(int percent) {
      this.maxEjectionPercent = percent(
          "outlierDetection.maxEjectionPercent", percent, 0);
      return this;
    }

    /**
     * Turns on failure-percentage ejection with Envoy's defaults: 85% failures, over at least 50
     * requests per interval, with at least 5 backends that have that many.
     *
     * @return this builder
     */
    public Builder failurePercentage() {
      return failurePercentage(85, 50, 5);
    }

    /**
     * Turns on failure-percentage ejection.
     *
     * @param thresholdPercent 1 to 100: a backend with at least this share of failed requests in an
     *     interval is ejected
     * @param minimumRequests 1 to 1,000,000 requests a backend must serve in an interval to be judged
     * @param minimumBackends 1 to 10,000 backends that must have enough requests
     * @return this builder
     */
    public Builder failurePercentage(int thresholdPercent, int minimumRequests, int minimumBackends) {
      int threshold = percent("outlierDetection.failurePercentage.threshold", thresholdPercent, 1);
      if (minimumRequests < 1 || minimumRequests > 1_000_000) {
        throw new IllegalArgumentException(
            "outlierDetection.failurePercentage.minimumRequests: " + minimumRequests
                + " (expected: 1..1000000)");
      }
      if (minimumBackends < 1 || minimumBackends > 10_000) {
        throw new IllegalArgumentException(
            "outlierDetection.failurePercentage.minimumBackends: " + minimumBackends
                + " (expected: 1..10000)");
      }
      this.failurePercentageThreshold = threshold;
      this.failurePercentageMinimumRequests = minimumRequests;
      this.failurePercentageMinimumBackends = minimumBackends;
      return this;
    }

    /**
     * Checks the rules between fields and builds the configuration.
     *
     * @return the configuration
     * @throws IllegalArgumentException if the maximum ejection time is below the base
     */
    public OutlierDetection build() {
      if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
        throw new IllegalArgumentException(
            "outlierDetection.maxEjectionTime: " + maxEjectionTime
                + " (expected: at least outlierDetection.baseEjectionTime, " + baseEjectionTime
                + ")");
      }
      boolean anyStatus = false;
      for (boolean b : failureStatus) {
        anyStatus |= b;
      }
      if (!anyStatus && failureErrors.isEmpty()) {
        throw new IllegalArgumentException(
            "outlierDetection.failureStatuses: none, and failureErrors: none (expected: at least"
                + " one kind of failure to count)");
      }
      return new OutlierDetection(this);
    }

    private static int percent(String field, int value, int min) {
      if (value < min || value > 100) {
        throw new IllegalArgumentException(
            field + ": " + value + " (expected: " + min + "..100)");
      }
      return value;
    }
  }
}
