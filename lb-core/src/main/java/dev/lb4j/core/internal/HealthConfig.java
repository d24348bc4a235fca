package dev.lb4j.core.internal;

import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.PanicMode;
import dev.lb4j.core.health.SlowStart;
import org.jspecify.annotations.Nullable;

/**
 * The health settings of one pool.
 *
 * @param check active checking, or null
 * @param outlier passive checking, or null
 * @param slowStart the ramp, or null
 * @param panicThreshold percent of healthy backends below which the pool panics; 0 = never
 * @param panicMode what panic does
 * @param maxRequests requests in flight the pool admits, 0 for no limit
 * @param maxRequestsPerBackend requests in flight each backend admits, 0 for no limit
 */
public record HealthConfig(
    @Nullable HealthCheck check,
    @Nullable OutlierDetection outlier,
    @Nullable SlowStart slowStart,
    int panicThreshold,
    PanicMode panicMode,
    long maxRequests,
    int maxRequestsPerBackend) {

  /** The default panic threshold, Envoy's: 50%. */
  public static final int DEFAULT_PANIC_THRESHOLD = 50;

  /** No health checking, default panic settings. */
  public static final HealthConfig NONE =
      new HealthConfig(null, null, null, DEFAULT_PANIC_THRESHOLD, PanicMode.BALANCE_ALL, 0, 0);

  /** Whether the pool needs a scheduler. */
  public boolean needsScheduler() {
    return check != null || outlier != null || slowStart != null;
  }
}
