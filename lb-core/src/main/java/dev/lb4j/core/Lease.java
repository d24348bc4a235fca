package dev.lb4j.core;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.routing.RouteMatch;
import org.jspecify.annotations.Nullable;

/**
 * One request's claim on one backend, from selection until the response is in.
 *
 * <p>While a lease is open it counts in its backend's {@link Backend#inFlight()}, which least-request
 * and bounded-load algorithms read. Completing it records the outcome (status or error kind, and the
 * latency measured from selection with the load balancer's {@link Ticker}) and releases it; closing
 * it releases it if it was not completed yet, counting the request as cancelled. A lease is released
 * exactly once however many times and in whatever order {@code complete}, {@code fail} and {@code
 * close} are called, so the canonical use is try-with-resources:
 *
 * <pre>{@code
 * try (Lease lease = lb.select(request).leaseOrThrow()) {
 *   int status = send(lease.backend().uri(), request);
 *   lease.complete(status);
 * }
 * }</pre>
 *
 * <p>A lease stays valid when its backend is drained or removed meanwhile: the request finishes
 * normally and its outcome is still recorded.
 *
 * <p>Thread-safety: a lease may be completed and closed from any thread, even concurrently; exactly
 * one call wins.
 *
 * <p>Sealed: only the engine creates leases.
 *
 * @since 0.1.0
 */
public sealed interface Lease extends Selection, AutoCloseable
    permits dev.lb4j.core.internal.LeaseImpl {

  /**
   * The backend this lease is on.
   *
   * @return the backend
   */
  Backend backend();

  /**
   * Records a response with the given status and releases the lease. The latency is the time since
   * selection, read from the load balancer's ticker.
   *
   * @param status the HTTP status, {@code 100..599}
   * @return {@code true} if this call recorded the outcome, {@code false} if the lease was already
   *     released
   * @throws IllegalArgumentException if the status is out of range (the lease stays open)
   */
  boolean complete(int status);

  /**
   * Records a failure without a response and releases the lease; the latency is the time since
   * selection.
   *
   * @param error why the call failed; {@link ErrorKind#CANCELLED} counts as cancelled, not failed
   * @return {@code true} if this call recorded the outcome
   * @throws IllegalArgumentException if {@code error} is {@link ErrorKind#NONE}
   */
  boolean fail(ErrorKind error);

  /**
   * Records a complete outcome, with a latency the caller measured, and releases the lease.
   *
   * @param outcome the outcome
   * @return {@code true} if this call recorded the outcome
   */
  boolean complete(Outcome outcome);

  /**
   * Whether the lease is still open (neither completed nor closed).
   *
   * @return {@code true} while open
   */
  boolean isOpen();

  /**
   * Releases the lease if it is still open, counting the request as cancelled. Idempotent; never
   * throws.
   */
  @Override
  void close();

  /**
   * Which attempt of its request this lease serves: 1 for a lease from a selection, one more than
   * the previous attempt's for a lease from {@link LoadBalancer#retry}.
   *
   * @return the attempt number, from 1
   * @since 0.1.0
   */
  int attempt();

  /**
   * The match that routed the request to this pool: the routing rule that matched, or the default
   * route ({@link LoadBalancer#select}) or host route ({@link LoadBalancer#selectByHost}) when none
   * did, whether or not the load balancer has routing rules or policies; a {@linkplain
   * LoadBalancer#retry retry} keeps the previous attempt's. {@code null} only for a lease that did
   * not go through routing ({@link Pool#select}). Use {@link RouteMatch#rewrite} for the path to
   * forward.
   *
   * @return the route match, or {@code null} for a lease from {@link Pool#select}
   */
  @Nullable RouteMatch route();

  /**
   * The request header edits the policies asked for, in policy order: apply them before forwarding.
   *
   * @return the edits, possibly none
   */
  HeaderChanges requestHeaders();

  /**
   * Runs the {@code onResponse} step of every policy that admitted this request, in reverse order
   * (the last to see the request is the first to see the response), and returns their combined
   * response header edits. A policy that throws is logged and skipped.
   *
   * @param request the request as forwarded (with {@link #requestHeaders()} applied)
   * @param response the backend's response
   * @return the edits to apply to the response, possibly none
   */
  HeaderChanges responseHeaders(RequestView request, ResponseView response);

  @Override
  default Lease leaseOrThrow() {
    return this;
  }
}
