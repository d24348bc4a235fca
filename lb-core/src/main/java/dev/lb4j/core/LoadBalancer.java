package dev.lb4j.core;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.internal.EngineSettings;
import dev.lb4j.core.internal.ExecutorScheduler;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.Observation;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.internal.pool.ProbeCloser;
import dev.lb4j.core.internal.pipeline.ExplainTrace;
import dev.lb4j.core.internal.pipeline.Fallback;
import dev.lb4j.core.internal.pipeline.PipelineSnapshot;
import dev.lb4j.core.internal.pipeline.RequestPipeline;
import dev.lb4j.core.internal.pipeline.TraceSink;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
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
  private final EngineSettings engine;
  private final @Nullable LoadBalancerObserver observer;
  private final Admin admin = new AdminImpl();
  private final HealthEvents events;
  private volatile boolean closed;

  /**
   * Serialises configuration changes: {@link #reconfigure}, the admin API and the start of {@link
   * #close()}. Never taken on the request path.
   */
  private final Object changes = new Object();

  /**
   * The scheduler this load balancer created (at build or by a reconfiguration), or null. Guarded
   * by {@link #changes} (a comment, not {@code @GuardedBy}: this class is public API, and the
   * annotation's class file is not on its users' compile path).
   */
  private @Nullable ExecutorScheduler ownedScheduler;

  /**
   * The scheduler pools use: the builder's, the owned one, or null while no pool needs one. Guarded
   * by {@link #changes}.
   */
  private @Nullable Scheduler scheduler;

  LoadBalancer(
      List<PoolImpl> pools,
      @Nullable String defaultPool,
      EngineSettings engine,
      @Nullable ExecutorScheduler ownedScheduler,
      @Nullable Scheduler scheduler,
      HealthEvents events,
      List<RoutingRule> rules,
      List<Policy> globalPolicies) {
    this.pipeline =
        new RequestPipeline(new PipelineSnapshot(pools, defaultPool, rules, globalPolicies));
    synchronized (changes) {
      this.ownedScheduler = ownedScheduler;
      this.scheduler = scheduler;
    }
    this.engine = engine;
    this.observer = engine.observer();
    this.events = events;
    this.ticker = engine.ticker();
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
    return observed(
        request,
        Objects.requireNonNull(pipeline.run(request, Fallback.DEFAULT_POOL, TraceSink.NONE)));
  }

  /** Tells the observer, if any, of a selection that is not a lease. */
  private Selection observed(RequestView request, Selection selection) {
    LoadBalancerObserver o = observer;
    if (o != null && !(selection instanceof Lease)) {
      Observation.selected(o, request, selection);
    }
    return selection;
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
    return observed(
        request,
        Objects.requireNonNull(pipeline.run(request, Fallback.HOST_POOL, TraceSink.NONE)));
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
    Selection next = pipeline.retry(request, previous, tried);
    LoadBalancerObserver o = observer;
    if (o != null && next instanceof Lease lease) {
      Observation.retried(o, previous, lease);
    }
    return observed(request, next);
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
    return observed(request, pipeline.selectWithoutPolicies(request, exclude));
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
   * Replaces this load balancer's pools, routing rules, global policies and default pool with those
   * of {@code next}, while it keeps serving. Built for hot reload: a configuration reader builds
   * {@code next} with {@link #builder()} from the new configuration and hands it here.
   *
   * <p><b>Validation first.</b> {@code next} is checked with exactly the rules and messages of
   * {@link LoadBalancerBuilder#build()}; when it is invalid, an {@link IllegalArgumentException}
   * names the field, its value and what is allowed, and nothing has changed. The ticker, the
   * scheduler, the latency decay and the health listeners belong to the running load balancer:
   * {@code next} must not set them (add listeners with {@link #addHealthListener}).
   *
   * <p><b>Make before break.</b> Pools that only {@code next} defines are built first; pools whose
   * settings changed are built next (see below); then the whole pipeline (pools, rules, policies,
   * default pool) is published with one write, so each request is routed and runs its policies
   * either entirely under the old configuration or entirely under the new one. Only then are the
   * pools that {@code next} no longer defines closed: their open leases complete normally, new
   * selections that still reach them get {@link NoBackend.Reason#CLOSED}, and their health probes
   * are {@linkplain dev.lb4j.api.HealthProbe#close() closed} as {@link #close()} would, unless a
   * pool of the new configuration uses the same probe. If the new configuration needs a scheduler
   * (health checking, outlier detection or slow start) and the load balancer has none, it creates
   * its own daemon scheduler now, shut down by {@link #close()}.
   *
   * <p><b>Pools that stay</b> (same name) keep their backends' state: a backend whose id, URI, zone
   * and metadata are unchanged keeps its requests in flight, its latency EWMA, its counters and its
   * health (drained or disabled by admin, probe verdict, ejection and when it ends, slow-start
   * progress); a weight-only change takes the new weight. A backend with a new id is added as
   * {@link Admin#addBackend} would add it (slow start ramps it, if the pool has slow start), one no
   * longer listed is removed as {@link Admin#removeBackend} would remove it (its leases finish), and
   * one whose URI, zone or metadata changed is replaced by a new backend.
   *
   * <ul>
   *   <li>When the pool's settings (algorithm, hash key, health check, outlier detection, slow
   *       start, panic threshold and mode, concurrency limits) are {@code equals} to the running
   *       ones, only its member list changes, as {@link Admin#setBackends} does. The built-in
   *       algorithms, key sources and health settings are value objects; a plugin's algorithm or
   *       probe counts as unchanged only if its {@code equals} says so.
   *   <li>When they differ, a new pool with the new settings adopts the staying backends, the very
   *       same backend objects with all the state above, and takes the old pool's place; the
   *       {@link Pool} handle of the old pool, and selections that reached it just before the
   *       change, are then served from the new pool's backends. What does not carry over: the
   *       algorithm's picker (rebuilt; a round-robin position restarts), probe loops and timers
   *       (restarted: the next probe of each backend comes within the new interval; ejections and
   *       slow-start windows still end at the times they carry), and the pool-wide counters of
   *       {@link PoolStats} (leases opened before the change count, and are limited by {@code
   *       maxRequests}, in the old pool until they complete; per-backend counts and limits are
   *       exact across the change). A health signal whose source the new settings remove ends: no
   *       health check makes the probe verdict passing, no outlier detection ends an ejection, no
   *       slow start ends a ramp.
   * </ul>
   *
   * <p><b>Events.</b> Backends added or removed produce the {@link
   * dev.lb4j.core.health.HealthEvent.BackendAdded} and {@link
   * dev.lb4j.core.health.HealthEvent.BackendRemoved} events that adding or removing them through
   * {@link #admin()} would, also when their whole pool is added or removed; a staying backend
   * produces a {@link dev.lb4j.core.health.HealthEvent.StatusChanged} only if its status changes.
   *
   * <p>Reconfigurations, admin changes and {@link #close()} are serialised; selections never wait
   * for them. Built-in algorithms cannot fail once {@code next} is valid; if a plugin algorithm
   * throws while building its picker, the exception propagates, pools whose settings change was
   * already applied keep it (under the old routes and policies), and nothing else changed.
   *
   * @param next the new configuration, from {@link #builder()}; it stays usable and unchanged
   * @throws IllegalArgumentException if {@code next} is invalid or sets the ticker, scheduler,
   *     latencyDecay or a health listener; nothing changed
   * @throws IllegalStateException if this load balancer is closed
   * @since 0.1.0
   */
  public void reconfigure(LoadBalancerBuilder next) {
    Objects.requireNonNull(next, "next");
    synchronized (changes) {
      // Listeners hear of the change once it is complete, not halfway through.
      boolean held = events.hold();
      try {
        reconfigureHeld(next);
      } finally {
        events.release(held);
      }
    }
  }

  /** The body of {@link #reconfigure}; the caller holds {@link #changes}. */
  private void reconfigureHeld(LoadBalancerBuilder next) {
    requireOpen();
    String engineSetting = next.engineSetting();
    if (engineSetting != null) {
      throw new IllegalArgumentException(
          engineSetting
              + " (expected: not set on a reconfiguration; the ticker, scheduler, latencyDecay, latencyStats, observer and"
              + " health listeners are the running load balancer's own; add listeners with"
              + " addHealthListener)");
    }
    String defaultName = next.validate();
    PipelineSnapshot current = pipeline.snapshot();
    Map<String, PoolBuilder> wanted = next.pools();
    Scheduler timer = scheduler;
    ExecutorScheduler created = null;
    if (timer == null && wanted.values().stream().anyMatch(p -> p.healthConfig().needsScheduler())) {
      created = ExecutorScheduler.daemon();
      timer = created;
    }
    // Make: pools that are new, then pools whose settings changed; nothing is published yet.
    Map<String, PoolImpl> added = new LinkedHashMap<>();
    try {
      for (PoolBuilder p : wanted.values()) {
        if (!current.pools().containsKey(p.name())) {
          added.put(
              p.name(),
              new PoolImpl(
                  p.name(),
                  p.algorithmOrDefault(),
                  p.hashKey(),
                  engine,
                  p.backends(),
                  p.healthConfig(),
                  timer,
                  events));
        }
      }
    } catch (RuntimeException e) {
      closeUnpublished(added.values());
      if (created != null) {
        created.close();
      }
      throw e;
    }
    if (created != null) {
      ownedScheduler = created;
      scheduler = created;
    }
    Map<String, PoolImpl> replaced = new LinkedHashMap<>();
    List<PoolImpl> retired = new ArrayList<>();
    try {
      for (PoolBuilder p : wanted.values()) {
        PoolImpl old = current.pools().get(p.name());
        if (old == null) {
          continue;
        }
        if (old.hasSettings(p.algorithmOrDefault(), p.hashKey(), p.healthConfig())) {
          old.setBackends(p.backends());
        } else {
          PoolImpl successor =
              PoolImpl.succeed(
                  old,
                  p.algorithmOrDefault(),
                  p.hashKey(),
                  p.backends(),
                  p.healthConfig(),
                  timer);
          successor.startSucceeding();
          replaced.put(p.name(), successor);
          retired.add(old);
        }
      }
    } catch (RuntimeException e) {
      // A plugin algorithm failed to build a picker: keep the pools already replaced, in the
      // old routes and policies, so that no retired pool stays in the pipeline.
      closeUnpublished(added.values());
      if (!replaced.isEmpty()) {
        pipeline.publish(current.withPools(replaced));
        ProbeCloser.closeUnusedProbes(retired, pipeline.snapshot().pools().values());
      }
      throw e;
    }
    List<PoolImpl> pools = new ArrayList<>(wanted.size());
    for (String name : wanted.keySet()) {
      PoolImpl p = added.get(name);
      if (p == null) {
        p = replaced.get(name);
      }
      pools.add(p != null ? p : Objects.requireNonNull(current.pools().get(name), name));
    }
    for (PoolImpl p : added.values()) {
      p.announceAdded(); // before its timers can post anything about its backends
    }
    pipeline.publish(new PipelineSnapshot(pools, defaultName, next.rules(), next.policies()));
    // Break: pools no longer defined close once no new request can be routed to them.
    List<PoolImpl> stopped = new ArrayList<>(retired);
    for (PoolImpl p : current.pools().values()) {
      if (!wanted.containsKey(p.name())) {
        p.closeRemoved(
            new NoBackend(
                p.name(),
                NoBackend.Reason.CLOSED,
                "pool '" + p.name() + "': removed by a reconfiguration"));
        stopped.add(p);
      }
    }
    ProbeCloser.closeUnusedProbes(stopped, pools);
    for (PoolImpl p : added.values()) {
      p.start();
    }
  }

  /** Closes pools built for a reconfiguration that was not published (none has started). */
  private static void closeUnpublished(Collection<PoolImpl> pools) {
    for (PoolImpl p : pools) {
      p.close(new NoBackend(p.name(), NoBackend.Reason.CLOSED, "pool '" + p.name() + "': unused"));
    }
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
    ExecutorScheduler ownedScheduler;
    synchronized (changes) { // a reconfiguration in progress finishes first
      if (closed) {
        return;
      }
      closed = true;
      ownedScheduler = this.ownedScheduler;
    }
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
      synchronized (changes) {
        Objects.requireNonNull(backend, "backend");
        requireOpen();
        requirePool(pool).add(backend);
      }
    }

    @Override
    public void removeBackend(String pool, String backendId) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        requirePool(pool).remove(backendId);
      }
    }

    @Override
    public void setWeight(String pool, String backendId, int weight) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        PoolImpl p = requirePool(pool);
        BackendSpec.checkWeight("pools." + pool + ".backends." + backendId + ".weight", weight);
        p.setWeight(backendId, weight);
      }
    }

    @Override
    public void drain(String pool, String backendId) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        requirePool(pool).setDraining(backendId, true);
      }
    }

    @Override
    public void undrain(String pool, String backendId) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        requirePool(pool).setDraining(backendId, false);
      }
    }

    @Override
    public void disable(String pool, String backendId) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        requirePool(pool).setDisabled(backendId, true);
      }
    }

    @Override
    public void enable(String pool, String backendId) {
      synchronized (changes) {
        Objects.requireNonNull(backendId, "backendId");
        requireOpen();
        requirePool(pool).setDisabled(backendId, false);
      }
    }

    @Override
    public void setBackends(String pool, List<BackendSpec> backends) {
      synchronized (changes) {
        Objects.requireNonNull(backends, "backends");
        requireOpen();
        requirePool(pool).setBackends(backends);
      }
    }
  }
}
