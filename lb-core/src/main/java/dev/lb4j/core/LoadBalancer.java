package dev.lb4j.core;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.internal.ExecutorScheduler;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.internal.pool.ProbeCloser;
import dev.lb4j.core.internal.pipeline.ExplainTrace;
import dev.lb4j.core.internal.pipeline.Fallback;
import dev.lb4j.core.internal.pipeline.PipelineSnapshot;
import dev.lb4j.core.internal.pipeline.RequestPipeline;
import dev.lb4j.core.internal.pipeline.TraceSink;
import dev.lb4j.core.routing.RouteMatch;
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

  private final RequestPipeline pipeline;
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
      List<RoutingRule> rules,
      List<Policy> globalPolicies) {
    this.pipeline =
        new RequestPipeline(new PipelineSnapshot(pools, defaultPool, rules, globalPolicies));
    this.ownedScheduler = ownedScheduler;
    this.events = events;
    this.ticker = ticker;
  }

  private Map<String, PoolImpl> pools() {
    return pipeline.snapshot().pools();
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
   * Selects a backend for the request: routes it (the routing rules in declaration order, else the
   * default pool), runs the global policies and then the route's, and selects a backend of the
   * pool it goes to. The lease's {@link Lease#route()} is the match that routed the request (the
   * default route's when no rule did).
   *
   * @param request the request
   * @return a lease, or why there is none
   */
  public Selection select(RequestView request) {
    return Objects.requireNonNull(pipeline.run(request, Fallback.DEFAULT_POOL, TraceSink.NONE));
  }

  /**
   * Selects a backend for a request addressed to a logical service by its host, as client-side
   * adapters do ({@code http://api/users/7} goes to pool {@code api}): the routing rules first, in
   * declaration order; when none matches, the pool the request's {@linkplain RequestView#host()
   * host} names (exactly, else ignoring case, as host names are case-insensitive, unless two pools'
   * names differ only in case). Never the default pool: a request to a host that is neither routed
   * nor a pool gets {@link NoBackend.Reason#NO_ROUTE}, with a message naming the host and the
   * pools, rather than being sent to backends that were never meant for it. Otherwise the same
   * pipeline as {@link #select(RequestView)}: the global policies, then the matching route's.
   *
   * @param request the request; its host names the service
   * @return a lease, or why there is none
   */
  public Selection selectByHost(RequestView request) {
    return Objects.requireNonNull(pipeline.run(request, Fallback.HOST_POOL, TraceSink.NONE));
  }

  /**
   * Routes like {@link #selectByHost(RequestView)} without selecting a backend.
   *
   * @param request the request; its host names the service
   * @return where it goes, or {@code null} when no rule matches and the host names no pool
   */
  public @Nullable RouteMatch routeByHost(RequestView request) {
    Objects.requireNonNull(request, "request");
    return pipeline.route(request, Fallback.HOST_POOL);
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
    return pipeline.retry(request, previous, tried);
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
    Objects.requireNonNull(request, "request");
    return pipeline.selectWithoutPolicies(request, exclude);
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
    return pipeline.route(request, Fallback.DEFAULT_POOL);
  }

  /**
   * Explains, for one request, every decision the engine would make, without making them: which
   * routing rule matches and why the earlier ones do not, each policy's decision ({@link
   * Policy#preview}, so a rate limit spends nothing), the candidate backends with their state,
   * weight, load and latency estimate, the hash key, concurrency limits, and the backend the
   * algorithm picks. It is a dry run of the pipeline {@link #select(RequestView)} runs, so it
   * reports the route, policies and pool a selection would get now. Opens no lease and spends no
   * policy's budget; a round-robin picker's position does advance, as for any pick, and a weighted
   * split without a sticky key draws its pool at random, as a selection does. Off the request path: it allocates freely and briefly takes each
   * involved pool's lock.
   *
   * @param request the request
   * @return the explanation; {@link Explanation#toString()} is the readable trace
   */
  public Explanation explain(RequestView request) {
    return explain(request, Fallback.DEFAULT_POOL);
  }

  /**
   * Explains a request as {@link #selectByHost(RequestView)} would route it (routing rules, then
   * the pool the host names, never the default pool): what client-side adapters do.
   *
   * @param request the request; its host names the service
   * @return the explanation
   */
  public Explanation explainByHost(RequestView request) {
    return explain(request, Fallback.HOST_POOL);
  }

  /** A dry run of the request pipeline with the explain sink. */
  private Explanation explain(RequestView request, Fallback fallback) {
    Objects.requireNonNull(request, "request");
    ExplainTrace trace = new ExplainTrace();
    Selection outcome = pipeline.run(request, fallback, trace);
    if (outcome instanceof Rejected rejected) {
      return new Explanation(
          trace.lines(),
          trace.route(),
          rejected.policy(),
          new PolicyDecision.Reject(
              rejected.status(), rejected.reason(), rejected.responseHeaders()),
          null);
    }
    return new Explanation(trace.lines(), trace.route(), null, null, trace.picked());
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
    PoolImpl pool = pipeline.snapshot().defaultPool();
    if (pool == null) {
      throw new IllegalStateException(
          "no default pool: requests no routing rule matches get NO_ROUTE (pools: "
              + pools().keySet() + ")");
    }
    return pool;
  }

  /**
   * The names of every pool, in definition order.
   *
   * @return an immutable set
   */
  public Set<String> poolNames() {
    return pools().keySet();
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
    for (PoolImpl p : pools().values()) {
      byPool.put(p.name(), p.stats());
    }
    return new LoadBalancerStats(ticker.nanoTime(), byPool, pipeline.policyErrors());
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
   * Stops new selections, health probes and every timed task, shuts down the scheduler thread the
   * load balancer created (not one passed to the builder) and waits for it to end, then {@linkplain
   * dev.lb4j.api.HealthProbe#close() closes} each distinct health probe of its pools once. Open
   * leases complete normally. Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (PoolImpl p : pools().values()) {
      p.close(
          new NoBackend(p.name(), NoBackend.Reason.CLOSED, "pool '" + p.name() + "': load balancer closed"));
    }
    if (ownedScheduler != null) {
      ownedScheduler.close();
    }
    ProbeCloser.closeProbes(pools().values());
  }

  @Override
  public String toString() {
    PoolImpl defaultPool = pipeline.snapshot().defaultPool();
    return "LoadBalancer{default=" + (defaultPool == null ? "none" : defaultPool.name())
        + ", pools=" + pools().values() + "}";
  }

  private PoolImpl requirePool(String name) {
    Objects.requireNonNull(name, "pool");
    Map<String, PoolImpl> pools = pools();
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
