package dev.lb4j.core.internal.pipeline;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.routing.RouteMatch;
import org.jspecify.annotations.Nullable;

/**
 * The last routing step of the {@link RequestPipeline}: where a request goes when no routing rule
 * matches it, or when the rule that matched names a pool the configuration does not have (later
 * rules are not tried). The only difference between {@code LoadBalancer.select} and its client-side
 * twin {@code selectByHost}: both run the same pipeline, each with its own fallback.
 */
public enum Fallback {

  /** The default pool's route, when there is a default pool: what a server-side proxy does. */
  DEFAULT_POOL {
    @Override
    @Nullable RouteMatch route(PipelineSnapshot snapshot, RequestView request) {
      return snapshot.defaultMatch();
    }

    @Override
    NoBackend noRoute(PipelineSnapshot snapshot, RequestView request) {
      return snapshot.noRoute();
    }
  },

  /**
   * The pool the request's host names (exactly, else ignoring case unless two pools' names differ
   * only in case), never the default pool: what a client-side adapter does with {@code
   * http://api/users}.
   */
  HOST_POOL {
    @Override
    @Nullable RouteMatch route(PipelineSnapshot snapshot, RequestView request) {
      return snapshot.hostMatch(request.host());
    }

    @Override
    NoBackend noRoute(PipelineSnapshot snapshot, RequestView request) {
      return new NoBackend(
          "",
          NoBackend.Reason.NO_ROUTE,
          "host '" + request.host() + "' names no pool and no routing rule matches the request "
              + request.method() + " " + request.path() + " (pools: "
              + snapshot.pools().keySet() + ")");
    }
  };

  /** Where the request goes, or {@code null} for no route. Allocates nothing. */
  abstract @Nullable RouteMatch route(PipelineSnapshot snapshot, RequestView request);

  /** The answer for a request that has no route. */
  abstract NoBackend noRoute(PipelineSnapshot snapshot, RequestView request);
}
