package dev.lb4j.core.routing;

import dev.lb4j.api.Policy;
import dev.lb4j.core.HashKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link Route}: what it matches and where it sends what it matches. Obtain one from {@link
 * Route#builder(String)}, or configure one inside {@code LoadBalancerBuilder.route(name, route ->
 * ...)}. Every matcher set on a route must match (AND); a route with no
 * matcher matches every request. Setters check their argument at once with a message naming the
 * field ({@code routes.api.pathRegex}); {@link #build()} checks the rules between fields; pool names
 * are checked when the load balancer is built.
 *
 * <p>Paths are matched as received (not percent-decoded, dot segments not removed); hosts without
 * the port and case-insensitively; methods exactly (upper case); header names case-insensitively and
 * header, query parameter and cookie values exactly (or by a regex that must match the whole value).
 *
 * <p>Not thread-safe.
 *
 * @since 0.1.0
 */
public final class RouteBuilder {

  private final String name;
  private Route.PathKind pathKind = Route.PathKind.ANY;
  private String path = "";
  private @Nullable Glob pathGlob;
  private @Nullable Regex pathPattern;
  private final Set<String> hosts = new LinkedHashSet<>();
  private final Set<String> methods = new LinkedHashSet<>();
  private final List<ValueMatcher> headers = new ArrayList<>();
  private final List<ValueMatcher> queryParameters = new ArrayList<>();
  private final List<ValueMatcher> cookies = new ArrayList<>();
  private final Map<String, Integer> split = new LinkedHashMap<>();
  private @Nullable HashKey sticky;
  private @Nullable String prefixReplacement;
  private boolean single;
  private boolean stripped;
  private final List<Policy> policies = new ArrayList<>();

  RouteBuilder(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}") || name.equals("default")) {
      throw new IllegalArgumentException(
          "routes: name '" + name + "' (expected: 1 to 64 letters, digits, '_' or '-', starting"
              + " with a letter or digit; 'default' names the default route)");
    }
    this.name = name;
  }

  private String field(String rest) {
    return "routes." + name + "." + rest;
  }

  private void setPath(Route.PathKind kind, String value, String fieldName) {
    Objects.requireNonNull(value, fieldName);
    if (pathKind != Route.PathKind.ANY) {
      throw new IllegalStateException(
          field(fieldName) + ": a path matcher was already set (" + pathKind.name().toLowerCase(Locale.ROOT)
              + " '" + path + "'); a route has at most one");
    }
    pathKind = kind;
    path = value;
  }

  private String checkPath(String fieldName, String value) {
    Objects.requireNonNull(value, fieldName);
    if (value.isEmpty() || value.charAt(0) != '/') {
      throw new IllegalArgumentException(
          field(fieldName) + ": '" + value + "' (expected: a path starting with '/')");
    }
    return value;
  }

  /**
   * Matches requests whose path is exactly {@code path}.
   *
   * @param path a path starting with {@code /}
   * @return this builder
   */
  public RouteBuilder pathExact(String path) {
    setPath(Route.PathKind.EXACT, checkPath("pathExact", path), "pathExact");
    return this;
  }

  /**
   * Matches requests whose path starts with {@code prefix}, character by character: {@code /api}
   * matches {@code /api}, {@code /api/users} and {@code /apis}; end it with {@code /} to match whole
   * segments only.
   *
   * @param prefix a path prefix starting with {@code /}
   * @return this builder
   */
  public RouteBuilder pathPrefix(String prefix) {
    setPath(Route.PathKind.PREFIX, checkPath("pathPrefix", prefix), "pathPrefix");
    return this;
  }

  /**
   * Matches requests whose whole path matches a glob: {@code *} is any run of characters except
   * {@code /}, {@code **} any run including {@code /}, {@code ?} one character except {@code /}.
   * At most 16 {@code *} and 64 {@code ?}; matching takes one pass over the path per wildcard,
   * whatever the length of the literal parts.
   *
   * @param glob such as {@code /users/*}{@code /orders/**}
   * @return this builder
   */
  public RouteBuilder pathGlob(String glob) {
    Glob compiled = Glob.compile(Glob.check(field("pathGlob"), Objects.requireNonNull(glob, "glob")));
    setPath(Route.PathKind.GLOB, glob, "pathGlob");
    pathGlob = compiled;
    return this;
  }

  /**
   * Matches requests whose whole path matches a regular expression. The syntax is the subset of
   * {@link java.util.regex.Pattern} that RE2 also accepts, without backreferences or lookaround:
   * literals, {@code .}, classes ({@code [a-z]}, {@code [^/]}, {@code \d \w \s}), {@code ^ $},
   * groups, {@code |} and the quantifiers {@code * + ? {m,n}}; it matches exactly as {@code
   * Pattern.compile(regex).matcher(path).matches()} would. Matching takes time linear in the path
   * (times the pattern's compiled size, at most 1,000 instructions) and allocates nothing, whatever
   * the request sends. Anything else, such as {@code (a)\1}, {@code (?=x)}, {@code a*+} or {@code
   * (?i)}, is refused here with a message naming it.
   *
   * @param regex the expression; it must match the entire path
   * @return this builder
   * @throws IllegalArgumentException if the expression is invalid, outside the subset or too large
   */
  public RouteBuilder pathRegex(String regex) {
    Regex compiled = compile("pathRegex", regex);
    setPath(Route.PathKind.REGEX, regex, "pathRegex");
    pathPattern = compiled;
    return this;
  }

  /**
   * Matches requests addressed to one of these hosts: exact names ({@code api.example.com}) or
   * wildcards for any subdomain ({@code *.example.com} matches {@code a.example.com} and {@code
   * a.b.example.com}, not {@code example.com}). Case-insensitive; the port is ignored. May be called
   * more than once; any listed host matches.
   *
   * @param hosts host names or wildcards
   * @return this builder
   */
  public RouteBuilder hosts(String... hosts) {
    Objects.requireNonNull(hosts, "hosts");
    for (String h : hosts) {
      Objects.requireNonNull(h, "hosts contains null");
      String host = h.toLowerCase(Locale.ROOT);
      String bare = host.startsWith("*.") ? host.substring(2) : host;
      if (bare.isEmpty() || !bare.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
        throw new IllegalArgumentException(
            field("hosts") + ": '" + h + "' (expected: a host name such as api.example.com, or"
                + " *.example.com for every subdomain)");
      }
      this.hosts.add(host);
    }
    return this;
  }

  /**
   * Matches requests with one of these methods. May be called more than once.
   *
   * @param methods HTTP methods, such as {@code GET}; matched in upper case
   * @return this builder
   */
  public RouteBuilder methods(String... methods) {
    Objects.requireNonNull(methods, "methods");
    for (String m : methods) {
      Objects.requireNonNull(m, "methods contains null");
      if (!m.matches("[A-Za-z0-9_-]{1,32}")) {
        throw new IllegalArgumentException(
            field("methods") + ": '" + m + "' (expected: an HTTP method such as GET or M-SEARCH)");
      }
      this.methods.add(m.toUpperCase(Locale.ROOT));
    }
    return this;
  }

  /**
   * Matches requests whose header has exactly this value (the first value, when repeated).
   *
   * @param name the header name, case-insensitive
   * @param value the value
   * @return this builder
   */
  public RouteBuilder header(String name, String value) {
    headers.add(ValueMatcher.equalTo(checkName("header", name), Objects.requireNonNull(value, "value")));
    return this;
  }

  /**
   * Matches requests whose header value matches a regular expression (whole value), with the
   * syntax and linear-time guarantee of {@link #pathRegex}.
   *
   * @param name the header name, case-insensitive
   * @param regex the expression
   * @return this builder
   */
  public RouteBuilder headerRegex(String name, String regex) {
    headers.add(ValueMatcher.regex(checkName("headerRegex", name), compile("headerRegex", regex)));
    return this;
  }

  /**
   * Matches requests that carry the header, with any value.
   *
   * @param name the header name, case-insensitive
   * @return this builder
   */
  public RouteBuilder headerPresent(String name) {
    headers.add(ValueMatcher.present(checkName("headerPresent", name)));
    return this;
  }

  /**
   * Matches requests that do not carry the header.
   *
   * @param name the header name, case-insensitive
   * @return this builder
   */
  public RouteBuilder headerAbsent(String name) {
    headers.add(ValueMatcher.absent(checkName("headerAbsent", name)));
    return this;
  }

  /**
   * Matches requests whose query parameter has exactly this value (as sent, not decoded).
   *
   * @param name the parameter name, case-sensitive
   * @param value the value
   * @return this builder
   */
  public RouteBuilder queryParameter(String name, String value) {
    queryParameters.add(
        ValueMatcher.equalTo(checkName("queryParameter", name), Objects.requireNonNull(value, "value")));
    return this;
  }

  /**
   * Matches requests whose query parameter value matches a regular expression (whole value), with
   * the syntax and linear-time guarantee of {@link #pathRegex}.
   *
   * @param name the parameter name, case-sensitive
   * @param regex the expression
   * @return this builder
   */
  public RouteBuilder queryParameterRegex(String name, String regex) {
    queryParameters.add(
        ValueMatcher.regex(checkName("queryParameterRegex", name), compile("queryParameterRegex", regex)));
    return this;
  }

  /**
   * Matches requests that carry the query parameter, with any value.
   *
   * @param name the parameter name, case-sensitive
   * @return this builder
   */
  public RouteBuilder queryParameterPresent(String name) {
    queryParameters.add(ValueMatcher.present(checkName("queryParameterPresent", name)));
    return this;
  }

  /**
   * Matches requests whose cookie has exactly this value.
   *
   * @param name the cookie name, case-sensitive
   * @param value the value
   * @return this builder
   */
  public RouteBuilder cookie(String name, String value) {
    cookies.add(ValueMatcher.equalTo(checkName("cookie", name), Objects.requireNonNull(value, "value")));
    return this;
  }

  /**
   * Matches requests that carry the cookie.
   *
   * @param name the cookie name, case-sensitive
   * @return this builder
   */
  public RouteBuilder cookiePresent(String name) {
    cookies.add(ValueMatcher.present(checkName("cookiePresent", name)));
    return this;
  }

  /**
   * Sends matching requests to one pool.
   *
   * @param pool the pool name (checked when the load balancer is built)
   * @return this builder
   */
  public RouteBuilder toPool(String pool) {
    Objects.requireNonNull(pool, "pool");
    if (!split.isEmpty()) {
      throw new IllegalStateException(
          field("toPool") + ": '" + pool + "', but the route already sends to " + split.keySet()
              + " (expected: toPool once, or split(pool, weight) for each pool)");
    }
    single = true;
    return addSplit(pool, 1);
  }

  /**
   * Sends a share of matching requests to a pool; call once per pool (a canary: {@code split("stable",
   * 95).split("canary", 5)}). Shares are {@code weight / sum of weights}.
   *
   * @param pool the pool name (checked when the load balancer is built)
   * @param weight 0 to 1,000,000; 0 keeps the pool listed but sends it nothing
   * @return this builder
   */
  public RouteBuilder split(String pool, int weight) {
    Objects.requireNonNull(pool, "pool");
    if (single) {
      throw new IllegalStateException(
          field("split." + pool) + ": the route already sends everything to "
              + split.keySet() + " with toPool (expected: toPool or split, not both)");
    }
    return addSplit(pool, weight);
  }

  private RouteBuilder addSplit(String pool, int weight) {
    if (weight < 0 || weight > 1_000_000) {
      throw new IllegalArgumentException(
          field("split." + pool) + ": " + weight + " (expected: a weight 0..1000000)");
    }
    if (split.containsKey(pool)) {
      throw new IllegalStateException(field("split." + pool) + " was already set");
    }
    split.put(pool, weight);
    return this;
  }

  /**
   * Makes a split sticky: requests with the same key always go to the same pool (as long as the
   * weights do not change), so one user stays on one side of a canary. Requests without the key are
   * split at random.
   *
   * @param key where the key comes from, for example {@code HashKey.cookie("user")}
   * @return this builder
   */
  public RouteBuilder sticky(HashKey key) {
    Objects.requireNonNull(key, "key");
    if (sticky != null) {
      throw new IllegalStateException(field("sticky") + " was already set to " + sticky);
    }
    sticky = key;
    return this;
  }

  /**
   * Removes the matched {@link #pathPrefix} from the path before forwarding: with prefix {@code
   * /api}, {@code /api/users} is forwarded as {@code /users}, and {@code /api} as {@code /}.
   *
   * @return this builder
   */
  public RouteBuilder stripPrefix() {
    replacePrefix("/");
    stripped = true;
    return this;
  }

  /**
   * Replaces the matched {@link #pathPrefix} with {@code replacement} before forwarding: with prefix
   * {@code /v1/} and replacement {@code /api/v2/} (or {@code /api/v2}), {@code /v1/users} is
   * forwarded as {@code /api/v2/users}. A segment boundary in the prefix is kept: no {@code //} and
   * no segments glued together.
   *
   * @param replacement a path starting with {@code /}
   * @return this builder
   */
  public RouteBuilder replacePrefix(String replacement) {
    checkPath("replacePrefix", replacement);
    if (prefixReplacement != null) {
      throw new IllegalStateException(
          field("replacePrefix") + " was already set to '" + prefixReplacement + "'");
    }
    prefixReplacement = replacement;
    return this;
  }

  /**
   * Adds a policy that runs for requests this route matched, after the load balancer's global
   * policies, in the order added.
   *
   * @param policy the policy; its name must be unique on the route
   * @return this builder
   */
  public RouteBuilder policy(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    String policyName = Objects.requireNonNull(policy.name(), "policy.name()");
    for (Policy p : policies) {
      if (p.name().equals(policyName)) {
        throw new IllegalStateException(field("policies." + policyName) + " was already added");
      }
    }
    policies.add(policy);
    return this;
  }

  private String checkName(String fieldName, String value) {
    Objects.requireNonNull(value, fieldName);
    if (value.isEmpty()) {
      throw new IllegalArgumentException(field(fieldName) + ": '' (expected: a non-empty name)");
    }
    return value;
  }

  /**
   * Checks the syntax with {@link Pattern} (so a typo gets the JDK's own description), then compiles
   * the pattern with the linear-time {@link Regex}, which refuses what needs backtracking.
   */
  private Regex compile(String fieldName, String regex) {
    Objects.requireNonNull(regex, fieldName);
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          field(fieldName) + ": '" + regex + "' is not a valid regular expression ("
              + e.getDescription() + " near index " + e.getIndex() + ")",
          e);
    }
    return Regex.compile(field(fieldName), regex);
  }

  /**
   * Checks the rules between fields and builds the route. Pool names are checked when the load
   * balancer is built.
   *
   * @return the route
   * @throws IllegalArgumentException naming the first invalid field
   */
  public Route build() {
    if (split.isEmpty()) {
      throw new IllegalArgumentException(
          field("toPool") + ": not set (expected: toPool(pool) or split(pool, weight))");
    }
    long total = 0;
    for (int w : split.values()) {
      total += w;
    }
    if (total == 0) {
      throw new IllegalArgumentException(
          field("split") + ": weights " + split.values() + " sum to 0 (expected: a positive sum)");
    }
    if (sticky != null && split.size() < 2) {
      throw new IllegalArgumentException(
          field("sticky") + ": " + sticky + " (expected: only with a split over two or more pools)");
    }
    if (prefixReplacement != null && pathKind != Route.PathKind.PREFIX) {
      throw new IllegalArgumentException(
          field(stripped ? "stripPrefix" : "replacePrefix")
              + ": needs a pathPrefix to replace (the route's path matcher is "
              + pathKind.name().toLowerCase(Locale.ROOT) + ")");
    }
    return new Route(
        name, pathKind, path, pathGlob, pathPattern, List.copyOf(hosts), List.copyOf(methods),
        List.copyOf(headers), List.copyOf(queryParameters), List.copyOf(cookies),
        new LinkedHashMap<>(split), sticky, prefixReplacement, List.copyOf(policies));
  }
}
