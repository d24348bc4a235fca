package dev.lb4j.core.internal.pool;

/** The hot fields: see {@link BackendStateFields}. Updated through the VarHandles of {@link BackendState}. */
abstract class BackendStateHot extends BackendStateFields {

  /**
   * Leases open now (the low 32 bits) and leases released with an outcome, modulo 2^32 (the high
   * 32 bits): one word, so a release takes its in-flight slot back and counts its completion with
   * one atomic add. See {@link BackendState#completed()} for the exact 64-bit count.
   */
  volatile long load;

  /**
   * How many times the completion count's bit 31 went from 1 to 0 and back... precisely: how many
   * 2^31-wide epochs of completions have been recorded; see {@link BackendState#completed()}.
   */
  volatile long completedEpochs;

  /** A streak of failures, for outlier detection. */
  volatile int consecutiveFailures;

  /** The peak-EWMA latency estimate, 0 before the first sample. */
  volatile long ewmaNanos;

  /** When the estimate was last updated. */
  volatile long ewmaStampNanos;
}
