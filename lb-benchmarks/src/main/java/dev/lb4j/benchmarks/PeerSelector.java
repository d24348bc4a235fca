package dev.lb4j.benchmarks;

/**
 * One peer library's load balancer over the {@link Workload} backends, reduced to the selection call
 * its own clients make per request. Implementations prebuild everything request-shaped (arguments,
 * metadata, invocations) for each of the {@value Workload#KEY_COUNT} keys, so a selection measures
 * the peer's algorithm and the data structures it walks, not request construction.
 *
 * <p>Thread-safety: {@link #select} is called from the benchmark threads concurrently, as the peer's
 * own selector would be.
 */
public interface PeerSelector extends AutoCloseable {

  /**
   * Makes one selection, through the peer's public API, for the request carrying key {@code key}.
   * Algorithms that do not hash ignore the key.
   *
   * @param key the key's index in {@link Workload#keys()}
   * @return what the peer returned (a server, an endpoint, a pick result...), never {@code null}
   */
  Object select(int key);

  /**
   * The port of the backend a selection chose, so tests can check it is one of the configured
   * backends ({@link Workload#port}).
   *
   * @param selected a value {@link #select} returned
   * @return the backend's port
   */
  int portOf(Object selected);

  /** Frees the peer's resources, if it holds any. */
  @Override
  default void close() {}
}
