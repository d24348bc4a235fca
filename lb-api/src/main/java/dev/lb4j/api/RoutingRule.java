package dev.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * Decides whether a request matches and, if so, which pool it goes to.
 *
 * <p>The engine asks its rules in order and sends the request to the pool named by the first rule
 * that answers. Rules are compiled configuration: immutable and thread-safe; {@link #route} is on the
 * request path, so it must not block, perform I/O or allocate in steady state.
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
}
