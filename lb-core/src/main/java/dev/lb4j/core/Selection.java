package dev.lb4j.core;

/**
 * The result of selecting a backend: either a {@link Lease} on one backend, or {@link NoBackend}
 * saying why none was available. "No backend" is an expected outcome, so it is a value, not an
 * exception:
 *
 * <pre>{@code
 * Selection selection = lb.select(request);
 * if (selection instanceof Lease lease) {
 *   try (lease) {
 *     // send the request to lease.backend().uri(), then:
 *     lease.complete(status);
 *   }
 * } else {
 *   NoBackend none = (NoBackend) selection; // answer 503 with none.message()
 * }
 * }</pre>
 *
 * <p>Only the engine implements this interface.
 *
 * @since 0.1.0
 */
public interface Selection {

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
   */
  Lease leaseOrThrow();
}
