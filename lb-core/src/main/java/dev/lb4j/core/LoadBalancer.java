package dev.lb4j.core;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.internal.ExecutorScheduler;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.PoolImpl;
import dev.lb4j.core.internal.LeaseImpl;
import dev.lb4j.core.internal.RequestContext;
import dev.lb4j.core.internal.Router;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.routing.Route;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.core.routing.RouteMatch;
import dev.lb4j.api.RoutingRule;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * An embeddable HTTP load balancer: named pools of backends, each balanced by an {@link
 * dev.lb4j.api.Algorithm}.
 *
 * <p>Build one with {@link #builder()}; select a backend per request with {@link #select} (or on a
 * {@link Pool} handle) and report the outcome on the returned {@link Lease}; change pools at runtime
 * through {@link #admin()}; read counters with {@link #stats()}.
 *
 * <pre>{@code
 * try (LoadBalancer lb = LoadBalancer.builder()
 *     .pool("api", pool -> pool
 *         .backend("http://10.0.0.1:8080")
 *         .backend("http://10.0.0.2:8080")
 *         .algorithm(Algorithms.leastRequest()))
 *     .build()) {
 *   try (Lease lease = lb.select(RequestView.of("GET", "/users")).leaseOrThrow()) {
 *     lease.complete(send(lease.backend().uri()));
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safety: fully thread-safe. Selection never locks: each pool publishes an immutable picker
 * snapshot through one volatile reference and a selection reads it once. Closing stops new
 * selections (they return {@link NoBackend.Reason#CLOSED}); leases still open complete normally.
 *
 * @since 0.1.0
 */
public final class LoadBalancer implements AutoCloseable {

  private final Map<String, PoolImpl> pools;
  private final @Nullable PoolImpl defaultPool;
  private final @Nullable Router router;
  private final NoBackend noRoute;
  private final @Nullable RouteMatch defaultMatch;
  private final Map<String, RouteMatch> hostMatches;
  private final Map<String, RouteMatch> lowerHostMatches;
  private final Policy[] globalPolicies;
  private final java.util.concurrent.ConcurrentHashMap<RouteMatch, RequestContext> contexts =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong policyErrors =
      new java.util.concurrent.atomic.AtomicLong();
  private static final HeaderChanges NO_EDITS = HeaderChanges.none();
  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");
  private final Ticker ticker;
  private final Admin admin = new AdminImpl();
  private final @Nullable ExecutorScheduler ownedScheduler;
  private final HealthEvents events;
  private volatile boolean closed;

  LoadBalancer(
      List<PoolImpl> pools,
      @Nullable String defaultPool,
      Ticker ticker,
      @Nullable ExecutorScheduler ownedScheduler,
      HealthEvents events,
      @Nullable Router router,
      List<Policy> globalPolicies) {
    this.router = router;
    this.globalPolicies = globalPolicies.toArray(new Policy[0]);
    this.ownedScheduler = ownedScheduler;
    this.events = events;
    Map<String, PoolImpl> byName = new LinkedHashMap<>();
    for (PoolImpl p : pools) {
      byName.put(p.name(), p);
    }
    this.pools = java.util.Collections.unmodifiableMap(byName);
    this.defaultPool = defaultPool == null ? null : Objects.requireNonNull(byName.get(defaultPool));
    this.noRoute =
        new NoBackend(
            "",
            NoBackend.Reason.NO_ROUTE,
            "no routing rule matched and there is no default pool (pools: " + byName.keySet() + ")");
    this.defaultMatch =
        defaultPool == null
            ? null
            : new RouteMatch(
                new FixedRule("default", defaultPool, "default route -> " + defaultPool),
                defaultPool);
    // Host names are case-insensitive (RFC 3986 section 3.2.2): a host matches the pool of the
    // same name exactly, else ignoring case unless two pools differ only in case.
    Map<String, RouteMatch> byHost = new java.util.HashMap<>();
    Map<String, RouteMatch> byLowerHost = new java.util.HashMap<>();
    Set<String> ambiguous = new java.util.HashSet<>();
    for (String name : byName.keySet()) {
      RouteMatch m =
          new RouteMatch(new FixedRule("host", name, "host " + name + " -> pool " + name), name);
      byHost.put(name, m);
      String lower = name.toLowerCase(java.util.Locale.ROOT);
      if (byLowerHost.putIfAbsent(lower, m) != null) {
        ambiguous.add(lower);
      }
    }
    byLowerHost.keySet().removeAll(ambiguous);
    this.hostMatches = Map.copyOf(byHost);
    this.lowerHostMatches = Map.copyOf(byLowerHost);
    this.ticker = ticker;
  }

  /**
   * Starts building a load balancer.
   *
   * @return a new builder
   */
  public static LoadBalancerBuilder builder() {
    return new LoadBalancerBuilder();
  }

  /**
   * Selects a backend for the request: routes it (when there are routing rules) and selects a
   * backend of the pool it goes to, or of the default pool.
   *
   * @param request the request
   * @return a lease, or why there is none
   */
  public Selection select(RequestView request) {
    Router r = router;
    if (r == null && globalPolicies.length == 0) {
      PoolImpl pool = defaultPool;
      return pool == null ? noRoute : pool.select(request);
    }
    RouteMatch match = route(request);
    if (match == null) {
      return noRoute;
    }
    return selectRouted(request, match);
  }

  /**
   * Selects a backend for a request addressed to a logical service by its host, as client-side
   * adapters do ({@code http://api/users/7} goes to pool {@code api}): the routing rules first, in
   * declaration order; when none matches, the pool the request's {@linkplain RequestView#host()
   * host} names (exactly, else ignoring case, as host names are case-insensitive, unless two pools'
   * names differ only in case). Never the default pool: a request to a host that is neither routed nor a pool gets
   * {@link NoBackend.Reason#NO_ROUTE}, with a message naming the host and the pools, rather than
   * being sent to backends that were never meant for it. Runs the same policies as {@link
   * #select(RequestView)}: the global ones, then the matching route's.
   *
   * @param request the request; its host names the service
   * @return a lease, or why there is none
   */
  public Selection selectByHost(RequestView request) {
    RouteMatch match = routeByHost(request);
    if (match == null) {
      return new NoBackend(
          "",
          NoBackend.Reason.NO_ROUTE,
          "host '" + request.host() + "' names no pool and no routing rule matches the request "
              + request.method() + " " + request.path() + " (pools: " + pools.keySet() + ")");
    }
    return selectRouted(request, match);
  }

  /**
   * Routes like {@link #selectByHost(RequestView)} without selecting a backend.
   *
   * @param request the request; its host names the service
   * @return where it goes, or {@code null} when no rule matches and the host names no pool
   */
  public @Nullable RouteMatch routeByHost(RequestView request) {
    Objects.requireNonNull(request, "request");
    Router r = router;
    RouteMatch match = r == null ? null : r.route(request);
    if (match != null && pools.containsKey(match.pool())) {
      return match;
    }
    return hostMatch(request.host());
  }

  private @Nullable RouteMatch hostMatch(@Nullable String host) {
    if (host == null) {
      return null;
    }
    RouteMatch exact = hostMatches.get(host);
    return exact != null ? exact : lowerHostMatches.get(host.toLowerCase(java.util.Locale.ROOT));
  }

  private Selection selectRouted(RequestView request, RouteMatch match) {
    PoolImpl pool = Objects.requireNonNull(pools.get(match.pool()), "pool");
    Policy[] chain = chainFor(match);
    List<HeaderChanges> edits = null;
    for (Policy p : chain) {
      PolicyDecision decision;
      try {
        decision = p.onRequest(request);
      } catch (Exception e) { // checked ones too: a policy written in another JVM language
        return policyFailed(pool, p, "threw " + e, e);
      }
      if (decision == null) {
        return policyFailed(pool, p, "returned no decision (null)", null);
      }
      if (decision instanceof PolicyDecision.Reject reject) {
        return new Rejected(
            pool.name(), p.name(), reject.status(), reject.reason(), reject.responseHeaders());
      }
      HeaderChanges requestEdits = ((PolicyDecision.Proceed) decision).requestHeaders();
      if (!requestEdits.isEmpty()) {
        if (!(p instanceof HeaderTransform)) {
          requestEdits = RequestContext.defuse(requestEdits);
        }
        if (edits == null) {
          edits = new java.util.ArrayList<>(2);
        }
        edits.add(requestEdits);
      }
    }
    Selection selection = pool.select(request);
    if (selection instanceof LeaseImpl lease) {
      lease.attach(
          edits == null
              ? contextFor(match, chain)
              : new RequestContext(match, chain, RequestContext.combine(edits)));
    }
    return selection;
  }

  /**
   * Selects a backend for a retry of a request that already went through {@link
   * #select(RequestView)}: the same pool, no routing and no policies again (a retry must not spend a
   * rate limit twice), the same request header edits (with {@code ${backend_id}} filled in for the
   * new backend), and none of the backends already tried while another is available; once every
   * backend was tried, any but the previous attempt's, and with a single backend that one again.
   * Each lease it returns counts in the pool's {@link PoolStats#retries()}.
   *
   * @param request the request
   * @param previous the lease of the previous attempt (completed or not)
   * @param tried the backends tried so far
   * @return a lease on another backend, or why there is none
   */
  public Selection retry(RequestView request, Lease previous, Collection<? extends Backend> tried) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(previous, "previous");
    PoolImpl pool = pools.get(previous.pool());
    if (pool == null) {
      throw new IllegalArgumentException(
          "previous: a lease of pool '" + previous.pool() + "', which this load balancer does not"
              + " have (expected one of " + pools.keySet() + ")");
    }
    Selection selection = pool.select(request, tried);
    if (selection instanceof NoBackend none && none.reason() == NoBackend.Reason.ALL_EXCLUDED) {
      // Every backend was tried: any but the previous one, else (one backend) that one again.
      // Only the last selection counts in the pool's noBackend stat.
      pool.uncountNoBackend();
      selection = pool.select(request, List.of(previous.backend()));
      if (selection instanceof NoBackend again
          && again.reason() == NoBackend.Reason.ALL_EXCLUDED) {
        pool.uncountNoBackend();
        selection = pool.select(request);
      }
    }
    if (selection instanceof Lease) {
      pool.countRetry();
    }
    if (selection instanceof LeaseImpl lease && previous instanceof LeaseImpl before) {
      RequestContext context = before.context();
      if (context != null) {
        lease.attach(context);
      }
    }
    return selection;
  }

  private Rejected policyFailed(
      PoolImpl pool, Policy p, String what, @Nullable Throwable cause) {
    long count = policyErrors.incrementAndGet();
    if (Long.bitCount(count) == 1) { // 1st, 2nd, 4th...: a broken policy cannot flood the log
      LOG.log(
          System.Logger.Level.WARNING,
          "policy '" + p.name() + "' " + what + " (" + count + " policy failures so far)",
          cause);
    }
    return new Rejected(
        pool.name(), p.name(), 500, "policy '" + p.name() + "' failed: " + what, NO_EDITS);
  }

  /** Global policies, then the route's: precomputed per route, so no allocation per request. */
  private Policy[] chainFor(RouteMatch match) {
    if (match.rule() instanceof Route route && !route.policies().isEmpty()) {
      RequestContext cached = contexts.get(match);
      if (cached != null) {
        return cached.policies();
      }
      // First request of this route match: build and cache its chain (once per route and pool).
      Policy[] chain = new Policy[globalPolicies.length + route.policies().size()];
      System.arraycopy(globalPolicies, 0, chain, 0, globalPolicies.length);
      for (int i = 0; i < route.policies().size(); i++) {
        chain[globalPolicies.length + i] = route.policies().get(i);
      }
      return contexts.computeIfAbsent(match, m -> new RequestContext(m, chain, NO_EDITS)).policies();
    }
    return globalPolicies;
  }

  /** The context of a request without edits; cached for the engine's own route matches. */
  private RequestContext contextFor(RouteMatch match, Policy[] chain) {
    if (match.rule() instanceof Route || match.rule() instanceof FixedRule) {
      RequestContext cached = contexts.get(match); // no capturing lambda on the common path
      if (cached != null) {
        return cached;
      }
      return contexts.computeIfAbsent(match, m -> new RequestContext(m, chain, NO_EDITS));
    }
    return new RequestContext(match, chain, NO_EDITS); // a custom rule's match is new each time
  }

  /**
   * Selects a backend avoiding the given ones; routed like {@link #select(RequestView)} but WITHOUT
   * running policies, so it carries no request header edits. To retry a request that went through
   * the policies, use {@link #retry(RequestView, Lease, Collection)}; use this method only where no
   * policy applies.
   *
   * @param request the request
   * @param exclude backends not to pick again
   * @return a lease, or why there is none
   */
  public Selection select(RequestView request, Collection<? extends Backend> exclude) {
    if (router == null && globalPolicies.length == 0) {
      PoolImpl pool = defaultPool;
      return pool == null ? noRoute : pool.select(request, exclude);
    }
    RouteMatch match = route(request);
    if (match == null) {
      return noRoute;
    }
    PoolImpl pool = Objects.requireNonNull(pools.get(match.pool()), "pool");
    Selection selection = pool.select(request, exclude);
    if (selection instanceof LeaseImpl lease) {
      lease.attach(contextFor(match, chainFor(match)));
    }
    return selection;
  }

  /**
   * Routes the request without selecting a backend: the first routing rule that matches, in
   * declaration order, or the default route to the default pool.
   *
   * @param request the request
   * @return where it goes, or {@code null} when no rule matches and there is no default pool
   */
  public @Nullable RouteMatch route(RequestView request) {
    Objects.requireNonNull(request, "request");
    Router r = router;
    RouteMatch match = r == null ? null : r.route(request);
    if (match != null && pools.containsKey(match.pool())) {
      return match;
    }
    return defaultMatch;
  }

  /**
   * Explains, for one request, every decision the engine would make, without making them: which
   * routing rule matches and why the earlier ones do not, each policy's decision ({@link
   * Policy#preview}, so a rate limit spends nothing), the candidate backends with their state,
   * weight, load and latency estimate, the hash key, concurrency limits, and the backend the
   * algorithm picks. Opens no lease and spends no policy's budget; a round-robin picker's position
   * does advance, as for any pick. Off the request path: it allocates freely and briefly takes each
   * involved pool's lock.
   *
   * @param request the request
   * @return the explanation; {@link Explanation#toString()} is the readable trace
   */
  public Explanation explain(RequestView request) {
    return explain(request, false);
  }

  /**
   * Explains a request as {@link #selectByHost(RequestView)} would route it (routing rules, then
   * the pool the host names, never the default pool): what client-side adapters do.
   *
   * @param request the request; its host names the service
   * @return the explanation
   */
  public Explanation explainByHost(RequestView request) {
    return explain(request, true);
  }

  private Explanation explain(RequestView request, boolean byHost) {
    Objects.requireNonNull(request, "request");
    List<String> lines = new java.util.ArrayList<>();
    lines.add("request " + request.method() + " " + request.path()
        + (request.query() == null ? "" : "?" + request.query())
        + (request.host() == null ? "" : " host " + request.host())
        + (request.clientAddress() == null ? "" : " from " + request.clientAddress()));
    RouteMatch match = null;
    Router r = router;
    if (r == null && !byHost) {
      lines.add("routing: no routing rules; every request goes to the default pool");
      match = defaultMatch;
    } else if (r == null) {
      lines.add("routing: no routing rules");
    } else {
      lines.add("routing: " + r.rules().size() + " rules, first match in declaration order wins");
      for (RoutingRule rule : r.rules()) {
        if (rule instanceof Route route) {
          if (!route.matchesPath(request.path())) {
            lines.add("  " + rule.name() + ": no, path " + request.path() + " does not match "
                + route.pathKind().name().toLowerCase(java.util.Locale.ROOT) + " '"
                + route.path() + "'");
            continue;
          }
          String why = route.whyNot(request);
          if (why != null) {
            lines.add("  " + rule.name() + ": no, " + why);
            continue;
          }
          match = route.matchRest(request);
          lines.add("  " + rule.name() + ": YES (" + route + ")");
          break;
        }
        String pool;
        try {
          pool = rule.route(request);
        } catch (Exception e) {
          lines.add("  " + rule.name() + ": threw " + e + " (treated as no match)");
          continue;
        }
        if (pool == null) {
          lines.add("  " + rule.name() + ": no (custom rule)");
          continue;
        }
        if (!pools.containsKey(pool)) {
          lines.add("  " + rule.name() + ": named unknown pool '" + pool + "', so the request"
              + " takes the " + (byHost ? "host" : "default") + " route (later rules are not"
              + " tried)");
          if (byHost) {
            break;
          }
          match = defaultMatch;
          if (match == null) {
            lines.add("  no default pool: " + noRoute.message());
            return new Explanation(lines, null, null, null, null);
          }
          break;
        }
        match = new RouteMatch(rule, pool);
        lines.add("  " + rule.name() + ": YES (custom rule) -> " + pool);
        break;
      }
      if (match == null && !byHost) {
        match = defaultMatch;
        lines.add(match == null
            ? "  no rule matched and there is no default pool: " + noRoute.message()
            : "  no rule matched: default route -> " + match.pool());
      }
    }
    if (match == null && byHost) {
      String host = request.host();
      match = hostMatch(host);
      lines.add(match == null
          ? "  host '" + host + "' names no pool (pools: " + pools.keySet() + "): NO_ROUTE"
          : "  host '" + host + "' names pool " + match.pool());
    }
    if (match == null) {
      return new Explanation(lines, null, null, null, null);
    }
    if (!match.rewrite(request.path()).equals(request.path())) {
      lines.add("path rewritten: " + request.path() + " -> " + match.rewrite(request.path()));
    }
    Policy[] chain = chainFor(match);
    lines.add("policies: " + (chain.length == 0 ? "none" : chain.length + ", in order"));
    for (Policy p : chain) {
      PolicyDecision d;
      try {
        d = p.preview(request);
      } catch (Exception e) {
        lines.add("  " + p.name() + ": THREW " + e + " (the request would get 500)");
        return new Explanation(
            lines, match, p.name(), new PolicyDecision.Reject(500, "policy threw " + e, NO_EDITS),
            null);
      }
      if (d == null) {
        lines.add("  " + p.name() + ": returned null (the request would get 500)");
        return new Explanation(
            lines, match, p.name(),
            new PolicyDecision.Reject(500, "policy returned null", NO_EDITS), null);
      }
      lines.add("  " + p.name() + ": " + d);
      if (d instanceof PolicyDecision.Reject reject) {
        return new Explanation(lines, match, p.name(), reject, null);
      }
    }
    PoolImpl pool = Objects.requireNonNull(pools.get(match.pool()), "pool");
    Backend picked = pool.explain(request, lines);
    return new Explanation(lines, match, null, null, picked);
  }

  /**
   * A rule that always names one pool: the default route ({@link #select}) and the host routes
   * ({@link #selectByHost}). Their matches are built once, so their request contexts are cached.
   */
  private static final class FixedRule implements RoutingRule {
    private final String name;
    private final String pool;
    private final String description;

    FixedRule(String name, String pool, String description) {
      this.name = name;
      this.pool = pool;
      this.description = description;
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

  /**
   * The pool with this name; keep the handle to avoid the lookup per request.
   *
   * @param name the pool name
   * @return the pool
   * @throws IllegalArgumentException if there is no such pool
   */
  public Pool pool(String name) {
    return requirePool(name);
  }

  /**
   * The default pool.
   *
   * @return the pool {@link #select} uses when no routing rule matches
   * @throws IllegalStateException if the load balancer has routing rules and no default pool
   */
  public Pool defaultPool() {
    PoolImpl pool = defaultPool;
    if (pool == null) {
      throw new IllegalStateException(
          "no default pool: requests no routing rule matches get NO_ROUTE (pools: "
              + pools.keySet() + ")");
    }
    return pool;
  }

  /**
   * The names of every pool, in definition order.
   *
   * @return an immutable set
   */
  public Set<String> poolNames() {
    return pools.keySet();
  }

  /**
   * Runtime changes: add, remove, re-weight, drain.
   *
   * @return the admin API
   */
  public Admin admin() {
    return admin;
  }

  /**
   * A snapshot of every pool's counters.
   *
   * @return the stats
   */
  public LoadBalancerStats stats() {
    Map<String, PoolStats> byPool = new LinkedHashMap<>();
    for (PoolImpl p : pools.values()) {
      byPool.put(p.name(), p.stats());
    }
    return new LoadBalancerStats(ticker.nanoTime(), byPool, policyErrors.get());
  }

  /**
   * Adds a listener for health events of every pool: backend state changes and panic mode.
   *
   * @param listener the listener
   */
  public void addHealthListener(HealthListener listener) {
    events.add(listener);
  }

  /**
   * Removes a listener added here or on the builder.
   *
   * @param listener the listener
   * @return whether it was registered
   */
  public boolean removeHealthListener(HealthListener listener) {
    return events.remove(listener);
  }

  /**
   * Whether {@link #close()} was called.
   *
   * @return {@code true} once closed
   */
  public boolean isClosed() {
    return closed;
  }

  /**
   * Stops new selections, health probes and every timed task, and shuts down the scheduler thread
   * the load balancer created (not one passed to the builder). Open leases complete normally.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (PoolImpl p : pools.values()) {
      p.close(
          new NoBackend(p.name(), NoBackend.Reason.CLOSED, "pool '" + p.name() + "': load balancer closed"));
    }
    if (ownedScheduler != null) {
      ownedScheduler.close();
    }
  }

  @Override
  public String toString() {
    return "LoadBalancer{default=" + (defaultPool == null ? "none" : defaultPool.name())
        + ", pools=" + pools.values() + "}";
  }

  private PoolImpl requirePool(String name) {
    Objects.requireNonNull(name, "pool");
    PoolImpl pool = pools.get(name);
    if (pool == null) {
      throw new IllegalArgumentException(
          "pool: '" + name + "' (expected one of " + pools.keySet() + ")");
    }
    return pool;
  }

  private void requireOpen() {
    if (closed) {
      throw new IllegalStateException("load balancer is closed");
    }
  }

  private final class AdminImpl implements Admin {
    @Override
    public void addBackend(String pool, BackendSpec backend) {
      Objects.requireNonNull(backend, "backend");
      requireOpen();
      requirePool(pool).add(backend);
    }

    @Override
    public void removeBackend(String pool, String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      requirePool(pool).remove(backendId);
    }

    @Override
    public void setWeight(String pool, String backendId, int weight) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      PoolImpl p = requirePool(pool);
      BackendSpec.checkWeight("pools." + pool + ".backends." + backendId + ".weight", weight);
      p.setWeight(backendId, weight);
    }

    @Override
    public void drain(String pool, String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      requirePool(pool).setDraining(backendId, true);
    }

    @Override
    public void undrain(String pool, String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      requirePool(pool).setDraining(backendId, false);
    }

    @Override
    public void disable(String pool, String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      requirePool(pool).setDisabled(backendId, true);
    }

    @Override
    public void enable(String pool, String backendId) {
      Objects.requireNonNull(backendId, "backendId");
      requireOpen();
      requirePool(pool).setDisabled(backendId, false);
    }

    @Override
    public void setBackends(String pool, List<BackendSpec> backends) {
      Objects.requireNonNull(backends, "backends");
      requireOpen();
      requirePool(pool).setBackends(backends);
    }
  }
}
