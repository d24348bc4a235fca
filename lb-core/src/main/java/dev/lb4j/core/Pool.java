package dev.lb4j.core;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import java.util.Collection;
import java.util.List;

/**
 * A named set of backends balanced by one algorithm. Obtain pools from {@link
 * LoadBalancer#pool(String)}; hold on to the handle to skip the by-name lookup on every request.
 *
 * <p>Thread-safety: every method may be called from any thread. Selection reads one immutable
 * picker snapshot and never locks.
 *
 * @since 0.1.0
 */
public interface Pool {

  /**
   * The pool's name.
   *
   * @return the name
   */
  String name();

  /**
   * The pool's algorithm.
   *
   * @return the algorithm
   */
  Algorithm algorithm();

  /**
   * Selects a backend for a request.
   *
   * @param request the request
   * @return a lease, or why there is none
   */
  Selection select(RequestView request);

  /**
   * Selects a backend for a retry, avoiding backends already tried. Backends are compared by id.
   *
   * @param request the request
   * @param exclude backends the request must not go to again (for example the backends of earlier
   *     leases); when every available backend is excluded the result is {@link
   *     NoBackend.Reason#ALL_EXCLUDED}
   * @return a lease, or why there is none
   */
  Selection select(RequestView request, Collection<? extends Backend> exclude);

  /**
   * The current members of the pool, draining ones included, in configuration order.
   *
   * @return an immutable list
   */
  List<Backend> backends();

  /**
   * A snapshot of the pool's counters.
   *
   * @return the stats
   */
  PoolStats stats();
}
