package dev.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * Chooses one backend for one request, out of the fixed {@link BackendSet} it was built for.
 *
 * <p>A picker is an immutable snapshot: membership, weights, tables and rings are all computed when
 * {@link Algorithm#newPicker} builds it. When anything about the pool changes, the engine builds a
 * new picker and publishes it; the old one keeps working for picks already in progress.
 *
 * <p>Contract: {@link #pick} is called concurrently from any number of threads. It must not block,
 * lock, perform I/O or allocate in steady state; it may read the live load of backends and update
 * its own atomic counters. It returns one of the backends of its set, or {@code null} when no
 * acceptable backend exists (all are {@linkplain PickContext#isExcluded excluded}). The engine checks
 * the answer and reports an algorithm that returns a backend it was not given.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface Picker {

  /**
   * Picks a backend for the request described by {@code context}.
   *
   * @param context the request, its hash (when the pool hashes) and the backends to avoid
   * @return a backend of this picker's set that is not excluded, or {@code null} if there is none
   */
  @Nullable Backend pick(PickContext context);
}
