package dev.lb4j.core;

/**
 * The result of selecting a backend: a {@link Lease} on one backend, {@link NoBackend} saying why
 * none was available, or {@link Rejected} when a policy refused the request. Neither refusal is an
 * error on the request path, so both are values, not exceptions, and the three are the only kinds:
 *
 * <pre>{@code
 * Selection selection = lb.select(request);
 * if (selection instanceof Lease lease) {
 *   try (lease) {
 *     // send the request to lease.backend().uri(), then:
 *     lease.complete(status);
 *   }
 * } else if (selection instanceof Rejected rejected) {
 *   // answer rejected.status() with rejected.responseHeaders(), without forwarding
 * } else if (selection instanceof NoBackend none) {
 *   // answer 503 with none.message()
 * }
 * }</pre>
 *
 * <p>Or let {@link #leaseOrThrow()} turn the refusals into exceptions.
 *
 * <p>Sealed: only the engine implements it ({@link Lease} through its own implementation).
 *
 * @since 0.1.0
 */
public sealed interface Selection permits Lease, NoBackend, Rejected {

  /**
   * The name of the pool the selection was made in.
   *
   * @return the pool name
   */
  String pool();

  /**
   * This selection as a lease, for callers that prefer an exception when no backend is available.
   *
   * @return this lease
   * @throws NoBackendAvailableException if this is a {@link NoBackend}
   * @throws RequestRejectedException if this is a {@link Rejected}
   */
  Lease leaseOrThrow();
}
