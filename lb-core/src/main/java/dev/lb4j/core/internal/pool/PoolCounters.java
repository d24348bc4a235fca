package dev.lb4j.core.internal.pool;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A pool's counters, shared by the request path (lock-free adders), the concurrency limits, the
 * outlier detector and the stats. Every rejected, failed or retried selection is counted here.
 */
final class PoolCounters {
  /** Leases open now (exact once every lease is released). */
  final LongAdder inFlight = new LongAdder();
  /** Selections that found no backend, whatever the reason. */
  final LongAdder noBackend = new LongAdder();
  /** Selections of a hashing pool whose request had no key. */
  final LongAdder hashKeyMisses = new LongAdder();
  /** Selections refused by a concurrency limit. */
  final LongAdder overLimit = new LongAdder();
  /** Selections made for retries. */
  final LongAdder retries = new LongAdder();
  /** Algorithm contract breaches and failures; error path only, exact for the log throttle. */
  final AtomicLong algorithmErrors = new AtomicLong();
  /** Ejections the cap refused. */
  final AtomicLong ejectionsRefused = new AtomicLong();
}
