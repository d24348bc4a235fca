package dev.lb4j.core.internal.health;

import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.SlowStart;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The health of one backend as one immutable value: the four signals that feed it (admin decisions,
 * the active probe's verdict, passive ejection, slow start) and the state they add up to, with its
 * reason and since when it holds.
 *
 * <p>Every change is a pure function from one value to the next: a signal changes ({@link
 * #withAdmin}, {@link #withProbe}, {@link #withEjection}, {@link #withWarmUp}), then {@link #settle}
 * derives the state. The precedence of the signals lives in {@link #statusOf} and nowhere else:
 * DISABLED > DRAINING > EJECTED > UNHEALTHY > WARMING > HEALTHY (admin decisions beat passive
 * ejection, which beats the probe, which beats slow start). Because a value is never mutated, a
 * change that cannot be published is simply not written: nothing is rolled back.
 *
 * @param admin what an operator decided
 * @param probe the active checker's verdict and its counters
 * @param ejection passive outlier detection's state and history
 * @param warmUp slow start's ramp
 * @param status the state the signals add up to (stale between a {@code with...} and {@link
 *     #settle})
 * @param reason why the backend is in {@code status}
 * @param sinceNanos the ticker reading when {@code status} began
 */
public record BackendHealth(
    Admin admin,
    Probe probe,
    Ejection ejection,
    WarmUp warmUp,
    BackendStatus status,
    String reason,
    long sinceNanos) {

  /** Checks the components. */
  public BackendHealth {
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(probe, "probe");
    Objects.requireNonNull(ejection, "ejection");
    Objects.requireNonNull(warmUp, "warmUp");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(reason, "reason");
  }

  /**
   * An operator's decisions.
   *
   * @param disabled maintenance: no traffic, no probes
   * @param draining no new traffic; open leases finish
   */
  public record Admin(boolean disabled, boolean draining) {
    static final Admin NONE = new Admin(false, false);
  }

  /**
   * The active checker's verdict.
   *
   * @param healthy the verdict
   * @param pending never passed a probe yet: takes no traffic, not even in panic mode
   * @param successes consecutive passing probes
   * @param failures consecutive failing probes
   * @param reason why the verdict is unhealthy; empty when healthy
   */
  public record Probe(
      boolean healthy, boolean pending, int successes, int failures, String reason) {
    static final Probe PASSING = new Probe(true, false, 0, 0, "");

    static Probe waiting(String reason) {
      return new Probe(false, true, 0, 0, reason);
    }

    /** The verdict's counters cleared (the backend comes back from maintenance). */
    Probe withFreshCounters() {
      return new Probe(healthy, pending, 0, 0, reason);
    }

    /**
     * What the probe's counters and verdict become after one result: {@code healthyThreshold}
     * consecutive passes make an unhealthy backend healthy (one pass ends the wait of a backend that
     * never passed), {@code unhealthyThreshold} consecutive failures make a healthy one unhealthy.
     */
    Probe after(HealthCheck check, HealthResult result) {
      if (result.isHealthy()) {
        int passed = successes + 1;
        if (!healthy && (pending || passed >= check.healthyThreshold())) {
          return new Probe(true, false, passed, 0, "");
        }
        return new Probe(healthy, pending, passed, 0, reason);
      }
      int failed = failures + 1;
      if (pending) {
        return new Probe(
            false,
            true,
            0,
            failed,
            "waiting for the first probe to pass; " + failed + " failed, last: " + result.reason());
      }
      if (!healthy || failed >= check.unhealthyThreshold()) {
        return new Probe(
            false,
            false,
            0,
            failed,
            failed + " consecutive probes failed; last: " + result.reason());
      }
      return new Probe(healthy, false, 0, failed, reason);
    }

    /** What happened, as the reason for a state that has none of its own. */
    String describe(HealthResult result) {
      return result.isHealthy()
          ? (successes + 1) + " consecutive probes passed"
          : (failures + 1) + " consecutive probes failed; last: " + result.reason();
    }
  }

  /**
   * Passive outlier detection.
   *
   * @param ejected whether the backend is ejected now
   * @param untilNanos when the current ejection ends
   * @param multiplier the back-off step of the last ejection
   * @param returnedAtNanos when the last ejection ended
   * @param total ejections so far
   * @param reason why the backend was ejected
   */
  public record Ejection(
      boolean ejected,
      long untilNanos,
      int multiplier,
      long returnedAtNanos,
      long total,
      String reason) {
    static final Ejection NONE = new Ejection(false, 0, 0, 0, 0, "");

    /** Ejected until {@code until}, at back-off step {@code step}. */
    public Ejection eject(long until, int step, String why) {
      return new Ejection(true, until, step, returnedAtNanos, total + 1, why);
    }

    /** Back in service at {@code now}; the history stays for the next back-off. */
    public Ejection ended(long now) {
      return new Ejection(false, untilNanos, multiplier, now, total, reason);
    }
  }

  /**
   * Slow start.
   *
   * @param warming whether the backend is ramping up now
   * @param sinceNanos when the ramp began
   * @param servesWithoutRamp present when the pool was built and not serving yet: its first time
   *     serving skips the ramp
   */
  public record WarmUp(boolean warming, long sinceNanos, boolean servesWithoutRamp) {
    static final WarmUp NONE = new WarmUp(false, 0, false);
  }

  /**
   * The state every signal adds up to: the precedence rules, in one place.
   *
   * @return the status
   */
  public static BackendStatus statusOf(Admin admin, Probe probe, Ejection ejection, WarmUp warmUp) {
    if (admin.disabled()) {
      return BackendStatus.DISABLED;
    }
    if (admin.draining()) {
      return BackendStatus.DRAINING;
    }
    if (ejection.ejected()) {
      return BackendStatus.EJECTED;
    }
    if (!probe.healthy()) {
      return BackendStatus.UNHEALTHY;
    }
    return warmUp.warming() ? BackendStatus.WARMING : BackendStatus.HEALTHY;
  }

  /**
   * The probe's starting verdict under {@code check}: passing, or waiting for its first pass.
   *
   * @param check the pool's active check, or null
   * @param why what the wait follows, for the reason (empty for a new backend)
   */
  static Probe initialProbe(@Nullable HealthCheck check, String why) {
    if (check != null && check.initialState() == HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE) {
      return Probe.waiting(
          why.isEmpty()
              ? "waiting for the first probe to pass"
              : why + "; waiting for the first probe to pass");
    }
    return Probe.PASSING;
  }

  /**
   * The health of a backend that is present when the pool is built: at full share once it serves
   * (slow start ramps only backends that join or return later).
   *
   * @param check the pool's active check, or null
   * @param now the ticker reading
   * @return its health
   */
  public static BackendHealth atBuild(@Nullable HealthCheck check, long now) {
    Probe probe = initialProbe(check, "");
    BackendStatus status = statusOf(Admin.NONE, probe, Ejection.NONE, WarmUp.NONE);
    return new BackendHealth(
        Admin.NONE,
        probe,
        Ejection.NONE,
        new WarmUp(false, 0, !status.isServing()),
        status,
        status == BackendStatus.UNHEALTHY ? probe.reason() : "configured",
        now);
  }

  /**
   * The health of a backend that joins a running pool: it ramps up if it serves and slow start is
   * on.
   *
   * @param check the pool's active check, or null
   * @param slowStart the pool's ramp, or null
   * @param why how it joined ("added")
   * @param now the ticker reading
   * @return its health
   */
  public static BackendHealth joining(
      @Nullable HealthCheck check, @Nullable SlowStart slowStart, String why, long now) {
    Probe probe = initialProbe(check, "");
    BackendStatus status = statusOf(Admin.NONE, probe, Ejection.NONE, WarmUp.NONE);
    WarmUp warmUp = WarmUp.NONE;
    String reason = why;
    if (status == BackendStatus.HEALTHY && slowStart != null) {
      warmUp = new WarmUp(true, now, false);
      status = BackendStatus.WARMING;
      reason = why + "; slow start over " + slowStart.window();
    } else if (status == BackendStatus.UNHEALTHY) {
      reason = probe.reason();
    }
    return new BackendHealth(Admin.NONE, probe, Ejection.NONE, warmUp, status, reason, now);
  }

  /**
   * The health of a backend that stays in its pool while the pool's health settings change: every
   * signal carries over (admin decisions, the probe's verdict and counters, an ejection with its end
   * time and history, slow start's progress), except a signal whose source the new settings remove,
   * which could never change again: without an active check the verdict is passing, without outlier
   * detection an ejection ends now (its history stays), without slow start a ramp ends. Then the
   * state is settled again.
   *
   * @param check the new active check, or null
   * @param detectsOutliers whether the new settings have outlier detection
   * @param slowStart the new ramp, or null
   * @param now the ticker reading
   * @return this value when nothing changes, else the settled new one
   */
  public BackendHealth reconfigured(
      @Nullable HealthCheck check, boolean detectsOutliers, @Nullable SlowStart slowStart, long now) {
    BackendHealth next = this;
    boolean changed = false;
    if (check == null && !probe.equals(Probe.PASSING)) {
      next = next.withProbe(Probe.PASSING);
      changed = true;
    }
    if (!detectsOutliers && ejection.ejected()) {
      next = next.withEjection(ejection.ended(now));
      changed = true;
    }
    if (slowStart == null && warmUp.warming()) {
      next = next.withWarmUp(new WarmUp(false, warmUp.sinceNanos(), false));
      changed = true;
    }
    return changed ? next.settle(slowStart, now, "reconfigured") : this;
  }

  /** The same state with other admin decisions; call {@link #settle} next. */
  public BackendHealth withAdmin(Admin next) {
    return new BackendHealth(next, probe, ejection, warmUp, status, reason, sinceNanos);
  }

  /** The same state with another probe verdict; call {@link #settle} next. */
  public BackendHealth withProbe(Probe next) {
    return new BackendHealth(admin, next, ejection, warmUp, status, reason, sinceNanos);
  }

  /** The same state with another ejection; call {@link #settle} next. */
  public BackendHealth withEjection(Ejection next) {
    return new BackendHealth(admin, probe, next, warmUp, status, reason, sinceNanos);
  }

  /** The same state with another ramp; call {@link #settle} next. */
  public BackendHealth withWarmUp(WarmUp next) {
    return new BackendHealth(admin, probe, ejection, next, status, reason, sinceNanos);
  }

  /**
   * Disabled or enabled by an operator. Enabling clears the probe's counters; with {@link
   * HealthCheck.InitialState#WAIT_FOR_FIRST_PROBE} the backend waits for a passing probe as a new
   * one would, otherwise it keeps the verdict it had.
   */
  public BackendHealth disabled(boolean disabled, @Nullable HealthCheck check) {
    BackendHealth next = withAdmin(new Admin(disabled, admin.draining()));
    if (disabled || check == null) {
      return next;
    }
    Probe fresh =
        check.initialState() == HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE
            ? initialProbe(check, "enabled by admin")
            : probe.withFreshCounters();
    return next.withProbe(fresh);
  }

  /** Drained or undrained by an operator. */
  public BackendHealth draining(boolean draining) {
    return withAdmin(new Admin(admin.disabled(), draining));
  }

  /** One probe result applied; {@link #settle} next, with {@link #describeProbe} as trigger. */
  public BackendHealth probed(HealthCheck check, HealthResult result) {
    return withProbe(probe.after(check, result));
  }

  /** What a probe result means, as the reason for a state that has none of its own. */
  public String describeProbe(HealthResult result) {
    return probe.describe(result);
  }

  /**
   * Derives the state from the signals after one of them changed: starts slow start when a backend
   * that did not serve becomes healthy (unless it was present at build and never served), stops it
   * when the backend stops serving, and keeps the time and reason of a state that did not change
   * (except that a newer failure explains an ejection or an unhealthy verdict better).
   *
   * @param slowStart the pool's ramp, or null
   * @param now the ticker reading
   * @param trigger what happened, the reason for states that have none of their own
   * @return the settled health
   */
  public BackendHealth settle(@Nullable SlowStart slowStart, long now, String trigger) {
    BackendStatus before = status;
    BackendStatus after = statusOf(admin, probe, ejection, warmUp);
    WarmUp ramp = warmUp;
    if (!after.isServing() && ramp.warming()) {
      ramp = new WarmUp(false, ramp.sinceNanos(), ramp.servesWithoutRamp());
    } else if (after == BackendStatus.HEALTHY && !before.isServing() && slowStart != null) {
      if (ramp.servesWithoutRamp()) {
        ramp = new WarmUp(false, ramp.sinceNanos(), false);
      } else {
        ramp = new WarmUp(true, now, false);
        after = BackendStatus.WARMING;
      }
    }
    if (after.isServing() && ramp.servesWithoutRamp()) {
      ramp = new WarmUp(ramp.warming(), ramp.sinceNanos(), false);
    }
    if (after == before) {
      String kept =
          after == BackendStatus.EJECTED || after == BackendStatus.UNHEALTHY
              ? reasonFor(after, slowStart, trigger)
              : reason;
      return new BackendHealth(admin, probe, ejection, ramp, after, kept, sinceNanos);
    }
    return new BackendHealth(
        admin, probe, ejection, ramp, after, reasonFor(after, slowStart, trigger), now);
  }

  private String reasonFor(BackendStatus s, @Nullable SlowStart slowStart, String trigger) {
    return switch (s) {
      case DISABLED -> "disabled by admin";
      case DRAINING -> "drained by admin";
      case EJECTED -> ejection.reason();
      case UNHEALTHY -> probe.reason();
      case WARMING ->
          slowStart == null ? trigger : trigger + "; slow start over " + slowStart.window();
      case HEALTHY -> trigger;
    };
  }

  /** Whether the backend waits for its first passing probe: neither healthy nor a reason to panic. */
  public boolean waitingForFirstProbe() {
    return status == BackendStatus.UNHEALTHY && probe.pending();
  }
}
