package dev.lb4j.core.internal.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.health.BackendHealth;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * Active health checking: one probe loop per member that is not disabled, on the engine's scheduler,
 * with jitter; probes never overlap per backend; a probe that throws, returns or completes with null,
 * fails or outlives its timeout is a failed check with that reason. Each result is handed to the
 * control plane as a change of the backend's probe verdict. Owns the loops: a loop stops when its
 * backend is disabled, leaves the pool or the pool closes, and the probe in flight is abandoned
 * (cancelled once the lock is released). A loop started again for the same backend (enabled right
 * after a disable) first abandons that probe itself, so its first probe never runs beside the one
 * given up on, whichever thread was to cancel it.
 */
final class ActiveChecker implements HealthTimers {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final ControlPlane plane;
  private final Scheduler scheduler;
  private final HealthCheck check;
  private final @Nullable SlowStart slowStart;

  /** How long a loop waits for the probe it replaces to return from {@code check} (1 ms). */
  private static final long PREDECESSOR_WAIT_NANOS = 1_000_000;

  @GuardedBy("plane.lock")
  private final IdentityHashMap<BackendState, Loop> loops = new IdentityHashMap<>();

  /** Per backend, the probe of its last stopped loop, abandoned but maybe not yet cancelled. */
  @GuardedBy("plane.lock")
  private final IdentityHashMap<BackendState, ProbeRun> abandoned = new IdentityHashMap<>();

  /** One backend's probe loop: its next task, the probe in flight, and the one it must outlast. */
  private static final class Loop {
    Scheduler.@Nullable Cancellable next;
    @Nullable ProbeRun running;
    /** The stopped loop's probe; this loop's first probe starts only once it is cancelled. */
    @Nullable ProbeRun predecessor;
  }

  ActiveChecker(
      ControlPlane plane, Scheduler scheduler, HealthCheck check, @Nullable SlowStart slowStart) {
    this.plane = plane;
    this.scheduler = scheduler;
    this.check = check;
    this.slowStart = slowStart;
  }

  /** Starts a loop for every member present at build. */
  void start() {
    synchronized (plane.lock) {
      for (BackendState b : plane.members()) {
        if (!b.health().admin().disabled()) {
          startLoop(b);
        }
      }
    }
  }

  @Override
  @GuardedBy("plane.lock")
  public void onChange(
      BackendState b, @Nullable BackendHealth before, BackendHealth after, long now) {
    boolean disabled = after.admin().disabled();
    if (before == null) {
      if (!disabled) {
        startLoop(b);
      }
    } else if (before.admin().disabled() != disabled) {
      if (disabled) {
        stopLoop(b);
      } else {
        startLoop(b);
      }
    }
  }

  @Override
  @GuardedBy("plane.lock")
  public void onRemoved(BackendState b) {
    stopLoop(b);
    abandoned.remove(b);
  }

  @Override
  @GuardedBy("plane.lock")
  public void close() {
    for (BackendState b : java.util.List.copyOf(loops.keySet())) {
      stopLoop(b);
    }
    abandoned.clear();
  }

  @GuardedBy("plane.lock")
  private void startLoop(BackendState b) {
    stopLoop(b);
    Loop loop = new Loop();
    loop.predecessor = abandoned.remove(b);
    loops.put(b, loop);
    long first =
        (long) (check.interval().toNanos() * check.jitter() * ThreadLocalRandom.current().nextDouble());
    loop.next = scheduler.schedule(() -> runProbe(b, loop), first);
  }

  /** Stops a loop; a probe in flight is abandoned after the lock is released. */
  @GuardedBy("plane.lock")
  private void stopLoop(BackendState b) {
    Loop loop = loops.remove(b);
    if (loop == null) {
      return;
    }
    Scheduler.Cancellable next = loop.next;
    if (next != null) {
      next.cancel();
    }
    ProbeRun running = loop.running;
    loop.running = null;
    if (running != null) {
      plane.afterUnlock(running::abandon);
    }
    ProbeRun last = running != null ? running : loop.predecessor;
    if (last != null) {
      abandoned.put(b, last);
    }
  }

  /** One probe of one backend: registered under the lock, started outside it, never blocks. */
  private void runProbe(BackendState b, Loop loop) {
    ProbeRun predecessor;
    synchronized (plane.lock) {
      if (plane.isClosed() || loops.get(b) != loop) {
        return;
      }
      predecessor = loop.predecessor;
    }
    if (predecessor != null) {
      predecessor.abandon(); // idempotent; the stage is cancelled when this returns, if it is known
    }
    ProbeRun run;
    synchronized (plane.lock) {
      if (plane.isClosed() || loops.get(b) != loop) {
        return;
      }
      if (predecessor != null && !predecessor.isStarted()) {
        // its check() has not returned yet, on another scheduler thread; it cancels on return
        loop.next = scheduler.schedule(() -> runProbe(b, loop), PREDECESSOR_WAIT_NANOS);
        return;
      }
      loop.predecessor = null;
      run = new ProbeRun(b, loop);
      loop.running = run;
    }
    try {
      startProbe(run);
    } finally {
      run.started = true;
    }
  }

  /** Calls the probe for {@code run} and wires its result and timeout; outside the lock. */
  private void startProbe(ProbeRun run) {
    BackendState b = run.backend;
    HealthProbe probe = check.probe();
    Duration timeout = check.timeout();
    CompletionStage<HealthResult> stage;
    try {
      stage = probe.check(b, timeout);
    } catch (Exception | Error e) { // a broken probe is a failed check, never a dead scheduler
      run.finish(HealthResult.unhealthy("probe " + probe + " threw " + e), null);
      return;
    }
    if (stage == null) {
      run.finish(HealthResult.unhealthy("probe " + probe + " returned no result (null)"), null);
      return;
    }
    run.stage = stage;
    run.timeout =
        scheduler.schedule(
            () -> run.finish(HealthResult.unhealthy("probe timed out after " + timeout), stage),
            timeout.toNanos());
    if (run.isDone()) { // abandoned (disabled, removed, closed) while the probe was starting
      run.abandon();
    }
    stage.whenComplete(
        (result, error) ->
            run.finish(
                error != null
                    ? HealthResult.unhealthy("probe failed: " + describe(error))
                    : result != null
                        ? result
                        : HealthResult.unhealthy("probe " + probe + " completed with null"),
                null));
  }

  private static String describe(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause.getMessage() == null ? cause.toString() : cause.getMessage();
  }

  /** One probe in flight: whichever of result and timeout comes first decides; the other is ignored. */
  private final class ProbeRun {
    private final BackendState backend;
    private final Loop loop;
    private final AtomicBoolean done = new AtomicBoolean();
    /** Set once {@code check} returned and an abandon that came first has cancelled the stage. */
    volatile boolean started;
    volatile Scheduler.@Nullable Cancellable timeout;
    volatile @Nullable CompletionStage<HealthResult> stage;

    ProbeRun(BackendState backend, Loop loop) {
      this.backend = backend;
      this.loop = loop;
    }

    boolean isDone() {
      return done.get();
    }

    boolean isStarted() {
      return started;
    }

    void finish(HealthResult result, @Nullable CompletionStage<HealthResult> toCancel) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      Scheduler.Cancellable t = timeout;
      if (t != null) {
        t.cancel();
      }
      if (toCancel != null) {
        cancelQuietly(toCancel); // let the probe close its connection
      }
      onResult(backend, loop, this, result);
    }

    /** Gives up without a verdict (disabled, removed, closed): cancels the timeout and the stage. */
    void abandon() {
      done.set(true);
      Scheduler.Cancellable t = timeout;
      if (t != null) {
        t.cancel();
      }
      CompletionStage<HealthResult> s = stage;
      if (s != null) {
        cancelQuietly(s);
      }
    }
  }

  /** Cancels a probe's stage if it is a future that allows it; minimal stages refuse, and that is fine. */
  private static void cancelQuietly(CompletionStage<?> stage) {
    if (stage instanceof Future<?> future) {
      try {
        if (!future.isDone()) {
          future.cancel(true);
        }
      } catch (RuntimeException e) { // UnsupportedOperationException from a minimal stage, say
        LOG.log(Level.DEBUG, "probe stage refused cancellation: " + e);
      }
    }
  }

  private void onResult(BackendState b, Loop loop, ProbeRun run, HealthResult result) {
    try {
      synchronized (plane.lock) {
        if (plane.isClosed() || loops.get(b) != loop) {
          return;
        }
        if (loop.running == run) {
          loop.running = null;
        }
        Change c = plane.begin();
        BackendHealth h = c.health(b);
        c.propose(b, h.probed(check, result).settle(slowStart, c.now(), h.describeProbe(result)));
        try {
          plane.commit(c);
        } catch (RuntimeException e) {
          plane.logFailure("the probe result for " + b.id(), e);
        }
        long interval = check.interval().toNanos();
        double jitter = check.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        loop.next = scheduler.schedule(() -> runProbe(b, loop), (long) (interval * (1 + jitter)));
      }
    } finally {
      plane.finish();
    }
  }
}
