package dev.lb4j.core.internal.pipeline;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.internal.RequestContext;
import dev.lb4j.core.internal.Router;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything the {@link RequestPipeline} reads for one request, as one immutable value: the pools,
 * the routing rules (compiled into a {@link Router}), the global policies, the default route and the
 * host routes. A configuration change builds a new snapshot and publishes it with one write, so a
 * request sees either the old configuration or the new one, never a mix.
 *
 * <p>The only mutable state is a memo of request contexts (the route match with its policy chain),
 * filled on first use so that steady-state requests allocate nothing. It is a cache of pure
 * functions of the snapshot's own values.
 */
public final class PipelineSnapshot {

  /** How many request contexts of custom rules' matches are memoised (theirs may not repeat). */
  private static final int MAX_CUSTOM_CONTEXTS = 256;

  private static final HeaderChanges NO_EDITS = HeaderChanges.none();

  private final Map<String, PoolImpl> pools;
  private final @Nullable String defaultPoolName;
  private final List<RoutingRule> rules;
  private final List<Policy> globalPolicyList;
  private final @Nullable PoolImpl defaultPool;
  private final @Nullable Router router;
  private final Policy[] globalPolicies;
  private final @Nullable RouteMatch defaultMatch;
  private final @Nullable RequestContext defaultContext;
  private final NoBackend noRoute;
  private final Map<String, RouteMatch> hostMatches;
  private final Map<String, RouteMatch> lowerHostMatches;
  private final ConcurrentHashMap<RouteMatch, RequestContext> contexts = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<RouteMatch, RequestContext> customContexts =
      new ConcurrentHashMap<>();

  /**
   * Builds a snapshot.
   *
   * @param pools the pools, in definition order
   * @param defaultPool the default pool's name, or {@code null} for none
   * @param rules the routing rules, in declaration order
   * @param globalPolicies the policies every request runs, before its route's
   */
  public PipelineSnapshot(
      List<PoolImpl> pools,
      @Nullable String defaultPool,
      List<RoutingRule> rules,
      List<Policy> globalPolicies) {
    Map<String, PoolImpl> byName = new LinkedHashMap<>();
    for (PoolImpl p : pools) {
      byName.put(p.name(), p);
    }
    this.pools = Collections.unmodifiableMap(byName);
    this.defaultPoolName = defaultPool;
    this.rules = List.copyOf(rules);
    this.globalPolicyList = List.copyOf(globalPolicies);
    this.router = rules.isEmpty() ? null : new Router(rules);
    this.globalPolicies = globalPolicies.toArray(new Policy[0]);
    this.noRoute =
        new NoBackend(
            "",
            NoBackend.Reason.NO_ROUTE,
            "no routing rule matched and there is no default pool (pools: " + byName.keySet() + ")");
    if (defaultPool == null) {
      this.defaultPool = null;
      this.defaultMatch = null;
      this.defaultContext = null;
    } else {
      this.defaultPool =
          Objects.requireNonNull(byName.get(defaultPool), () -> "no pool named " + defaultPool);
      RouteMatch match =
          new RouteMatch(
              new FixedRule("default", defaultPool, "default route -> " + defaultPool, true),
              defaultPool);
      this.defaultMatch = match;
      this.defaultContext = new RequestContext(match, this.globalPolicies, NO_EDITS);
    }
    // Host names are case-insensitive (RFC 3986 section 3.2.2): a host matches the pool of the
    // same name exactly, else ignoring case unless two pools differ only in case.
    Map<String, RouteMatch> byHost = new HashMap<>();
    Map<String, RouteMatch> byLowerHost = new HashMap<>();
    Set<String> ambiguous = new HashSet<>();
    for (String name : byName.keySet()) {
      RouteMatch m =
          new RouteMatch(
              new FixedRule("host", name, "host " + name + " -> pool " + name, false), name);
      byHost.put(name, m);
      String lower = name.toLowerCase(Locale.ROOT);
      if (byLowerHost.putIfAbsent(lower, m) != null) {
        ambiguous.add(lower);
      }
    }
    byLowerHost.keySet().removeAll(ambiguous);
    this.hostMatches = Map.copyOf(byHost);
    this.lowerHostMatches = Map.copyOf(byLowerHost);
  }

  /** The pools by name, in definition order; immutable. */
  public Map<String, PoolImpl> pools() {
    return pools;
  }

  /**
   * The same routes, policies and default pool over other pools of the same names (a pool that a
   * reconfiguration replaced, say).
   *
   * @param replacements the pools to use instead of those of the same name
   * @return the new snapshot
   */
  public PipelineSnapshot withPools(Map<String, PoolImpl> replacements) {
    List<PoolImpl> next = new ArrayList<>(pools.size());
    for (PoolImpl p : pools.values()) {
      next.add(replacements.getOrDefault(p.name(), p));
    }
    return new PipelineSnapshot(next, defaultPoolName, rules, globalPolicyList);
  }

  /** The default pool, or {@code null}. */
  public @Nullable PoolImpl defaultPool() {
    return defaultPool;
  }

  /** The compiled routing rules, or {@code null} when there are none. */
  @Nullable Router router() {
    return router;
  }

  /** The default route's match, or {@code null} without a default pool. */
  @Nullable RouteMatch defaultMatch() {
    return defaultMatch;
  }

  /** The answer for a request no rule routes when there is no default pool (shared). */
  NoBackend noRoute() {
    return noRoute;
  }

  /** The host route for {@code host}, or {@code null} when it names no pool. */
  @Nullable RouteMatch hostMatch(@Nullable String host) {
    if (host == null) {
      return null;
    }
    RouteMatch exact = hostMatches.get(host);
    return exact != null ? exact : lowerHostMatches.get(host.toLowerCase(Locale.ROOT));
  }

  /**
   * The request context of a match without policy edits: the match and its policy chain (global
   * policies, then the route's). Memoised, so the steady state allocates nothing; a custom rule
   * that returns a new match per request gets a new context per request once the memo is full.
   */
  RequestContext context(RouteMatch match) {
    RequestContext d = defaultContext;
    if (d != null && match == defaultMatch) {
      return d;
    }
    boolean builtin = match.rule() instanceof Route || match.rule() instanceof FixedRule;
    ConcurrentHashMap<RouteMatch, RequestContext> memo = builtin ? contexts : customContexts;
    RequestContext cached = memo.get(match); // no capturing lambda on the request path
    if (cached != null) {
      return cached;
    }
    RequestContext made = new RequestContext(match, chainOf(match), NO_EDITS);
    if (builtin || memo.size() < MAX_CUSTOM_CONTEXTS) {
      RequestContext raced = memo.putIfAbsent(match, made);
      if (raced != null) {
        return raced;
      }
    }
    return made;
  }

  /** Global policies, then the route's; the shared global array when the route has none. */
  private Policy[] chainOf(RouteMatch match) {
    List<Policy> own = match.policies();
    if (own.isEmpty()) {
      return globalPolicies;
    }
    List<Policy> chain = new ArrayList<>(globalPolicies.length + own.size());
    Collections.addAll(chain, globalPolicies);
    chain.addAll(own);
    return chain.toArray(new Policy[0]);
  }

  @Override
  public String toString() {
    return "PipelineSnapshot{default=" + (defaultPool == null ? "none" : defaultPool.name())
        + ", pools=" + pools.values() + "}";
  }

  /**
   * Whether a match is the engine's default route (no rule matched; the default pool takes the
   * request), told by the rule object itself, not by its name.
   *
   * @param match a match
   * @return {@code true} for the default route of any snapshot
   */
  public static boolean isDefaultRoute(RouteMatch match) {
    return match.rule() instanceof FixedRule f && f.defaultRoute;
  }

  /**
   * A rule that always names one pool: the default route and the host routes. Their matches are
   * built once per snapshot, so their request contexts are memoised.
   */
  private static final class FixedRule implements RoutingRule {
    private final String name;
    private final String pool;
    private final String description;
    private final boolean defaultRoute;

    FixedRule(String name, String pool, String description, boolean defaultRoute) {
      this.name = name;
      this.pool = pool;
      this.description = description;
      this.defaultRoute = defaultRoute;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public String route(RequestView request) {
      return pool;
    }

    @Override
    public String toString() {
      return description;
    }
  }
}
