package dev.lb4j.core.internal.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.IdentityHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Ends slow-start windows: when a backend starts warming, schedules the end of its window on the
 * engine's scheduler, and at the end asks the control plane to settle the backend as healthy. The
 * ramp itself needs no timer: selection computes the factor from the window's start.
 */
final class SlowStartTimer implements HealthTimers {

  private final ControlPlane plane;
  private final Scheduler scheduler;
  private final SlowStart slowStart;
  private final long windowNanos;

  @GuardedBy("plane.lock")
  private final IdentityHashMap<BackendState, Scheduler.Cancellable> tasks = new IdentityHashMap<>();

  SlowStartTimer(ControlPlane plane, Scheduler scheduler, SlowStart slowStart) {
    this.plane = plane;
    this.scheduler = scheduler;
    this.slowStart = slowStart;
    this.windowNanos = slowStart.window().toNanos();
  }

  @Override
  @GuardedBy("plane.lock")
  public void onChange(
      BackendState b, @Nullable BackendHealth before, BackendHealth after, long now) {
    BackendHealth.WarmUp ramp = after.warmUp();
    BackendHealth.WarmUp was = before == null ? null : before.warmUp();
    if (ramp.warming() && (was == null || !was.warming() || was.sinceNanos() != ramp.sinceNanos())) {
      schedule(b, ramp.sinceNanos(), ramp.sinceNanos() + windowNanos - now);
    } else if (!ramp.warming()) {
      cancel(b); // stopped serving, or the window ended
    }
  }

  @Override
  @GuardedBy("plane.lock")
  public void onRemoved(BackendState b) {
    cancel(b);
  }

  @Override
  @GuardedBy("plane.lock")
  public void close() {
    tasks.values().forEach(Scheduler.Cancellable::cancel);
    tasks.clear();
  }

  @GuardedBy("plane.lock")
  private void schedule(BackendState b, long since, long delayNanos) {
    cancel(b);
    tasks.put(b, scheduler.schedule(() -> ended(b, since), delayNanos));
  }

  @GuardedBy("plane.lock")
  private void cancel(BackendState b) {
    Scheduler.Cancellable task = tasks.remove(b);
    if (task != null) {
      task.cancel();
    }
  }

  private void ended(BackendState b, long since) {
    try {
      synchronized (plane.lock) {
        if (plane.isClosed() || !b.isMember()) {
          return;
        }
        Change c = plane.begin();
        BackendHealth h = c.health(b);
        if (!h.warmUp().warming() || h.warmUp().sinceNanos() != since) {
          return;
        }
        long remaining = since + windowNanos - c.now();
        if (remaining > 0) { // the scheduler ran early by the ticker's clock
          schedule(b, since, remaining);
          return;
        }
        tasks.remove(b);
        c.propose(
            b,
            h.withWarmUp(new BackendHealth.WarmUp(false, since, false))
                .settle(slowStart, c.now(), "slow start window of " + slowStart.window() + " ended"));
        try {
          plane.commit(c);
        } catch (RuntimeException e) {
          plane.logFailure("the end of " + b.id() + "'s slow start", e);
          schedule(b, since, windowNanos);
        }
      }
    } finally {
      plane.finish();
    }
  }
}
