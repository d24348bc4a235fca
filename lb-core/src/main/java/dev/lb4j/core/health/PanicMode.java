package dev.lb4j.core.health;

/**
 * What a pool does when too few of its backends are healthy (see {@code
 * PoolBuilder.panicThreshold}).
 *
 * @since 0.1.0
 */
public enum PanicMode {
  /**
   * Balance over every backend that an operator has not disabled or drained, healthy or not, as
   * Envoy does: spreading load over backends that may be fine (a probe path can fail while traffic
   * succeeds) beats crushing the few that are left. The default.
   */
  BALANCE_ALL,
  /** Select nothing: every selection reports {@code NoBackend.Reason.TOO_FEW_HEALTHY}. */
  FAIL_FAST
}
