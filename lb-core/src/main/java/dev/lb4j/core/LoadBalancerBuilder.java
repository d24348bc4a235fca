package dev.lb4j.core;

import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.internal.EngineSettings;
import dev.lb4j.core.internal.ExecutorScheduler;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteBuilder;
import dev.lb4j.api.Policy;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Builds a {@link LoadBalancer}. Obtain one from {@link LoadBalancer#builder()}.
 *
 * <p>Each setting may be set once; a second call throws {@link IllegalStateException} naming it.
 * Arguments are checked in the setters and cross-field rules in {@link #build()}, always with a
 * message naming the field, the value and what is allowed. {@code build()} leaves the builder usable.
 *
 * <p>Not thread-safe.
 *
 * @since 0.1.0
 */
public final class LoadBalancerBuilder {

  /** The default time constant of the latency EWMA: 10 seconds, Finagle's default decay time. */
  public static final Duration DEFAULT_LATENCY_DECAY = Duration.ofSeconds(10);

  private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

  private final Map<String, PoolBuilder> pools = new LinkedHashMap<>();
  private @Nullable String defaultPool;
  private @Nullable Ticker ticker;
  private @Nullable Duration latencyDecay;
  private @Nullable Boolean latencyStats;
  private @Nullable LoadBalancerObserver observer;
  private @Nullable Scheduler scheduler;
  private final List<RoutingRule> rules = new ArrayList<>();
  private final List<Policy> policies = new ArrayList<>();
  private final List<HealthListener> listeners = new ArrayList<>();

  LoadBalancerBuilder() {}

  /**
   * Defines a pool.
   *
   * @param name a new pool name: 1 to 64 letters, digits, {@code _} or {@code -}, starting with a
   *     letter or digit (no dots, so field paths such as {@code pools.api.backends[0]} stay
   *     unambiguous)
   * @param configure adds backends and sets the algorithm
   * @return this builder
   */
  public LoadBalancerBuilder pool(String name, Consumer<PoolBuilder> configure) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(configure, "configure");
    if (!POOL_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "pools: name '" + name + "' (expected: 1 to 64 letters, digits, '_' or '-', starting"
              + " with a letter or digit)");
    }
    if (pools.containsKey(name)) {
      throw new IllegalStateException("pools." + name + " was already defined");
    }
    PoolBuilder pool = new PoolBuilder(name);
    configure.accept(pool);
    pools.put(name, pool);
    return this;
  }

  /**
   * Adds a route, configured in place. Routes and {@linkplain #rule custom rules} are evaluated in
   * the order they are added; the first that matches decides the pool.
   *
   * @param name the route's name, unique among the rules
   * @param configure sets matchers and the action
   * @return this builder
   */
  public LoadBalancerBuilder route(String name, Consumer<RouteBuilder> configure) {
    Objects.requireNonNull(configure, "configure");
    RouteBuilder route = Route.builder(name);
    configure.accept(route);
    return rule(route.build());
  }

  /**
   * Adds a routing rule: a {@link Route} built with {@link Route#builder(String)}, or your own
   * {@link RoutingRule}. Rules are evaluated in the order they are added (routes' exact paths and
   * path prefixes are indexed, so order is kept without trying every rule); the first that matches
   * decides the pool. A request no rule matches goes to the {@linkplain #defaultPool default pool},
   * or gets {@link NoBackend.Reason#NO_ROUTE} when there is none. A custom rule that names a pool
   * that does not exist counts as matching nothing for that request: it goes to the default pool
   * (or NO_ROUTE); later rules are not tried. The engine asks a custom rule for its {@link
   * RoutingRule#action}, so a rule can carry its own policies (run after the global ones) and a
   * path rewrite, as a route does; such policies are not checked against the global ones here.
   *
   * @param rule the rule; its name must be unique among the rules, 1 to 64 letters, digits, {@code _}
   *     or {@code -}, and not {@code default}
   * @return this builder
   */
  public LoadBalancerBuilder rule(RoutingRule rule) {
    Objects.requireNonNull(rule, "rule");
    String name = Objects.requireNonNull(rule.name(), "rule.name()");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}") || name.equals("default")) {
      throw new IllegalArgumentException(
          "routes: name '" + name + "' (expected: 1 to 64 letters, digits, '_' or '-', starting"
              + " with a letter or digit; 'default' names the default route)");
    }
    for (RoutingRule r : rules) {
      if (r.name().equals(name)) {
        throw new IllegalStateException("routes." + name + " was already defined");
      }
    }
    rules.add(rule);
    return this;
  }

  /**
   * Adds a global policy: it runs for every request {@link LoadBalancer#select(RequestView)} sees,
   * after routing and before the matched route's own policies, in the order added. The first policy
   * that rejects ends the request with a {@link Rejected}; a policy that throws rejects it with 500
   * (counted in {@link LoadBalancerStats#policyErrors()}).
   *
   * @param policy the policy, for example a {@code RateLimit}; its name must be unique
   * @return this builder
   */
  public LoadBalancerBuilder policy(Policy policy) {
    Objects.requireNonNull(policy, "policy");
    String name = Objects.requireNonNull(policy.name(), "policy.name()");
    for (Policy p : policies) {
      if (p.name().equals(name)) {
        throw new IllegalStateException("policies." + name + " was already added");
      }
    }
    policies.add(policy);
    return this;
  }

  /**
   * Names the pool that {@link LoadBalancer#select} uses when no routing rule matches (or always,
   * without rules). Optional: with exactly one pool, that pool is the default; with several and no
   * default, requests no rule matches get {@link NoBackend.Reason#NO_ROUTE} from {@code select},
   * which suits client-side balancing, where {@link LoadBalancer#selectByHost} picks the pool by the
   * request's host.
   *
   * @param name the name of a pool defined on this builder (checked in {@link #build()})
   * @return this builder
   */
  public LoadBalancerBuilder defaultPool(String name) {
    Objects.requireNonNull(name, "name");
    if (defaultPool != null) {
      throw new IllegalStateException("defaultPool was already set to '" + defaultPool + "'");
    }
    defaultPool = name;
    return this;
  }

  /**
   * Sets the time source. Default: {@link Ticker#system()}.
   *
   * @param ticker the ticker
   * @return this builder
   */
  public LoadBalancerBuilder ticker(Ticker ticker) {
    Objects.requireNonNull(ticker, "ticker");
    if (this.ticker != null) {
      throw new IllegalStateException("ticker was already set");
    }
    this.ticker = ticker;
    return this;
  }

  /**
   * Sets the time constant of the per-backend latency EWMA. Default: {@link #DEFAULT_LATENCY_DECAY}.
   *
   * @param decay 1 ms to 1 hour
   * @return this builder
   */
  public LoadBalancerBuilder latencyDecay(Duration decay) {
    Objects.requireNonNull(decay, "decay");
    if (latencyDecay != null) {
      throw new IllegalStateException("latencyDecay was already set to " + latencyDecay);
    }
    if (decay.compareTo(Duration.ofMillis(1)) < 0 || decay.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("latencyDecay: " + decay + " (expected: PT0.001S..PT1H)");
    }
    latencyDecay = decay;
    return this;
  }

  /**
   * Sets whether every backend keeps its latency EWMA ({@link BackendStats#latencyEwmaNanos()})
   * even when its pool's algorithm does not read latency. Default: {@code true}.
   *
   * <p>Measuring latency costs two clock reads per request (about 20 ns each on a virtual machine),
   * which is most of what a lease costs when the algorithm ignores latency. With {@code false},
   * pools whose algorithm does not read latency ({@link dev.lb4j.api.Algorithm#usesLatency()}:
   * round robin, random, least request and the hashes) never read the clock on the request path and
   * report a latency EWMA of 0; pools whose algorithm reads latency (peak EWMA) keep measuring.
   *
   * @param enabled whether to keep latency statistics for every pool
   * @return this builder
   * @since 0.1.0
   */
  public LoadBalancerBuilder latencyStats(boolean enabled) {
    if (latencyStats != null) {
      throw new IllegalStateException("latencyStats was already set to " + latencyStats);
    }
    latencyStats = enabled;
    return this;
  }

  /**
   * Sets the observer that hears every released lease, rejection, missing backend, retry and
   * health event, for metrics (lb-micrometer's binder is one). Default: none, and then the engine
   * calls nothing. One observer per load balancer; combine several in one of your own.
   *
   * @param observer the observer
   * @return this builder
   * @since 0.1.0
   */
  public LoadBalancerBuilder observer(LoadBalancerObserver observer) {
    Objects.requireNonNull(observer, "observer");
    if (this.observer != null) {
      throw new IllegalStateException("observer was already set to " + this.observer);
    }
    this.observer = observer;
    return this;
  }

  /**
   * Sets the scheduler for timed work (probes, ejection ends, slow-start windows). Default: a
   * scheduler with one daemon thread, created only if some pool has health checking, outlier
   * detection or slow start, and shut down by {@link LoadBalancer#close()}. A scheduler you pass is
   * yours to shut down; closing the load balancer only cancels its tasks.
   *
   * @param scheduler the scheduler; use the same clock as the {@linkplain #ticker ticker}
   * @return this builder
   */
  public LoadBalancerBuilder scheduler(Scheduler scheduler) {
    Objects.requireNonNull(scheduler, "scheduler");
    if (this.scheduler != null) {
      throw new IllegalStateException("scheduler was already set");
    }
    this.scheduler = scheduler;
    return this;
  }

  /**
   * Adds a listener for health events of every pool. May be called more than once.
   *
   * @param listener the listener
   * @return this builder
   */
  public LoadBalancerBuilder healthListener(HealthListener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
    return this;
  }

  /**
   * Validates everything and builds an immutable, thread-safe load balancer.
   *
   * @return the load balancer
   * @throws IllegalArgumentException naming the first invalid field
   */
  public LoadBalancer build() {
    String defaultName = validate();
    Ticker clock = ticker == null ? Ticker.system() : ticker;
    long decayNanos = (latencyDecay == null ? DEFAULT_LATENCY_DECAY : latencyDecay).toNanos();
    EngineSettings engine =
        new EngineSettings(clock, decayNanos, latencyStats == null || latencyStats, observer);
    boolean needsScheduler = false;
    for (PoolBuilder pool : pools.values()) {
      needsScheduler |= pool.healthConfig().needsScheduler();
    }
    Scheduler timer = scheduler;
    ExecutorScheduler owned = null;
    if (timer == null && needsScheduler) {
      owned = ExecutorScheduler.daemon();
      timer = owned;
    }
    HealthEvents events = new HealthEvents();
    listeners.forEach(events::add);
    LoadBalancerObserver o = observer;
    if (o != null) {
      events.add(o::healthChanged);
    }
    List<PoolImpl> built = new ArrayList<>(pools.size());
    try {
      for (PoolBuilder pool : pools.values()) {
        built.add(
            new PoolImpl(
                pool.name(),
                pool.algorithmOrDefault(),
                pool.hashKey(),
                engine,
                pool.backends(),
                pool.healthConfig(),
                timer,
                events));
      }
    } catch (RuntimeException e) {
      if (owned != null) {
        owned.close();
      }
      throw e;
    }
    LoadBalancer lb =
        new LoadBalancer(
            built,
            defaultName,
            engine,
            owned,
            timer,
            events,
            List.copyOf(rules),
            List.copyOf(policies));
    for (PoolImpl p : built) {
      p.start();
    }
    return lb;
  }

  /**
   * Checks what {@link #build()} checks, without building or starting anything (configuration
   * tools use it to validate a set-up); {@link LoadBalancer#reconfigure} checks the same before it
   * changes anything: pools non-empty, each pool's own rules, no route policy that is also a global
   * one, every route's pools defined, the default pool defined.
   *
   * @return the default pool's name (the only pool's when there is one and none was named), or
   *     {@code null} for none
   * @throws IllegalArgumentException naming the first invalid field, its value and what is allowed
   */
  public @Nullable String validate() {
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("pools: empty (expected: at least one pool)");
    }
    for (PoolBuilder pool : pools.values()) {
      pool.validate();
    }
    String defaultName = defaultPool;
    for (RoutingRule rule : rules) {
      if (rule instanceof Route route) {
        for (Policy p : route.policies()) {
          for (Policy g : policies) {
            if (g == p || g.name().equals(p.name())) {
              throw new IllegalArgumentException(
                  "routes." + route.name() + ".policies." + p.name() + ": also a global policy"
                      + " (expected: each policy once per request; global policies already run"
                      + " for every route)");
            }
          }
        }
        for (String pool : route.pools()) {
          if (!pools.containsKey(pool)) {
            throw new IllegalArgumentException(
                "routes." + route.name() + (route.pools().size() == 1 ? ".toPool" : ".split")
                    + ": '" + pool + "' (expected: one of the pools " + pools.keySet() + ")");
          }
        }
      }
    }
    if (defaultName == null) {
      if (pools.size() == 1) {
        defaultName = pools.keySet().iterator().next();
      }
      // else: routing (or selectByHost) decides; requests nothing routes get NO_ROUTE
    } else if (!pools.containsKey(defaultName)) {
      throw new IllegalArgumentException(
          "defaultPool: '" + defaultName + "' (expected: one of " + pools.keySet() + ")");
    }
    return defaultName;
  }

  /** The pools, in definition order (for {@link LoadBalancer#reconfigure}). */
  Map<String, PoolBuilder> pools() {
    return pools;
  }

  /** The routing rules, in declaration order. */
  List<RoutingRule> rules() {
    return List.copyOf(rules);
  }

  /** The global policies, in the order added. */
  List<Policy> policies() {
    return List.copyOf(policies);
  }

  /**
   * The first setting that belongs to a running load balancer and that a reconfiguration cannot
   * change, if this builder sets it: {@code ticker}, {@code scheduler}, {@code latencyDecay},
   * {@code latencyStats}, {@code observer} or {@code healthListener}, with its value; else {@code null}.
   */
  @Nullable String engineSetting() {
    if (ticker != null) {
      return "ticker: " + ticker;
    }
    if (scheduler != null) {
      return "scheduler: " + scheduler;
    }
    if (latencyDecay != null) {
      return "latencyDecay: " + latencyDecay;
    }
    if (latencyStats != null) {
      return "latencyStats: " + latencyStats;
    }
    if (observer != null) {
      return "observer: " + observer;
    }
    if (!listeners.isEmpty()) {
      return "healthListener: " + listeners;
    }
    return null;
  }

  @Override
  public String toString() {
    return "LoadBalancerBuilder" + pools.values();
  }
}
