package dev.lb4j.core.internal;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.routing.RouteMatch;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancerObserver;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import dev.lb4j.core.internal.pool.BackendState;
import dev.lb4j.core.internal.pool.PoolImpl;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The engine's lease: one backend, held from selection until the outcome is reported or the lease is
 * closed. Released exactly once (a CAS), whatever the caller does. Algorithms never see it: they are
 * handed a separate pick context, so a plugin cannot close what it picks for.
 */
public final class LeaseImpl implements Lease {

  private static final VarHandle STATE;

  /** The bit of {@link #state} that says the lease was released. */
  private static final int RELEASED = 1;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(LeaseImpl.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final PoolImpl pool;
  private final RequestView request;
  private @Nullable BackendState backend;
  private long startNanos;

  /**
   * Bit 0: released; the bits above: the number of retries before this attempt. One field, so the
   * lease stays at 40 bytes; the release sets bit 0 with a compare-and-set, exactly once.
   */
  private volatile int state;

  /** How the request got here (route, policy edits); null for a plain pool selection. */
  private @Nullable RequestContext context;

  /**
   * A lease for {@code request} in {@code pool}, not yet bound to a backend.
   *
   * @param pool the pool
   * @param request the request
   */
  public LeaseImpl(PoolImpl pool, RequestView request) {
    this.pool = pool;
    this.request = request;
  }

  /**
   * Binds the lease to the backend the pool granted.
   *
   * @param backend the backend
   * @param startNanos the ticker reading latency is measured from
   * @param acquired whether the backend's in-flight slot is taken already (a concurrency limit)
   */
  public void bind(BackendState backend, long startNanos, boolean acquired) {
    this.backend = backend;
    this.startNanos = startNanos;
    if (!acquired) {
      backend.acquire();
    }
  }

  /**
   * The request this lease was selected for.
   *
   * @return the request
   */
  public RequestView request() {
    return request;
  }

  /** Marks this lease as the retry that follows {@code previous}; called once, before use. */
  public void follow(LeaseImpl previous) {
    state = previous.attempt() << 1;
  }

  @Override
  public int attempt() {
    return (state >>> 1) + 1;
  }

  /** Attaches how the request got here; called once by the load balancer after selection. */
  public void attach(RequestContext context) {
    this.context = context;
  }

  @Override
  public @Nullable RouteMatch route() {
    RequestContext c = context;
    return c == null ? null : c.route();
  }

  @Override
  public HeaderChanges requestHeaders() {
    RequestContext c = context;
    return c == null ? HeaderChanges.none() : c.requestHeaders(backend().id());
  }

  /** How the request got here, for a retry of it; null for a plain pool selection. */
  public @Nullable RequestContext context() {
    return context;
  }

  @Override
  public HeaderChanges responseHeaders(RequestView forwarded, ResponseView response) {
    RequestContext c = context;
    return c == null
        ? HeaderChanges.none()
        : c.responseHeaders(forwarded, response, backend().id());
  }

  // ---- Lease

  @Override
  public String pool() {
    return pool.name();
  }

  @Override
  public Backend backend() {
    return Objects.requireNonNull(backend, "backend");
  }

  @Override
  public boolean complete(int status) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 100..599)");
    }
    return release(status, ErrorKind.NONE, -2);
  }

  @Override
  public boolean fail(ErrorKind error) {
    Objects.requireNonNull(error, "error");
    if (error == ErrorKind.NONE) {
      throw new IllegalArgumentException("error: NONE (expected: a failure kind; use complete(status))");
    }
    return release(0, error, -2);
  }

  @Override
  public boolean complete(Outcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    return release(outcome.status(), outcome.error(), outcome.latencyNanos());
  }

  @Override
  public boolean isOpen() {
    return (state & RELEASED) == 0;
  }

  @Override
  public void close() {
    release(0, ErrorKind.CANCELLED, -1);
  }

  /**
   * Releases exactly once.
   *
   * @param latencyNanos the caller's latency, -2 to measure it now, -1 for "no outcome"; read only
   *     when the pool measures latency
   */
  private boolean release(int status, ErrorKind error, long latencyNanos) {
    int s = state;
    if ((s & RELEASED) != 0 || !STATE.compareAndSet(this, s, s | RELEASED)) {
      return false; // the state changes only by this bit, so a failed CAS means released
    }
    BackendState b = Objects.requireNonNull(backend, "backend");
    long now = 0;
    long latency = latencyNanos >= 0 ? latencyNanos : -1; // the caller's, when given
    boolean measured = false;
    RuntimeException clockFailure = null;
    if (latencyNanos != -1 && pool.measuresLatency()) {
      try {
        now = pool.ticker().nanoTime();
        if (latencyNanos == -2) {
          latency = Math.max(0, now - startNanos);
        }
        measured = true;
      } catch (RuntimeException e) {
        clockFailure = e; // a user ticker broke: release anyway, without an outcome
        status = 0;
        error = ErrorKind.CANCELLED;
      }
    }
    try {
      b.release(status, error, measured ? latency : -1, now, pool.latencyDecayNanos());
    } finally {
      pool.released(); // whatever happens, the pool's in-flight count goes back down
    }
    LoadBalancerObserver o = pool.observer();
    if (o != null) {
      Observation.released(o, this, status, error, error == ErrorKind.CANCELLED ? -1 : latency);
    }
    if (clockFailure != null) {
      throw clockFailure;
    }
    return true;
  }

  @Override
  public String toString() {
    return "Lease[" + pool.name() + "/" + backend + (isOpen() ? ", open]" : ", released]");
  }
}
