package dev.lb4j.core.routing;

import dev.lb4j.api.Policy;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a request goes: the rule that matched and its {@link RouteAction} (the pool, the route's own
 * policies, how the path is rewritten on the way). Immutable; the engine preallocates one per route
 * and pool, and one per custom rule and action, so routing allocates nothing.
 *
 * @since 0.1.0
 */
public final class RouteMatch {

  private final RoutingRule rule;
  private final RouteAction action;

  /**
   * Creates a match to a pool, with no policies of its own and no rewrite; the engine does this,
   * custom routers and tests may too.
   *
   * @param rule the rule that matched
   * @param pool the pool it chose
   */
  public RouteMatch(RoutingRule rule, String pool) {
    this(rule, RouteAction.to(Objects.requireNonNull(pool, "pool")));
  }

  /**
   * Creates a match for a rule's action; the engine does this for a rule's {@link
   * RoutingRule#action} answer, custom routers and tests may too.
   *
   * @param rule the rule that matched
   * @param action what it does with the request
   */
  public RouteMatch(RoutingRule rule, RouteAction action) {
    this.rule = Objects.requireNonNull(rule, "rule");
    this.action = Objects.requireNonNull(action, "action");
  }

  /**
   * Whether this is the load balancer's default route: no routing rule matched, and the request
   * goes to the default pool. A proxy in front of an application uses it to leave such requests to
   * the application. A rule of your own is never the default route, whatever its name.
   *
   * @return {@code true} for the default route
   */
  public boolean isDefault() {
    return dev.lb4j.core.internal.pipeline.PipelineSnapshot.isDefaultRoute(this);
  }

  /**
   * The rule that matched: a {@link Route}, or a custom {@link RoutingRule}.
   *
   * @return the rule
   */
  public RoutingRule rule() {
    return rule;
  }

  /**
   * What the rule does with the request: pool, policies, rewrite.
   *
   * @return the action
   */
  public RouteAction action() {
    return action;
  }

  /**
   * The pool the request goes to.
   *
   * @return the pool name
   */
  public String pool() {
    return action.pool();
  }

  /**
   * The route's own policies, which run after the load balancer's global ones.
   *
   * @return an immutable list, in order; empty when the route has none
   */
  public List<Policy> policies() {
    return action.policies();
  }

  /**
   * The path to forward: {@code path} with the route's prefix stripped or replaced, or {@code path}
   * itself when the route does not rewrite.
   *
   * @param path the request's path
   * @return the path to send to the backend
   */
  public String rewrite(String path) {
    @Nullable String from = action.rewritePrefix();
    @Nullable String to = action.rewriteReplacement();
    if (from == null || to == null || !path.startsWith(from)) {
      return path;
    }
    String rest = path.substring(from.length());
    if (to.endsWith("/") && rest.startsWith("/")) {
      rest = rest.substring(1); // no "//" where the prefix ended in a segment
    } else if (from.endsWith("/") && !to.endsWith("/") && !rest.isEmpty()) {
      return to + "/" + rest; // keep the segment boundary the prefix ended with
    }
    return to + rest;
  }

  @Override
  public String toString() {
    String from = action.rewritePrefix();
    return rule.name() + " -> " + pool()
        + (from == null ? "" : " (rewrite " + from + " -> " + action.rewriteReplacement() + ")");
  }
}
