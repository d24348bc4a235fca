/**
 * Health: active checking ({@link dev.lb4j.core.health.HealthCheck}, {@link
 * dev.lb4j.core.health.TcpProbe}), passive outlier detection ({@link
 * dev.lb4j.core.health.OutlierDetection}), slow start ({@link dev.lb4j.core.health.SlowStart}), panic
 * mode ({@link dev.lb4j.core.health.PanicMode}) and the events they publish ({@link
 * dev.lb4j.core.health.HealthEvent}).
 *
 * <p>Every signal feeds one state per backend ({@link dev.lb4j.core.BackendStatus}), with a documented
 * precedence: an operator's decision beats passive ejection, which beats the active probe, which
 * beats slow start. Configure them per pool on {@link dev.lb4j.core.PoolBuilder}; all timed work runs
 * on the load balancer's {@link dev.lb4j.core.Scheduler} and reads its {@link dev.lb4j.core.Ticker},
 * both injectable so tests control time.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core.health;

import org.jspecify.annotations.NullMarked;
