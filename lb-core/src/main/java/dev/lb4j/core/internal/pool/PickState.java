package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.RequestView;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * What an algorithm sees of one selection: the request, its key's hash and the backends to avoid.
 * Deliberately not the lease, so a plugin algorithm cannot close or complete what it is handed.
 *
 * <p>One selection runs on one thread from start to end, so each thread reuses one instance instead
 * of allocating one per selection; a selection that starts while its thread's instance is in use (a
 * hash-key source that selects, say) gets a fresh one. {@link #release} clears every reference, so
 * nothing of a request outlives its selection.
 */
final class PickState implements PickContext {

  private static final ThreadLocal<PickState> LOCAL = ThreadLocal.withInitial(PickState::new);

  private @Nullable RequestView request;
  /** The caller's exclusions; during slow start also the backends it turned away ({@link Skips}). */
  private @Nullable Collection<? extends Backend> exclude;
  private boolean hasHash;
  private boolean hashFixed;
  private long hash;
  private boolean inUse;

  /** Whether the algorithm read the clock during this selection ({@link #clock} holds it). */
  private boolean clockRead;

  private long clock;

  /** This thread's instance, set up for one selection; {@link #release} it when done. */
  static PickState acquire(RequestView request, @Nullable Collection<? extends Backend> exclude) {
    if (exclude != null) {
      for (Backend b : exclude) {
        Objects.requireNonNull(b, "exclude contains null");
      }
    }
    PickState s = LOCAL.get();
    if (s.inUse) {
      s = new PickState();
    }
    s.inUse = true;
    s.request = request;
    s.exclude = exclude == null || exclude.isEmpty() ? null : exclude;
    s.hasHash = false;
    s.hashFixed = false;
    s.clockRead = false;
    return s;
  }

  /** A state of its own, not the thread's (explain's dry-run pick). */
  static PickState detached(RequestView request) {
    PickState s = new PickState();
    s.inUse = true;
    s.request = request;
    return s;
  }

  /** Ends the selection: forgets the request and the exclusions. */
  /**
   * Notes a clock reading an algorithm made through its {@link dev.lb4j.api.BackendSet#nanoTime()}
   * on this thread, so the lease it grants measures latency from that reading instead of reading
   * the clock again (peak EWMA reads it on every pick).
   */
  static void noteClock(long nanoTime) {
    PickState s = LOCAL.get();
    if (s.inUse) {
      s.clock = nanoTime;
      s.clockRead = true;
    }
  }

  /** The clock reading of this selection: the algorithm's, if it read the clock, else a new one. */
  long startNanos(dev.lb4j.core.Ticker ticker) {
    return clockRead ? clock : ticker.nanoTime();
  }

  void release() {
    request = null;
    exclude = null;
    inUse = false;
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
   * Excludes {@code b} from the rest of this selection (slow start turned it away, or it is at its
   * concurrency limit). Kept in the exclusion collection, so the common path checks one field.
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
  private static final class Skips extends AbstractCollection<Backend> {
    final @Nullable Collection<? extends Backend> callers;
    final List<Backend> skipped = new ArrayList<>(2);

    Skips(@Nullable Collection<? extends Backend> callers, Backend first) {
      this.callers = callers;
      skipped.add(first);
    }

    @Override
    public Iterator<Backend> iterator() {
      List<Backend> all = new ArrayList<>(skipped);
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

  @Override
  public RequestView request() {
    return Objects.requireNonNull(request, "request (the selection has ended)");
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
}
