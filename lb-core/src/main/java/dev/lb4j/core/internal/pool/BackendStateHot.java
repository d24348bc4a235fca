package dev.lb4j.core.internal.pool;

/** The hot fields: see {@link BackendStateFields}. Updated through the VarHandles of {@link BackendState}. */
abstract class BackendStateHot extends BackendStateFields {

  /** Leases open now. */
  volatile int inFlight;

  /** A streak of failures, for outlier detection. */
  volatile int consecutiveFailures;

  /** Leases released with an outcome. */
  volatile long completed;

  /** The peak-EWMA latency estimate, 0 before the first sample. */
  volatile long ewmaNanos;

  /** When the estimate was last updated. */
  volatile long ewmaStampNanos;
}
