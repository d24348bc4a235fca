package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.internal.Decay;
import dev.lb4j.core.internal.XxHash64;
import dev.lb4j.core.internal.health.BackendHealth;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * The engine's state of one backend: configuration plus live load. One instance lives as long as the
 * backend is a member of its pool (and longer, while leases still hold it); successive picker
 * snapshots share it, so live load carries across rebuilds.
 *
 * <p>Thread-safety: the weight and the health are written only by the owning pool's control plane,
 * under its lock, and are volatile; live counters are updated lock-free by leases. Timers (probes,
 * ejection ends, slow start) belong to the pool's checker, detector and timer, not to this object.
 */
public final class BackendState extends BackendStatePadded implements Backend {

  private static final VarHandle LOAD;
  private static final VarHandle EPOCHS;
  private static final VarHandle EWMA;
  private static final VarHandle CONSECUTIVE_FAILURES;
  private static final VarHandle EWMA_STAMP;
  private static final VarHandle OWNER;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      LOAD = lookup.findVarHandle(BackendStateHot.class, "load", long.class);
      EPOCHS = lookup.findVarHandle(BackendStateHot.class, "completedEpochs", long.class);
      EWMA = lookup.findVarHandle(BackendStateHot.class, "ewmaNanos", long.class);
      EWMA_STAMP = lookup.findVarHandle(BackendStateHot.class, "ewmaStampNanos", long.class);
      CONSECUTIVE_FAILURES =
          lookup.findVarHandle(BackendStateHot.class, "consecutiveFailures", int.class);
      OWNER = lookup.findVarHandle(BackendState.class, "owner", PoolImpl.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * The pool this backend belongs to. Replaced only when a reconfiguration hands the backend, with
   * all its state, to a pool that succeeds its owner (see {@link #adopt}); written under both pools'
   * locks before the successor is published through a volatile write, so a selection that reached
   * the successor sees it. A plain field: the request path reads it as it read the final one; the
   * slow path reads it with acquire semantics ({@link #ownerAcquire}), which pairs with the release
   * write in {@link #adopt}, so whoever sees the new owner also sees the retired pool's successor.
   */
  private PoolImpl owner;
  private final String id;
  private final URI uri;
  private final String zone;
  private final Map<String, String> metadata;
  private final BackendSpec spec;
  private final long idHash;
  private volatile @Nullable OutlierDetection outlier;
  private volatile int weight;

  /**
   * The backend's health: one immutable value, replaced (never mutated) by the pool's control plane
   * under its lock, read without locking by selection (slow start) and stats.
   */
  private volatile BackendHealth health;

  /** Whether the backend is still a member of its pool; written under the pool's lock. */
  private volatile boolean member = true;

  volatile @Nullable LongAdder windowRequests;
  volatile @Nullable LongAdder windowFailures;

  /**
   * The generation of the first pool snapshot that left this backend out (drained or removed), or
   * {@link Long#MAX_VALUE} while it is available. A pick of this backend from a snapshot of that
   * generation or later breaks the algorithm's contract; from an older one it raced with the change.
   */
  private volatile long unavailableFrom = Long.MAX_VALUE;

  // load (in flight and completed), consecutiveFailures, ewmaNanos and ewmaStampNanos: see
  // BackendStateHot.

  /** A release with an outcome: one slot less in flight, one more completion. */
  private static final long COMPLETE = (1L << 32) - 1;

  /** The bits of the completion count below its epoch bit. */
  private static final long EPOCH_MASK = 0x7FFF_FFFFL;

  private final LongAdder failures = new LongAdder();
  private final LongAdder cancelled = new LongAdder();

  BackendState(
      PoolImpl owner, BackendSpec spec, @Nullable OutlierDetection outlier, BackendHealth health) {
    this.owner = owner;
    this.health = health;
    this.spec = spec;
    this.idHash = XxHash64.hash(spec.id());
    this.outlier = outlier;
    boolean percentage = outlier != null && outlier.failurePercentageThreshold() > 0;
    this.windowRequests = percentage ? new LongAdder() : null;
    this.windowFailures = percentage ? new LongAdder() : null;
    this.id = spec.id();
    this.uri = spec.uri();
    this.zone = spec.zone();
    this.metadata = spec.metadata();
    this.weight = spec.weight();
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public int weight() {
    return weight;
  }

  @Override
  public String zone() {
    return zone;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public int inFlight() {
    return (int) load;
  }

  @Override
  public long latencyEwmaNanos() {
    return ewmaNanos;
  }

  @Override
  public long latencyStampNanos() {
    return ewmaStampNanos;
  }

  /** The pool this backend belongs to. */
  public PoolImpl owner() {
    return owner;
  }

  /**
   * Hands this backend to {@code successor}, the pool that replaces its owner in a reconfiguration,
   * with the successor's outlier detection. Live load (in flight, EWMA, counters) stays, as the
   * object does; the failure-percentage window starts afresh if the detection's settings changed.
   * Only the successor's construction calls this, under the owner's lock, once the successor's
   * first snapshot is built.
   */
  void adopt(PoolImpl successor, @Nullable OutlierDetection od) {
    if (!java.util.Objects.equals(od, outlier)) {
      boolean percentage = od != null && od.failurePercentageThreshold() > 0;
      this.windowRequests = percentage ? new LongAdder() : null;
      this.windowFailures = percentage ? new LongAdder() : null;
      this.outlier = od;
    }
    OWNER.setRelease(this, successor); // after the old owner's successor was set
  }

  /** The owner, read with acquire semantics: see {@link #owner}. */
  PoolImpl ownerAcquire() {
    return (PoolImpl) OWNER.getAcquire(this);
  }

  /** The current health; a pick may see it a moment before or after the snapshot that uses it. */
  public BackendHealth health() {
    return health;
  }

  /** Replaces the health; only the control plane calls this, under the pool's lock. */
  void setHealth(BackendHealth next) {
    this.health = next;
  }

  boolean isMember() {
    return member;
  }

  /** Marks the backend removed from its pool; its timers find it gone and stop. */
  void leave() {
    this.member = false;
  }

  BackendSpec spec() {
    return spec;
  }

  /** The XXH64 of the backend's id. */
  public long idHash() {
    return idHash;
  }

  int consecutiveFailures() {
    return consecutiveFailures;
  }

  void resetConsecutiveFailures() {
    CONSECUTIVE_FAILURES.setVolatile(this, 0);
  }

  /** See {@link #unavailableFrom}: {@link Long#MAX_VALUE} while available. */
  public long unavailableFrom() {
    return unavailableFrom;
  }

  void setUnavailableFrom(long generation) {
    this.unavailableFrom = generation;
  }

  void setWeight(int weight) {
    this.weight = weight;
  }

  /** Counts one request in flight. */
  public void acquire() {
    LOAD.getAndAdd(this, 1L);
  }

  /** Takes one in-flight slot if fewer than {@code limit} are taken; exact under contention. */
  public boolean tryAcquire(int limit) {
    while (true) {
      long word = (long) LOAD.getVolatile(this);
      if ((int) word >= limit) {
        return false;
      }
      if (LOAD.compareAndSet(this, word, word + 1)) {
        return true;
      }
    }
  }

  /**
   * Releases one lease and records its outcome.
   *
   * @param status the HTTP status, or 0 when there was none
   * @param error the error kind, {@link ErrorKind#NONE} with a status, {@link ErrorKind#CANCELLED}
   *     when the lease was closed without an outcome
   * @param latencyNanos the latency, or -1 when it was not measured
   * @param now the ticker reading at release (read only if latency was measured)
   * @param decayNanos the EWMA time constant
   */
  public void release(int status, ErrorKind error, long latencyNanos, long now, long decayNanos) {
    if (error == ErrorKind.CANCELLED) {
      LOAD.getAndAdd(this, -1L);
      cancelled.increment();
      return;
    }
    long before = (long) LOAD.getAndAdd(this, COMPLETE);
    if (((before >>> 32) & EPOCH_MASK) == EPOCH_MASK) {
      EPOCHS.getAndAdd(this, 1L); // this completion began a new epoch: record it
    }
    if (error.isBackendFailure() || status >= 500) {
      failures.increment();
    }
    if (latencyNanos >= 0) {
      observeLatency(latencyNanos, now, decayNanos);
    }
    OutlierDetection od = outlier;
    if (od != null) {
      observeOutcome(od, status, error);
    }
  }

  /** Passive outlier detection: lock-free counting; only the failure that reaches the streak locks. */
  private void observeOutcome(OutlierDetection od, int status, ErrorKind error) {
    boolean failed = od.isFailure(status, error);
    LongAdder requests = windowRequests;
    LongAdder failedRequests = windowFailures;
    if (requests != null && failedRequests != null) {
      requests.increment();
      if (failed) {
        failedRequests.increment();
      }
    }
    if (failed) {
      int streak = (int) CONSECUTIVE_FAILURES.getAndAdd(this, 1) + 1;
      if (streak == od.consecutiveFailures()) {
        owner.onFailureStreak(this, streak, status, error);
      }
    } else if (consecutiveFailures != 0) {
      CONSECUTIVE_FAILURES.setVolatile(this, 0);
    }
  }

  /**
   * Peak EWMA (Finagle's {@code PeakEwma}, also Linkerd's): a sample above the estimate replaces it,
   * so a backend that turns slow is avoided at once; a lower one is blended in with weight {@code 1 -
   * exp(-dt / tau)}, where {@code dt} is the time since the previous sample, so an estimate recovers
   * within a few {@code tau}. Lock-free: the estimate is swapped with a CAS; the timestamp is written
   * after it, so a racing update may age one sample slightly wrong, which a heuristic tolerates.
   */
  private void observeLatency(long rtt, long now, long decayNanos) {
    while (true) {
      long current = (long) EWMA.getVolatile(this);
      long next;
      if (current == 0 || rtt >= current) {
        next = Math.max(1, rtt); // 0 means "no data yet"
      } else {
        double x = Math.max(0, now - (long) EWMA_STAMP.getOpaque(this)) / (double) decayNanos;
        double w = Decay.weight(x);
        next = Math.max(1, (long) (current * w + rtt * (1 - w)));
      }
      if (EWMA.compareAndSet(this, current, next)) {
        // Release, not volatile: readers only age the estimate with it; no fence needed after it.
        EWMA_STAMP.setRelease(this, now);
        return;
      }
    }
  }

  /**
   * Leases released with an outcome, exactly. The load word holds the count modulo 2^32; its bit 31
   * is the parity of the count's 2^31-wide epoch, and {@link BackendStateHot#completedEpochs} counts
   * the epochs recorded so far, by the release that began each one, just after its add. So the
   * recorded count lags the word by at most one epoch, for the moment between those two steps, and
   * the parity says whether it does.
   */
  long completed() {
    long epochs = (long) EPOCHS.getVolatile(this);
    long count = (long) LOAD.getVolatile(this) >>> 32;
    if ((epochs & 1) != (count >>> 31)) {
      epochs++; // the release that began this epoch has not recorded it yet
    }
    return (epochs << 31) + (count & EPOCH_MASK);
  }

  BackendStats stats() {
    // Every pick is in flight, completed or cancelled: no separate counter on the request path.
    BackendHealth h = health;
    long done = completed();
    long gaveUp = cancelled.sum();
    int open = inFlight();
    return new BackendStats(
        id,
        uri.toString(),
        weight,
        zone,
        h.status(),
        h.reason(),
        open,
        open + done + gaveUp,
        done,
        failures.sum(),
        gaveUp,
        ewmaNanos,
        h.ejection().total());
  }

  @Override
  public String toString() {
    return id;
  }
}
