package dev.lb4j.core.internal;

import dev.lb4j.core.LoadBalancerObserver;
import dev.lb4j.core.Ticker;
import org.jspecify.annotations.Nullable;

/**
 * What every pool of one load balancer shares and no reconfiguration changes: the clock, the
 * latency EWMA's time constant, and whether backends keep latency statistics when their algorithm
 * does not read latency.
 *
 * @param ticker the engine's clock
 * @param latencyDecayNanos the EWMA time constant
 * @param latencyStats whether the latency EWMA is kept for stats even if no algorithm reads it
 * @param observer the observer, or null
 */
public record EngineSettings(
    Ticker ticker,
    long latencyDecayNanos,
    boolean latencyStats,
    @Nullable LoadBalancerObserver observer) {

  /** Whether leases must measure latency whatever the algorithm: for stats or for the observer. */
  public boolean measuresLatency() {
    LoadBalancerObserver o = observer;
    return latencyStats || (o != null && o.needsLatency());
  }
}
