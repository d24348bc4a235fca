package dev.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether a request matches and, if so, which pool it goes to, and (optionally) which
 * policies run for it and how its path is rewritten.
 *
 * <p>The engine asks its rules in order and sends the request to the pool named by the first rule
 * that answers. Rules are compiled configuration: immutable and thread-safe; {@link #route} and
 * {@link #action} are on the request path, so they must not block, perform I/O or allocate in
 * steady state.
 *
 * <p>A rule that only picks a pool implements {@link #route}. A rule that also needs per-route
 * policies or a path rewrite, as the built-in routes have, overrides {@link #action} as well, with
 * {@code route} answering {@code action}'s pool:
 *
 * <pre>{@code
 * public @Nullable RouteAction action(RequestView request) {
 *   return request.header("X-Beta") != null ? beta : null; // built once, with policies and rewrite
 * }
 *
 * public @Nullable String route(RequestView request) {
 *   RouteAction action = action(request);
 *   return action == null ? null : action.pool();
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public interface RoutingRule {

  /**
   * The rule's name, shown in explain traces and stats.
   *
   * @return the name
   */
  String name();

  /**
   * Routes the request.
   *
   * @param request the request
   * @return the name of the pool the request goes to, or {@code null} when this rule does not match
   */
  @Nullable String route(RequestView request);

  /**
   * Routes the request to an action: the pool, the policies that run for it after the global ones,
   * and the path rewrite. The engine calls this method, not {@link #route}; the default wraps
   * {@link #route}'s pool in an action with no policies and no rewrite. Return the same instances
   * for the same outcome (see {@link RouteAction}) so routing allocates nothing.
   *
   * @param request the request
   * @return the action, or {@code null} when this rule does not match
   */
  default @Nullable RouteAction action(RequestView request) {
    String pool = route(request);
    return pool == null ? null : RouteAction.to(pool);
  }
}
