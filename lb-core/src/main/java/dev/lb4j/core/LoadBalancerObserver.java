package dev.lb4j.core;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.health.HealthEvent;

/**
 * Hears what the engine decides, for metrics, tracing and dashboards: every lease released (with
 * its outcome and latency), every request a policy rejects, every selection that finds no backend,
 * every retry, and every health event. Install one with {@link LoadBalancerBuilder#observer}; with
 * none installed the engine does not call anything (a null check per event).
 *
 * <p>Every method has an empty default, so an observer implements what it needs. The engine calls
 * them on the thread that caused the event (the thread that releases a lease, the selecting thread,
 * the thread delivering health events), concurrently from many threads: keep them quick, lock-free
 * and non-blocking, and do not select or release leases from them. An exception an observer throws
 * is caught and logged (the 1st, 2nd, 4th, 8th... time) and never affects the request.
 *
 * @since 0.1.0
 */
public interface LoadBalancerObserver {

  /**
   * Whether {@link #leaseReleased} needs the latency. With {@code true} (the default) every lease
   * measures its latency, two clock reads per request, even where no algorithm or statistic needs
   * it; with {@code false}, latency is passed only where it is measured anyway, else -1.
   *
   * @return whether to measure latency for this observer
   */
  default boolean needsLatency() {
    return true;
  }

  /**
   * A lease was released: completed with a status, failed with an error, or closed without an
   * outcome ({@link ErrorKind#CANCELLED}). Called once per lease, after its backend's counters were
   * updated.
   *
   * @param lease the lease: its pool, backend, route and {@linkplain Lease#attempt() attempt}
   * @param status the HTTP status, or 0 when there was none
   * @param error {@link ErrorKind#NONE} with a status, the failure otherwise, {@link
   *     ErrorKind#CANCELLED} when the lease was closed without an outcome
   * @param latencyNanos the latency, or -1 when it was not measured (cancelled leases, or latency
   *     not measured at all: see {@link #needsLatency()})
   */
  default void leaseReleased(Lease lease, int status, ErrorKind error, long latencyNanos) {}

  /**
   * A policy rejected a request.
   *
   * @param request the request
   * @param rejected the rejection: pool, policy, status and reason
   */
  default void rejected(RequestView request, Rejected rejected) {}

  /**
   * A selection found no backend (also: no route, closed, concurrency limit).
   *
   * @param request the request
   * @param noBackend why: pool and {@linkplain NoBackend#reason() reason}
   */
  default void noBackend(RequestView request, NoBackend noBackend) {}

  /**
   * A retry was granted a lease ({@link LoadBalancer#retry}).
   *
   * @param previous the previous attempt's lease
   * @param next the retry's lease
   */
  default void retried(Lease previous, Lease next) {}

  /**
   * A health event, as a {@link dev.lb4j.core.health.HealthListener} receives it (and with the
   * same delivery guarantees).
   *
   * @param event the event
   */
  default void healthChanged(HealthEvent event) {}
}
