package dev.lb4j.api;

import java.net.URI;
import java.util.Map;

/**
 * A read-only view of one backend of a pool: its identity and configuration, and its live load.
 *
 * <p>The engine implements this interface; algorithms, probes and policies only read it. Identity
 * ({@link #id()}) is stable for the life of the backend in its pool; configuration ({@link #weight()})
 * may change at runtime through the admin API, which always publishes a new picker; live load
 * ({@link #inFlight()}, {@link #latencyEwmaNanos()}) changes with every request and is read without
 * locking.
 *
 * <p>Thread-safety: every method may be called from any thread at any time. Reads of live load are
 * individually atomic but not consistent with each other.
 *
 * @since 0.1.0
 */
public interface Backend {

  /**
   * The backend's stable identifier, unique within its pool. Consistent-hashing algorithms hash this
   * string, so every process that balances the same pool places a key on the same backend. By
   * default it is {@code host:port} of the URI ({@code [v6addr]:port} for IPv6 literals), the same
   * string Envoy hashes for an endpoint address.
   *
   * @return the id, never empty
   */
  String id();

  /**
   * The base URI requests to this backend are sent to ({@code http} or {@code https}, with a host).
   *
   * @return the URI
   */
  URI uri();

  /**
   * The configured weight, {@code 1..10000}. Weighted algorithms give a backend a share of traffic
   * proportional to it; unweighted algorithms refuse pools whose weights differ.
   *
   * @return the weight
   */
  int weight();

  /**
   * The zone (failure domain) the backend lives in, or the empty string when none was configured.
   *
   * @return the zone, never null
   */
  String zone();

  /**
   * Free-form metadata configured for the backend, for routing rules and user algorithms.
   *
   * @return an immutable map, possibly empty
   */
  Map<String, String> metadata();

  /**
   * The number of requests currently in flight to this backend: leases opened and not yet closed.
   *
   * @return the in-flight count, never negative
   */
  int inFlight();

  /**
   * The backend's peak-sensitive latency estimate in nanoseconds, as of the last completed request,
   * or 0 when no request has completed yet.
   *
   * <p>The estimate follows Finagle's peak EWMA: a latency above the estimate replaces it at once; a
   * lower one is blended in with a weight that decays exponentially with the time since the previous
   * observation. See {@link #latencyStampNanos()} for decaying it further at pick time.
   *
   * @return the estimate in nanoseconds, {@code >= 0}
   */
  long latencyEwmaNanos();

  /**
   * The ticker reading (nanoseconds) at which {@link #latencyEwmaNanos()} was last updated; only
   * meaningful when the estimate is non-zero.
   *
   * @return the ticker reading of the last update
   */
  long latencyStampNanos();
}
