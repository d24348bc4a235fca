package dev.lb4j.core.internal.pool;

import dev.lb4j.core.internal.health.BackendHealth;
import org.jspecify.annotations.Nullable;

/**
 * A component that owns timed work of a pool (probe loops, ejection ends, slow-start windows) and
 * keeps it in step with committed changes. Called by {@link ControlPlane#commit} under the pool's
 * lock, after the change is published; must not throw.
 */
interface HealthTimers {

  /**
   * A member's health changed, or it joined ({@code before} null).
   *
   * @param b the backend
   * @param before its health before the change, or null if it just joined
   * @param after its health now
   * @param now the ticker reading of the change
   */
  void onChange(
      BackendState b, @Nullable BackendHealth before, BackendHealth after, long now);

  /** A member left the pool: stop its timed work. */
  void onRemoved(BackendState b);

  /** The pool closes: stop all timed work. */
  void close();
}
