package dev.lb4j.core.internal;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.routing.RouteMatch;
import dev.lb4j.core.Lease;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * The engine's lease. Before it is bound to a backend the same object serves as the {@link
 * PickContext} of its selection, so one selection allocates one object.
 */
public final class LeaseImpl implements Lease, PickContext {

  private static final VarHandle RELEASED;

  static {
    try {
      RELEASED = MethodHandles.lookup().findVarHandle(LeaseImpl.class, "released", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final PoolImpl pool;
  private final RequestView request;
  /** The caller's exclusions; during slow start also the backends it turned away ({@link Skips}). */
  private @Nullable Collection<? extends Backend> exclude;
  private boolean hasHash;
  private boolean hashFixed;
  private long hash;
  private @Nullable BackendState backend;
  private long startNanos;

  @SuppressWarnings("UnusedVariable") // updated through RELEASED
  private volatile int released;

  /** How the request got here (route, policy edits); null for a plain pool selection. */
  private @Nullable RequestContext context;

  LeaseImpl(PoolImpl pool, RequestView request, @Nullable Collection<? extends Backend> exclude) {
    this.pool = pool;
    this.request = request;
    if (exclude != null) {
      for (Backend b : exclude) {
        Objects.requireNonNull(b, "exclude contains null");
      }
    }
    this.exclude = exclude == null || exclude.isEmpty() ? null : exclude;
  }

  /** The hash of the request's key. */
  void setHash(long hash) {
    this.hash = hash;
    this.hasHash = true;
  }

  /**
   * A random stand-in for a missing key: stored so that every {@link #hash()} call of this selection
   * sees the same value, but {@link #hasHash()} stays false.
   */
  void setRandomHash(long hash) {
    this.hash = hash;
    this.hashFixed = true;
  }

  /**
   * Excludes {@code b} from the rest of this selection (slow start turned it away). Kept in the
   * exclusion collection rather than in fields of their own, so a lease stays as small as it was
   * without slow start; this path allocates, the common one does not.
   */
  void skip(BackendState b) {
    if (exclude instanceof Skips skips) {
      skips.skipped.add(b);
    } else {
      exclude = new Skips(exclude, b);
    }
  }

  /** Restores the caller's exclusions. */
  void clearSkips() {
    if (exclude instanceof Skips skips) {
      exclude = skips.callers;
    }
  }

  /** The caller's exclusions plus the backends slow start turned away. */
  private static final class Skips extends java.util.AbstractCollection<Backend> {
    final @Nullable Collection<? extends Backend> callers;
    final java.util.List<Backend> skipped = new java.util.ArrayList<>(2);

    Skips(@Nullable Collection<? extends Backend> callers, Backend first) {
      this.callers = callers;
      skipped.add(first);
    }

    @Override
    public java.util.Iterator<Backend> iterator() {
      java.util.List<Backend> all = new java.util.ArrayList<>(skipped);
      if (callers != null) {
        all.addAll(callers);
      }
      return all.iterator();
    }

    @Override
    public int size() {
      return skipped.size() + (callers == null ? 0 : callers.size());
    }
  }

  void bind(BackendState backend, long startNanos, boolean acquired) {
    this.backend = backend;
    this.startNanos = startNanos;
    if (!acquired) {
      backend.acquire();
    }
  }

  // ---- PickContext

  @Override
  public RequestView request() {
    return request;
  }

  @Override
  public boolean hasHash() {
    return hasHash;
  }

  @Override
  public long hash() {
    if (!hasHash && !hashFixed) {
      hash = ThreadLocalRandom.current().nextLong();
      hashFixed = true;
    }
    return hash;
  }

  @Override
  public boolean hasExclusions() {
    return exclude != null;
  }

  @Override
  public boolean isExcluded(Backend candidate) {
    Collection<? extends Backend> excluded = exclude;
    if (excluded instanceof Skips skips) {
      for (int i = 0, n = skips.skipped.size(); i < n; i++) {
        if (skips.skipped.get(i) == candidate) {
          return true;
        }
      }
      excluded = skips.callers;
      if (excluded == null) {
        return false;
      }
    }
    if (excluded == null) {
      return false;
    }
    if (excluded instanceof List<? extends Backend> list && excluded instanceof RandomAccess) {
      for (int i = 0, n = list.size(); i < n; i++) {
        if (same(list.get(i), candidate)) {
          return true;
        }
      }
      return false;
    }
    for (Backend b : excluded) {
      if (same(b, candidate)) {
        return true;
      }
    }
    return false;
  }

  private static boolean same(Backend a, Backend b) {
    return a == b || a.id().equals(b.id());
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
    return released == 0;
  }

  @Override
  public void close() {
    release(0, ErrorKind.CANCELLED, -1);
  }

  /**
   * Releases exactly once.
   *
   * @param latencyNanos the caller's latency, -2 to measure it now, -1 for "no outcome"
   */
  private boolean release(int status, ErrorKind error, long latencyNanos) {
    if (!RELEASED.compareAndSet(this, 0, 1)) {
      return false;
    }
    BackendState b = Objects.requireNonNull(backend, "backend");
    long now = 0;
    long latency = -1;
    RuntimeException clockFailure = null;
    if (latencyNanos != -1) {
      try {
        now = pool.ticker().nanoTime();
        latency = latencyNanos == -2 ? Math.max(0, now - startNanos) : latencyNanos;
      } catch (RuntimeException e) {
        clockFailure = e; // a user ticker broke: release anyway, without an outcome
      }
    }
    try {
      b.release(status, error, latency, now, pool.latencyDecayNanos());
    } finally {
      pool.released(); // whatever happens, the pool's in-flight count goes back down
    }
    if (clockFailure != null) {
      throw clockFailure;
    }
    return true;
  }

  @Override
  public String toString() {
    return "Lease[" + pool.name() + "/" + backend + (released == 0 ? ", open]" : ", released]");
  }
}
