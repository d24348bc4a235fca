package dev.lb4j.core.health;

import dev.lb4j.core.BackendStatus;
import java.util.Objects;

/**
 * Something changed in the health or membership of a pool. Immutable.
 *
 * @since 0.1.0
 */
public sealed interface HealthEvent
    permits HealthEvent.StatusChanged,
        HealthEvent.PanicChanged,
        HealthEvent.BackendAdded,
        HealthEvent.BackendRemoved {

  /**
   * The pool.
   *
   * @return the pool name
   */
  String pool();

  /**
   * Why it changed, for operators: which probe and how it failed, how many failures, which admin
   * call.
   *
   * @return the reason
   */
  String reason();

  /**
   * The ticker reading when it changed.
   *
   * @return nanoseconds of the load balancer's ticker
   */
  long nanoTime();

  /**
   * A backend's state changed.
   *
   * @param pool the pool
   * @param backendId the backend
   * @param from the state before
   * @param to the state after; differs from {@code from}
   * @param reason why
   * @param nanoTime the ticker reading
   */
  record StatusChanged(
      String pool, String backendId, BackendStatus from, BackendStatus to, String reason,
      long nanoTime)
      implements HealthEvent {

    /**
     * Checks the components.
     *
     * @param pool the pool
     * @param backendId the backend
     * @param from the state before
     * @param to the state after
     * @param reason why
     * @param nanoTime the ticker reading
     */
    public StatusChanged {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(backendId, "backendId");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A pool entered or left panic mode.
   *
   * @param pool the pool
   * @param panic {@code true} when entering panic mode, {@code false} when leaving it
   * @param healthy serving backends at the change
   * @param eligible backends that are neither disabled nor draining
   * @param reason the numbers and the threshold in words
   * @param nanoTime the ticker reading
   */
  record PanicChanged(
      String pool, boolean panic, int healthy, int eligible, String reason, long nanoTime)
      implements HealthEvent {

    /**
     * Checks the components.
     *
     * @param pool the pool
     * @param panic entering or leaving
     * @param healthy serving backends
     * @param eligible backends neither disabled nor draining
     * @param reason why
     * @param nanoTime the ticker reading
     */
    public PanicChanged {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A backend joined the pool (added, or a replacement through {@code Admin.setBackends}).
   *
   * @param pool the pool
   * @param backendId the backend
   * @param status its first state
   * @param reason why it joined and why it is in that state
   * @param nanoTime the ticker reading
   */
  record BackendAdded(String pool, String backendId, BackendStatus status, String reason, long nanoTime)
      implements HealthEvent {

    /**
     * Checks the components.
     *
     * @param pool the pool
     * @param backendId the backend
     * @param status its first state
     * @param reason why
     * @param nanoTime the ticker reading
     */
    public BackendAdded {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(backendId, "backendId");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A backend left the pool; its requests in flight finish normally.
   *
   * @param pool the pool
   * @param backendId the backend
   * @param lastStatus its state when it left
   * @param reason why it left
   * @param nanoTime the ticker reading
   */
  record BackendRemoved(
      String pool, String backendId, BackendStatus lastStatus, String reason, long nanoTime)
      implements HealthEvent {

    /**
     * Checks the components.
     *
     * @param pool the pool
     * @param backendId the backend
     * @param lastStatus its state when it left
     * @param reason why
     * @param nanoTime the ticker reading
     */
    public BackendRemoved {
      Objects.requireNonNull(pool, "pool");
      Objects.requireNonNull(backendId, "backendId");
      Objects.requireNonNull(lastStatus, "lastStatus");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
