package dev.lb4j.core;

/**
 * Runtime changes to a running {@link LoadBalancer}. Every change takes effect atomically: the pool
 * publishes a new picker snapshot, and selections in progress finish on the old one. Leases already
 * open are never disturbed.
 *
 * <p>Thread-safety: changes to one pool are serialized; selection never waits for them.
 *
 * <p>Timing: every call runs on the caller's thread and returns <em>after</em> the new snapshot is
 * published, so any selection that starts after the call returns, on any thread, sees the change.
 * Publishing rebuilds the pool's picker when the set of available backends or a weight changes,
 * which for a large consistent-hashing table (Maglev, ring hash) takes milliseconds: call these from
 * an admin or background thread, not from a latency-sensitive one. The engine itself never rebuilds
 * on a request thread: changes that traffic triggers (passive outlier ejection) are applied on the
 * load balancer's scheduler while the previous picker keeps serving.
 *
 * <p>Errors: an unknown pool or backend id, or an invalid value, throws {@link
 * IllegalArgumentException} naming it; the pool is left unchanged.
 *
 * @since 0.1.0
 */
public interface Admin {

  /**
   * Adds a backend to a pool.
   *
   * @param pool the pool name
   * @param backend the backend; its id must be new in the pool
   */
  void addBackend(String pool, BackendSpec backend);

  /**
   * Removes a backend from a pool. Its open leases finish normally and are still counted.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   */
  void removeBackend(String pool, String backendId);

  /**
   * Changes a backend's weight.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   * @param weight {@value BackendSpec#MIN_WEIGHT}..{@value BackendSpec#MAX_WEIGHT}; the pool's
   *     algorithm must honour weights unless every backend ends up with the same weight
   */
  void setWeight(String pool, String backendId, int weight);

  /**
   * Stops sending new requests to a backend; requests in flight finish normally. Idempotent.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   */
  void drain(String pool, String backendId);

  /**
   * Lets a drained backend take new requests again. Idempotent.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   */
  void undrain(String pool, String backendId);

  /**
   * Takes a backend out of service for maintenance: no new requests, and no active probes until it
   * is enabled again. Requests in flight finish normally. Takes precedence over every health signal
   * and over panic mode. Idempotent.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   */
  void disable(String pool, String backendId);

  /**
   * Puts a disabled backend back in service; probing resumes. With a health check that waits for the
   * first probe ({@code WAIT_FOR_FIRST_PROBE}), it takes traffic only once a probe passes, as a new
   * backend would (it may have been restarted during maintenance); otherwise it keeps its last
   * verdict. Slow start, if configured, then ramps it up. Idempotent.
   *
   * @param pool the pool name
   * @param backendId the backend's id
   */
  void enable(String pool, String backendId);

  /**
   * Makes the pool's backends exactly {@code backends}, atomically (one new picker): new ids are
   * added, missing ids removed, a backend whose URI, zone or metadata changed is replaced, one whose
   * weight alone changed is re-weighted and keeps its state. Unchanged backends are not touched: their
   * health, ejection history and slow-start ramp carry on, so applying the same list again (a config
   * reload, a discovery refresh) changes nothing. Validated as a whole first; on error nothing
   * changes.
   *
   * @param pool the pool name
   * @param backends the complete new list; ids unique
   */
  void setBackends(String pool, java.util.List<BackendSpec> backends);
}
