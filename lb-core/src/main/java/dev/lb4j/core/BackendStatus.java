package dev.lb4j.core;

/**
 * The one state of a backend, derived from every signal the engine has about it. Constants are
 * declared in precedence order: when several signals apply, the first one listed wins. An operator's
 * decision (disable, drain) always beats what health signals say, and a passive ejection beats the
 * active probe's verdict because it reflects real traffic.
 *
 * <p>Only {@link #WARMING} and {@link #HEALTHY} backends take new requests, except in panic mode (see
 * {@link PoolBuilder#panicThreshold(int)}), where {@link #EJECTED} and {@link #UNHEALTHY} ones do too.
 * {@link #DISABLED} and {@link #DRAINING} backends never take new requests; requests already in flight
 * to them finish normally.
 *
 * @since 0.1.0
 */
public enum BackendStatus {
  /** Disabled through {@link Admin#disable}: no new requests, no active probes (maintenance). */
  DISABLED,
  /** Drained through {@link Admin#drain}: no new requests; active probes continue. */
  DRAINING,
  /** Ejected by passive outlier detection until its ejection time ends. */
  EJECTED,
  /** Failed the active health check (or has not passed its first probe yet). */
  UNHEALTHY,
  /** Serving, at a reduced share that ramps up over the pool's slow-start window. */
  WARMING,
  /** Serving at its full share. */
  HEALTHY;

  /**
   * Whether a backend in this state takes new requests outside panic mode.
   *
   * @return {@code true} for {@link #WARMING} and {@link #HEALTHY}
   */
  public boolean isServing() {
    return this == WARMING || this == HEALTHY;
  }

  /**
   * Whether an operator took this backend out of service ({@link #DISABLED} or {@link #DRAINING}).
   * Panic mode never sends requests to such a backend.
   *
   * @return {@code true} for the admin states
   */
  public boolean isAdminState() {
    return this == DISABLED || this == DRAINING;
  }
}
