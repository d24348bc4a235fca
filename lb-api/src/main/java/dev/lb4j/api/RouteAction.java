package dev.lb4j.api;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link RoutingRule} does with a request it matched: the pool it goes to, the policies that
 * run for it (after the load balancer's global policies, in order), and an optional path rewrite
 * (the matched prefix replaced before forwarding). Everything a built-in route can do, as a value a
 * plugin rule returns. Immutable; equal when pool, policies and rewrite are equal.
 *
 * <p>Build actions once, when the rule is built, and return the same instances per request: the
 * engine keeps its per-action state (the policy chain, the route match) keyed by the action, so
 * routing then allocates nothing.
 *
 * <pre>{@code
 * private final RouteAction beta = RouteAction.to("api-beta")
 *     .withPolicies(List.of(betaRateLimit))
 *     .withPrefixRewrite("/beta/", "/");
 *
 * public @Nullable RouteAction action(RequestView request) {
 *   return isBetaUser(request) ? beta : null;
 * }
 * }</pre>
 *
 * @param pool the name of the pool the request goes to
 * @param policies the policies that run for the request after the global ones, in order
 * @param rewritePrefix the path prefix to replace before forwarding, or {@code null} for no rewrite
 * @param rewriteReplacement what replaces {@code rewritePrefix}, or {@code null} for no rewrite
 * @since 0.1.0
 */
public record RouteAction(
    String pool,
    List<Policy> policies,
    @Nullable String rewritePrefix,
    @Nullable String rewriteReplacement) {

  /**
   * Validates the action and copies the policies.
   *
   * @param pool the pool name, not empty
   * @param policies the policies, none null
   * @param rewritePrefix a path starting with {@code /}, or {@code null}
   * @param rewriteReplacement a path starting with {@code /}; {@code null} exactly when {@code
   *     rewritePrefix} is
   * @throws IllegalArgumentException naming the invalid field
   */
  public RouteAction {
    Objects.requireNonNull(pool, "pool");
    if (pool.isEmpty()) {
      throw new IllegalArgumentException("pool: '' (expected: a pool name)");
    }
    policies = List.copyOf(Objects.requireNonNull(policies, "policies"));
    if ((rewritePrefix == null) != (rewriteReplacement == null)) {
      throw new IllegalArgumentException(
          "rewrite: prefix " + rewritePrefix + ", replacement " + rewriteReplacement
              + " (expected: both set or neither)");
    }
    checkPath("rewritePrefix", rewritePrefix);
    checkPath("rewriteReplacement", rewriteReplacement);
  }

  private static void checkPath(String field, @Nullable String path) {
    if (path != null && !path.startsWith("/")) {
      throw new IllegalArgumentException(
          field + ": '" + path + "' (expected: a path starting with '/')");
    }
  }

  /**
   * Sends the request to {@code pool}, with no policies of its own and no rewrite.
   *
   * @param pool the pool name
   * @return the action
   */
  public static RouteAction to(String pool) {
    return new RouteAction(pool, List.of(), null, null);
  }

  /**
   * This action with these policies, which run after the load balancer's global ones. A policy
   * that is also global runs twice.
   *
   * @param policies the policies, in order
   * @return a new action
   */
  public RouteAction withPolicies(List<? extends Policy> policies) {
    return new RouteAction(pool, List.copyOf(policies), rewritePrefix, rewriteReplacement);
  }

  /**
   * This action with a path rewrite: a forwarded path that starts with {@code prefix} has it
   * replaced with {@code replacement}, keeping a segment boundary ({@code /v1/} to {@code /} strips
   * the prefix: {@code /v1/users} is forwarded as {@code /users}).
   *
   * @param prefix the prefix to replace, starting with {@code /}
   * @param replacement what replaces it, starting with {@code /}
   * @return a new action
   */
  public RouteAction withPrefixRewrite(String prefix, String replacement) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(replacement, "replacement");
    return new RouteAction(pool, policies, prefix, replacement);
  }
}
