package dev.lb4j.core.internal.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.health.BackendHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Passive outlier detection (Envoy's model): ejects a backend whose traffic fails (a streak of
 * consecutive failures, counted lock-free by leases, or a failure percentage over an interval),
 * within the cap on ejected members, for a time that grows with each ejection (base times the
 * back-off step, up to the maximum; the step decays one per base time in service), and lets it back
 * when that time ends. Owns the ejection timers and the failure-percentage sweep.
 */
final class OutlierDetector implements HealthTimers {

  private final ControlPlane plane;
  private final Scheduler scheduler;
  private final OutlierDetection od;
  private final @Nullable SlowStart slowStart;
  private final PoolCounters counters;

  @GuardedBy("plane.lock")
  private final IdentityHashMap<BackendState, Scheduler.Cancellable> ejectionEnds = new IdentityHashMap<>();

  @GuardedBy("plane.lock")
  private Scheduler.@Nullable Cancellable sweepTask;

  OutlierDetector(
      ControlPlane plane,
      Scheduler scheduler,
      OutlierDetection od,
      @Nullable SlowStart slowStart,
      PoolCounters counters) {
    this.plane = plane;
    this.scheduler = scheduler;
    this.od = od;
    this.slowStart = slowStart;
    this.counters = counters;
  }

  /** Starts the failure-percentage sweep, if configured. */
  void start() {
    if (od.failurePercentageThreshold() > 0) {
      synchronized (plane.lock) {
        scheduleSweep();
      }
    }
  }

  /**
   * A lease release whose failure completed a streak of the configured length. The ejection (which
   * rebuilds the pool's picker: milliseconds for a large Maglev table) runs on the engine's
   * scheduler, never on the thread that completed the request; until it is published the old
   * picker serves. Never throws: the caller is completing a request.
   */
  void onFailureStreak(BackendState b, int streak, int status, ErrorKind error) {
    String last = error == ErrorKind.NONE ? "status " + status : "error " + error;
    String why = streak + " consecutive failures (last: " + last + ")";
    try {
      scheduler.schedule(() -> ejectForStreak(b, why), 0);
    } catch (RuntimeException e) { // a scheduler that refuses work (shut down): not the request's
      plane.logFailure("the ejection of " + b.id(), e);
    }
  }

  private void ejectForStreak(BackendState b, String why) {
    try {
      try {
        synchronized (plane.lock) {
          if (plane.isClosed() || !b.isMember()) {
            return;
          }
          try {
            tryEject(b, why);
          } catch (RuntimeException e) {
            plane.logFailure("the ejection of " + b.id(), e);
          }
        }
      } finally {
        plane.finish();
      }
    } catch (RuntimeException e) { // a listener or cleanup failed: the scheduler must go on
      plane.logFailure("the ejection of " + b.id(), e);
    }
  }

  /** Ejects {@code b} unless it is ejected already or the cap forbids it. */
  @GuardedBy("plane.lock")
  private void tryEject(BackendState b, String why) {
    b.resetConsecutiveFailures();
    Change c = plane.begin();
    BackendHealth h = c.health(b);
    BackendHealth.Ejection ejection = h.ejection();
    if (ejection.ejected()) {
      return;
    }
    List<BackendState> members = c.members();
    int ejectedNow = 0;
    for (BackendState m : members) {
      if (c.health(m).ejection().ejected()) {
        ejectedNow++;
      }
    }
    if (ejectedNow > 0
        && (long) (ejectedNow + 1) * 100 > (long) od.maxEjectionPercent() * members.size()) {
      counters.ejectionsRefused.incrementAndGet();
      return;
    }
    long now = c.now();
    long base = od.baseEjectionTime().toNanos();
    int multiplier = ejection.multiplier();
    if (multiplier > 0) {
      long forgiven = Math.max(0, now - ejection.returnedAtNanos()) / base; // one step per base time
      multiplier = (int) Math.max(0, multiplier - forgiven);
    }
    int cap =
        (int) Math.min(Integer.MAX_VALUE, ceilDiv(Math.max(base, od.maxEjectionTime().toNanos()), base));
    int step = Math.min(multiplier + 1, cap); // beyond the cap a longer history changes nothing
    long duration = od.ejectionNanos(step);
    String reason =
        why + "; ejected for " + Duration.ofNanos(duration) + " (back-off step " + step + ")";
    c.propose(b, h.withEjection(ejection.eject(now + duration, step, reason)).settle(slowStart, now, reason));
    plane.commit(c);
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  @Override
  @GuardedBy("plane.lock")
  public void onChange(
      BackendState b, @Nullable BackendHealth before, BackendHealth after, long now) {
    BackendHealth.Ejection ejection = after.ejection();
    if (ejection.ejected()
        && (before == null
            || !before.ejection().ejected()
            || before.ejection().untilNanos() != ejection.untilNanos())) {
      scheduleEnd(b, ejection.untilNanos(), ejection.untilNanos() - now);
    }
  }

  @GuardedBy("plane.lock")
  private void scheduleEnd(BackendState b, long until, long delayNanos) {
    Scheduler.Cancellable old = ejectionEnds.put(b, scheduler.schedule(() -> ejectionEnded(b, until), Math.max(0, delayNanos)));
    if (old != null) {
      old.cancel();
    }
  }

  @Override
  @GuardedBy("plane.lock")
  public void onRemoved(BackendState b) {
    Scheduler.Cancellable task = ejectionEnds.remove(b);
    if (task != null) {
      task.cancel();
    }
  }

  @Override
  @GuardedBy("plane.lock")
  public void close() {
    ejectionEnds.values().forEach(Scheduler.Cancellable::cancel);
    ejectionEnds.clear();
    Scheduler.Cancellable sweep = sweepTask;
    if (sweep != null) {
      sweep.cancel();
    }
  }

  private void ejectionEnded(BackendState b, long until) {
    try {
      synchronized (plane.lock) {
        if (plane.isClosed() || !b.isMember()) {
          return;
        }
        Change c = plane.begin();
        BackendHealth h = c.health(b);
        if (!h.ejection().ejected() || h.ejection().untilNanos() != until) {
          return;
        }
        long now = c.now();
        if (now < until) { // the scheduler ran early by the ticker's clock
          scheduleEnd(b, until, until - now);
          return;
        }
        ejectionEnds.remove(b);
        c.propose(
            b, h.withEjection(h.ejection().ended(now)).settle(slowStart, now, "ejection time ended"));
        try {
          plane.commit(c);
          b.resetConsecutiveFailures();
        } catch (RuntimeException e) {
          plane.logFailure("the end of " + b.id() + "'s ejection", e);
          scheduleEnd(b, until, od.baseEjectionTime().toNanos());
        }
      }
    } finally {
      plane.finish();
    }
  }

  @GuardedBy("plane.lock")
  private void scheduleSweep() {
    sweepTask = scheduler.schedule(this::sweep, od.interval().toNanos());
  }

  /** Failure-percentage ejection over the last interval; then the next interval starts. */
  private void sweep() {
    try {
      synchronized (plane.lock) {
        if (plane.isClosed()) {
          return;
        }
        try {
          List<BackendState> judged = new ArrayList<>();
          List<long[]> counts = new ArrayList<>();
          for (BackendState b : plane.members()) {
            long requests = Objects.requireNonNull(b.windowRequests).sumThenReset();
            long failed = Objects.requireNonNull(b.windowFailures).sumThenReset();
            if (!b.health().ejection().ejected() && requests >= od.failurePercentageMinimumRequests()) {
              judged.add(b);
              counts.add(new long[] {requests, failed});
            }
          }
          if (judged.size() >= od.failurePercentageMinimumBackends()) {
            for (int i = 0; i < judged.size(); i++) {
              long[] n = counts.get(i);
              if (n[1] * 100 >= (long) od.failurePercentageThreshold() * n[0]) {
                try {
                  tryEject(
                      judged.get(i),
                      n[1] + " of " + n[0] + " requests failed in the last " + od.interval()
                          + " (threshold " + od.failurePercentageThreshold() + "%)");
                } catch (RuntimeException e) {
                  plane.logFailure("the ejection of " + judged.get(i).id(), e);
                }
              }
            }
          }
        } finally {
          scheduleSweep();
        }
      }
    } finally {
      plane.finish();
    }
  }
}
