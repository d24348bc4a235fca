package dev.lb4j.core.routing;

import dev.lb4j.api.Policy;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.internal.XxHash64;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A built-in routing rule: matchers that must all hold (path, hosts, methods, headers, query
 * parameters, cookies) and an action (one pool, or a weighted split across pools, optionally sticky),
 * with an optional path rewrite. Immutable and thread-safe. Build one with {@link #builder(String)}.
 *
 * <p>Paths are matched as received: not percent-decoded and without dot-segment removal, so {@code
 * /a/../admin} or {@code /%61dmin} do not match a route for {@code /admin}. Adapters that forward to
 * backends which normalize paths should normalize (or reject) such paths before routing, or a
 * route-level policy can be bypassed.
 *
 * <p>A load balancer evaluates its routes in the order they were declared and the first that matches
 * wins; path prefixes and exact paths are indexed (one radix tree), so the cost of finding the first
 * match grows with the length of the path, not with the number of routes.
 *
 * @since 0.1.0
 */
public final class Route implements RoutingRule {

  /** Which kind of path matcher a route has. */
  public enum PathKind {
    /** No path matcher: every path matches. */
    ANY,
    /** The path equals a string. */
    EXACT,
    /** The path starts with a string. */
    PREFIX,
    /** The path matches a glob. */
    GLOB,
    /** The path matches a regular expression. */
    REGEX
  }

  private final String name;
  private final PathKind pathKind;
  private final String path;
  private final @Nullable Glob pathGlob;
  private final @Nullable Regex pathPattern;
  private final String[] exactHosts;
  private final String[] wildcardSuffixes; // ".example.com" for "*.example.com"
  private final String[] methods;
  private final ValueMatcher[] headers;
  private final ValueMatcher[] queryParameters;
  private final ValueMatcher[] cookies;
  private final String[] pools;
  private final long[] cumulativeWeights;
  private final @Nullable HashKey sticky;
  private final @Nullable String prefixReplacement;
  private final RouteMatch[] matches;
  private final List<Policy> policies;
  private final String description;

  Route(
      String name,
      PathKind pathKind,
      String path,
      @Nullable Glob pathGlob,
      @Nullable Regex pathPattern,
      List<String> hosts,
      List<String> methods,
      List<ValueMatcher> headers,
      List<ValueMatcher> queryParameters,
      List<ValueMatcher> cookies,
      Map<String, Integer> split,
      @Nullable HashKey sticky,
      @Nullable String prefixReplacement,
      List<Policy> policies) {
    this.name = name;
    this.policies = policies;
    this.pathKind = pathKind;
    this.path = path;
    this.pathGlob = pathGlob;
    this.pathPattern = pathPattern;
    List<String> exact = new ArrayList<>();
    List<String> wildcard = new ArrayList<>();
    for (String h : hosts) {
      if (h.startsWith("*.")) {
        wildcard.add(h.substring(1));
      } else {
        exact.add(h);
      }
    }
    this.exactHosts = exact.toArray(new String[0]);
    this.wildcardSuffixes = wildcard.toArray(new String[0]);
    this.methods = methods.toArray(new String[0]);
    this.headers = headers.toArray(new ValueMatcher[0]);
    this.queryParameters = queryParameters.toArray(new ValueMatcher[0]);
    this.cookies = cookies.toArray(new ValueMatcher[0]);
    this.pools = split.keySet().toArray(new String[0]);
    this.cumulativeWeights = new long[pools.length];
    long total = 0;
    for (int i = 0; i < pools.length; i++) {
      total += split.getOrDefault(pools[i], 0);
      cumulativeWeights[i] = total;
    }
    this.sticky = sticky;
    this.prefixReplacement = prefixReplacement;
    this.matches = new RouteMatch[pools.length];
    for (int i = 0; i < pools.length; i++) {
      matches[i] =
          new RouteMatch(
              this,
              new RouteAction(
                  pools[i], policies, prefixReplacement == null ? null : path, prefixReplacement));
    }
    this.description = describe(hosts, methods, split);
  }

  /**
   * Starts building a route.
   *
   * @param name 1 to 64 letters, digits, {@code _} or {@code -}; unique among a load balancer's
   *     rules
   * @return a builder
   */
  public static RouteBuilder builder(String name) {
    return new RouteBuilder(name);
  }

  @Override
  public String name() {
    return name;
  }

  /**
   * The kind of path matcher.
   *
   * @return the kind
   */
  public PathKind pathKind() {
    return pathKind;
  }

  /**
   * The path, prefix, glob or regex the path matcher uses; empty for {@link PathKind#ANY}.
   *
   * @return the pattern as configured
   */
  public String path() {
    return path;
  }

  /**
   * The policies that run for requests this route matched, after the global ones.
   *
   * @return an immutable list, in order
   */
  public List<Policy> policies() {
    return policies;
  }

  /**
   * The pools this route sends requests to, in declaration order.
   *
   * @return an immutable list
   */
  public List<String> pools() {
    return List.of(pools);
  }

  /**
   * Routes the request: the pool it goes to, or {@code null} when this route does not match.
   *
   * @param request the request
   * @return the pool name, or {@code null}
   */
  @Override
  public @Nullable String route(RequestView request) {
    RouteMatch m = match(request);
    return m == null ? null : m.pool();
  }

  /**
   * Routes the request to this route's action: the pool (chosen by the split, if any), the route's
   * policies and its path rewrite.
   *
   * @param request the request
   * @return the action (preallocated), or {@code null} when this route does not match
   */
  @Override
  public @Nullable RouteAction action(RequestView request) {
    RouteMatch m = match(request);
    return m == null ? null : m.action();
  }

  /**
   * Matches the whole route against the request.
   *
   * @param request the request
   * @return the match (preallocated), or {@code null}
   */
  public @Nullable RouteMatch match(RequestView request) {
    return matchesPath(request.path()) ? matchRest(request) : null;
  }

  /**
   * Whether the path matcher accepts {@code requestPath}.
   *
   * @param requestPath the request's path
   * @return {@code true} if it does
   */
  public boolean matchesPath(String requestPath) {
    return switch (pathKind) {
      case ANY -> true;
      case EXACT -> requestPath.equals(path);
      case PREFIX -> requestPath.startsWith(path);
      case GLOB -> pathGlob != null && pathGlob.matches(requestPath);
      case REGEX -> pathPattern != null && pathPattern.matches(requestPath);
    };
  }

  /**
   * Everything but the path: hosts, methods, headers, query parameters and cookies; then the action.
   * The router calls this once its index has matched the path.
   *
   * @param request the request
   * @return the match (preallocated), or {@code null} when a matcher fails
   */
  public @Nullable RouteMatch matchRest(RequestView request) {
    return restMatches(request) ? choose(request) : null;
  }

  // The same checks as whyNot, without building a reason: this runs for every request the router
  // tries this route on, and a reason string per declined request would be garbage per request.
  private boolean restMatches(RequestView request) {
    if (exactHosts.length + wildcardSuffixes.length > 0 && !hostMatches(request.host())) {
      return false;
    }
    if (methods.length > 0 && !contains(methods, request.method())) {
      return false;
    }
    for (ValueMatcher m : headers) {
      if (!m.test(request.header(m.name))) {
        return false;
      }
    }
    for (ValueMatcher m : queryParameters) {
      if (!m.test(request.queryParameter(m.name))) {
        return false;
      }
    }
    for (ValueMatcher m : cookies) {
      if (!m.test(request.cookie(m.name))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Why the non-path matchers reject {@code request}, for explain traces; {@code null} if they accept
   * it.
   *
   * @param request the request
   * @return the first failing matcher, described, or {@code null}
   */
  public @Nullable String whyNot(RequestView request) {
    if (exactHosts.length + wildcardSuffixes.length > 0 && !hostMatches(request.host())) {
      return "host " + request.host() + " is not one of the route's hosts";
    }
    if (methods.length > 0 && !contains(methods, request.method())) {
      return "method " + request.method() + " is not one of " + List.of(methods);
    }
    for (ValueMatcher m : headers) {
      if (!m.test(request.header(m.name))) {
        return "header " + m + " does not hold";
      }
    }
    for (ValueMatcher m : queryParameters) {
      if (!m.test(request.queryParameter(m.name))) {
        return "query parameter " + m + " does not hold";
      }
    }
    for (ValueMatcher m : cookies) {
      if (!m.test(request.cookie(m.name))) {
        return "cookie " + m + " does not hold";
      }
    }
    return null;
  }

  private boolean hostMatches(@Nullable String host) {
    if (host == null) {
      return false;
    }
    int colon = host.lastIndexOf(':');
    int end = colon > 0 && host.indexOf(']') < colon && host.indexOf(':') == colon ? colon : host.length();
    for (String h : exactHosts) {
      if (end == h.length() && host.regionMatches(true, 0, h, 0, end)) {
        return true;
      }
    }
    for (String suffix : wildcardSuffixes) {
      int at = end - suffix.length();
      if (at > 0 && host.regionMatches(true, at, suffix, 0, suffix.length())) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(String[] values, String value) {
    for (String v : values) {
      if (v.equals(value)) {
        return true;
      }
    }
    return false;
  }

  private RouteMatch choose(RequestView request) {
    if (matches.length == 1) {
      return matches[0];
    }
    long total = cumulativeWeights[cumulativeWeights.length - 1];
    long draw;
    CharSequence key = null;
    HashKey source = sticky;
    if (source != null) {
      try {
        key = source.key(request);
      } catch (RuntimeException e) {
        key = null; // a broken key source: split at random rather than fail the request
      }
    }
    if (key != null) {
      draw = Long.remainderUnsigned(XxHash64.hash(key), total);
    } else {
      draw = ThreadLocalRandom.current().nextLong(total);
    }
    for (int i = 0; i < cumulativeWeights.length; i++) {
      if (draw < cumulativeWeights[i]) {
        return matches[i];
      }
    }
    return matches[matches.length - 1];
  }

  private String describe(List<String> hosts, List<String> methodList, Map<String, Integer> split) {
    StringBuilder sb = new StringBuilder("route ").append(name).append(": ");
    List<String> parts = new ArrayList<>();
    if (pathKind != PathKind.ANY) {
      parts.add("path " + pathKind.name().toLowerCase(Locale.ROOT) + " '" + path + "'");
    }
    if (!hosts.isEmpty()) {
      parts.add("host in " + hosts);
    }
    if (!methodList.isEmpty()) {
      parts.add("method in " + methodList);
    }
    for (ValueMatcher m : headers) {
      parts.add("header " + m);
    }
    for (ValueMatcher m : queryParameters) {
      parts.add("query " + m);
    }
    for (ValueMatcher m : cookies) {
      parts.add("cookie " + m);
    }
    sb.append(parts.isEmpty() ? "every request" : String.join(" and ", parts));
    sb.append(" -> ");
    sb.append(split.size() == 1 ? split.keySet().iterator().next() : "split " + split);
    if (sticky != null) {
      sb.append(" sticky by ").append(sticky);
    }
    if (prefixReplacement != null) {
      sb.append(", rewrite prefix to '").append(prefixReplacement).append("'");
    }
    if (!policies.isEmpty()) {
      List<String> names = new ArrayList<>();
      for (Policy p : policies) {
        names.add(p.name());
      }
      sb.append(", policies ").append(names);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return description;
  }
}
