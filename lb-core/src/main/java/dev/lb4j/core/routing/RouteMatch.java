package dev.lb4j.core.routing;

import dev.lb4j.api.RoutingRule;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where a request goes: the rule that matched and the pool it chose, plus how the path is rewritten
 * on the way. Immutable; the engine preallocates one per route and pool, so routing allocates nothing.
 *
 * @since 0.1.0
 */
public final class RouteMatch {

  private final RoutingRule rule;
  private final String pool;
  private final @Nullable String prefix;
  private final @Nullable String replacement;

  /**
   * Creates a match; the engine does this, custom routers and tests may too.
   *
   * @param rule the rule that matched
   * @param pool the pool it chose
   */
  public RouteMatch(RoutingRule rule, String pool) {
    this(rule, pool, null, null);
  }

  RouteMatch(RoutingRule rule, String pool, @Nullable String prefix, @Nullable String replacement) {
    this.rule = Objects.requireNonNull(rule, "rule");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.prefix = prefix;
    this.replacement = replacement;
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
   * The pool the request goes to.
   *
   * @return the pool name
   */
  public String pool() {
    return pool;
  }

  /**
   * The path to forward: {@code path} with the route's prefix stripped or replaced, or {@code path}
   * itself when the route does not rewrite.
   *
   * @param path the request's path
   * @return the path to send to the backend
   */
  public String rewrite(String path) {
    String from = prefix;
    String to = replacement;
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
    return rule.name() + " -> " + pool + (prefix == null ? "" : " (rewrite " + prefix + " -> " + replacement + ")");
  }
}
