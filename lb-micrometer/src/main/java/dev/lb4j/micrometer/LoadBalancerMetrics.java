package dev.lb4j.micrometer;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerObserver;
import dev.lb4j.core.LoadBalancerStats;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.policy.RateLimit;
import dev.lb4j.core.routing.RouteMatch;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToDoubleFunction;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters for one {@link LoadBalancer}: it is the {@link LoadBalancerObserver} the load
 * balancer reports every request, rejection, retry and health event to, and the {@link MeterBinder}
 * that turns them into meters of a {@link MeterRegistry}. The canonical set-up, in this order
 * (the observer must exist before the load balancer, the gauges need the built load balancer):
 *
 * <pre>{@code
 * LoadBalancerMetrics metrics = LoadBalancerMetrics.builder().build();
 * LoadBalancer lb = LoadBalancer.builder().observer(metrics).pool("api", ...).build();
 * metrics.monitor(lb);        // gauges: in flight, state, weight, panic
 * metrics.bindTo(registry);   // or let Spring Boot, Quarkus... bind it as a MeterBinder bean
 * }</pre>
 *
 * <p>Meters (with the builder's {@linkplain Builder#tags common tags} on every one):
 *
 * <table>
 *   <caption>meters</caption>
 *   <tr><th>name</th><th>type</th><th>tags</th></tr>
 *   <tr><td>{@value #REQUESTS}</td><td>timer (percentile histogram by default)</td>
 *       <td>pool, backend, route, outcome ({@code success}, {@code failure}), status ({@code 1xx}
 *       .. {@code 5xx}, {@code none})</td></tr>
 *   <tr><td>{@value #REQUESTS_CANCELLED}</td><td>counter</td><td>pool, backend, route</td></tr>
 *   <tr><td>{@value #RETRIES}</td><td>counter</td><td>pool, route</td></tr>
 *   <tr><td>{@value #REJECTIONS}</td><td>counter</td><td>pool, policy, status (the code)</td></tr>
 *   <tr><td>{@value #NO_BACKEND}</td><td>counter</td><td>pool, reason</td></tr>
 *   <tr><td>{@value #EJECTIONS}</td><td>counter</td><td>pool, backend</td></tr>
 *   <tr><td>{@value #HEALTH_TRANSITIONS}</td><td>counter</td><td>pool, backend, from, to</td></tr>
 *   <tr><td>{@value #BACKEND_REQUESTS_ACTIVE}</td><td>gauge</td><td>pool, backend</td></tr>
 *   <tr><td>{@value #BACKEND_STATE}</td><td>gauge</td><td>pool, backend</td></tr>
 *   <tr><td>{@value #BACKEND_WEIGHT}</td><td>gauge</td><td>pool, backend</td></tr>
 *   <tr><td>{@value #POOL_REQUESTS_ACTIVE}</td><td>gauge</td><td>pool</td></tr>
 *   <tr><td>{@value #POOL_PANIC}</td><td>gauge (1 in panic mode, else 0)</td><td>pool</td></tr>
 *   <tr><td>{@value #RATE_LIMIT_KEYS}, {@value #RATE_LIMIT_KEY_CAPACITY}</td><td>gauges</td>
 *       <td>policy</td></tr>
 * </table>
 *
 * <p>A request is a {@code success} when it got a status below 500, a {@code failure} when it got
 * a 5xx or a connection-level error (status {@code none}); leases closed without an outcome have no
 * latency and are counted by {@value #REQUESTS_CANCELLED}. {@value #BACKEND_STATE} is a number, so
 * that "not serving" is one comparison ({@code > 1}): see {@link #stateValue(BackendStatus)}.
 *
 * <p>Cardinality is bounded by the configuration: the request timer has at most backends x routes
 * x 8 outcome/status combinations, each a histogram of Micrometer's default buckets for timers.
 * When a backend leaves its pool ({@link HealthEvent.BackendRemoved}) every meter tagged with it is
 * removed from the registry; requests still in flight to it when it leaves are not recorded.
 *
 * <p>Thread-safety: every method may be called from any thread. Once a meter exists, recording a
 * request allocates nothing: meters are cached per backend, route, outcome and status class.
 * {@link #bindTo} and {@link #monitor} may each be called once; to publish to several registries,
 * bind to a {@code CompositeMeterRegistry}. Until {@code bindTo} is called, events are not recorded.
 *
 * @since 0.1.0
 */
public final class LoadBalancerMetrics implements LoadBalancerObserver, MeterBinder {

  /** Whether request timers publish a percentile histogram, by default. */
  public static final boolean DEFAULT_PERCENTILE_HISTOGRAM = true;

  /** How old the stats behind the state, panic and pool gauges may be, by default. */
  public static final Duration DEFAULT_STATS_MAX_AGE = Duration.ofSeconds(1);

  /** Request latency per backend: a timer. */
  public static final String REQUESTS = "lb4j.requests";

  /** Leases closed without an outcome: a counter. */
  public static final String REQUESTS_CANCELLED = "lb4j.requests.cancelled";

  /** Retries granted a lease: a counter. */
  public static final String RETRIES = "lb4j.retries";

  /** Requests a policy rejected: a counter. */
  public static final String REJECTIONS = "lb4j.rejections";

  /** Selections that found no backend: a counter. */
  public static final String NO_BACKEND = "lb4j.no.backend";

  /** Passive outlier ejections: a counter. */
  public static final String EJECTIONS = "lb4j.ejections";

  /** Backend state changes: a counter. */
  public static final String HEALTH_TRANSITIONS = "lb4j.health.transitions";

  /** Leases open on a backend now: a gauge. */
  public static final String BACKEND_REQUESTS_ACTIVE = "lb4j.backend.requests.active";

  /** A backend's state as a number ({@link #stateValue}): a gauge. */
  public static final String BACKEND_STATE = "lb4j.backend.state";

  /** A backend's configured weight: a gauge. */
  public static final String BACKEND_WEIGHT = "lb4j.backend.weight";

  /** Leases open in a pool now, removed backends still draining included: a gauge. */
  public static final String POOL_REQUESTS_ACTIVE = "lb4j.pool.requests.active";

  /** Whether a pool is in panic mode (1) or not (0): a gauge. */
  public static final String POOL_PANIC = "lb4j.pool.panic";

  /** Keys a per-key rate limit tracks now: a gauge. */
  public static final String RATE_LIMIT_KEYS = "lb4j.rate.limit.keys";

  /** Keys a per-key rate limit can track: a gauge. */
  public static final String RATE_LIMIT_KEY_CAPACITY = "lb4j.rate.limit.key.capacity";

  private static final String NONE = "none";
  private static final String[] STATUS_CLASSES = {NONE, "1xx", "2xx", "3xx", "4xx", "5xx"};
  private static final String[] OUTCOMES = {"success", "failure"};
  private static final NoBackend.Reason[] REASONS = NoBackend.Reason.values();

  private final boolean percentileHistogram;
  private final Duration statsMaxAge;
  private final Tags commonTags;
  private final List<RateLimit> rateLimits;

  private volatile @Nullable MeterRegistry registry;
  private volatile @Nullable LoadBalancer lb;
  private volatile @Nullable StatsSnapshot stats;

  /** Request meters per backend object (identity: the engine's backend state). */
  private final ConcurrentHashMap<Backend, BackendMeters> byBackend = new ConcurrentHashMap<>();

  private final ConcurrentHashMap<String, ConcurrentHashMap<String, Counter>> retries =
      new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ConcurrentHashMap<String, AtomicReferenceArray<Counter>>>
      rejections = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicReferenceArray<Counter>> noBackends =
      new ConcurrentHashMap<>();

  /** Guarded by this: gauges registered per pool and per (pool, backend). */
  private final Map<String, List<Meter>> poolGauges = new HashMap<>();

  private final Map<String, Map<String, Backend>> gaugedBackends = new HashMap<>();

  private LoadBalancerMetrics(Builder b) {
    this.percentileHistogram = b.percentileHistogram;
    this.statsMaxAge = b.statsMaxAge;
    this.commonTags = b.tags;
    this.rateLimits = List.copyOf(b.rateLimits);
  }

  /**
   * A builder with every setting at its default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Metrics with every setting at its default.
   *
   * @return new metrics, neither bound nor monitoring
   */
  public static LoadBalancerMetrics create() {
    return builder().build();
  }

  /**
   * The number {@value #BACKEND_STATE} reports for a state: {@code HEALTHY} 0, {@code WARMING} 1
   * (both serving), {@code UNHEALTHY} 2, {@code EJECTED} 3, {@code DRAINING} 4, {@code DISABLED} 5.
   *
   * @param status the state
   * @return its number, {@code 0..5}
   */
  public static int stateValue(BackendStatus status) {
    return switch (status) {
      case HEALTHY -> 0;
      case WARMING -> 1;
      case UNHEALTHY -> 2;
      case EJECTED -> 3;
      case DRAINING -> 4;
      case DISABLED -> 5;
    };
  }

  /**
   * Gives these metrics the load balancer they observe, for the gauges. Call it once, after
   * building the load balancer with {@code observer(this)}.
   *
   * @param loadBalancer the load balancer
   * @throws IllegalStateException if called before
   */
  public void monitor(LoadBalancer loadBalancer) {
    Objects.requireNonNull(loadBalancer, "loadBalancer");
    synchronized (this) {
      LoadBalancer current = lb;
      if (current != null) {
        throw new IllegalStateException("monitor: already monitoring " + current);
      }
      lb = loadBalancer;
      syncGauges();
    }
  }

  /**
   * Registers the meters in this registry: the gauges now (once {@link #monitor} was called too),
   * the request meters as traffic comes. Call it once.
   *
   * @param meterRegistry the registry
   * @throws IllegalStateException if already bound
   */
  @Override
  public void bindTo(MeterRegistry meterRegistry) {
    Objects.requireNonNull(meterRegistry, "meterRegistry");
    synchronized (this) {
      MeterRegistry current = registry;
      if (current != null) {
        throw new IllegalStateException(
            "bindTo: already bound to " + current + " (bind once to a CompositeMeterRegistry)");
      }
      registry = meterRegistry;
      for (RateLimit limit : rateLimits) {
        Tags tags = commonTags.and("policy", limit.name());
        Gauge.builder(RATE_LIMIT_KEYS, limit, RateLimit::trackedKeys)
            .description("Keys a per-key rate limit tracks now")
            .tags(tags)
            .register(meterRegistry);
        Gauge.builder(RATE_LIMIT_KEY_CAPACITY, limit, RateLimit::keyCapacity)
            .description("Keys a per-key rate limit can track")
            .tags(tags)
            .register(meterRegistry);
      }
      syncGauges();
    }
  }

  /**
   * Always {@code true}: the request timers need every lease's latency.
   *
   * @return {@code true}
   */
  @Override
  public boolean needsLatency() {
    return true;
  }

  /**
   * Records the request in {@value #REQUESTS} (or {@value #REQUESTS_CANCELLED}).
   *
   * @param lease the lease
   * @param status the status, or 0
   * @param error the error, {@code NONE} with a status
   * @param latencyNanos the latency, -1 if not measured
   */
  @Override
  public void leaseReleased(Lease lease, int status, ErrorKind error, long latencyNanos) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    BackendMeters meters = byBackend.get(lease.backend());
    if (meters == null) {
      meters = newBackendMeters(lease);
      if (meters == null) {
        return; // the backend left its pool; its meters are gone
      }
    }
    RouteMeters route = meters.route(routeName(lease.route()), r);
    if (error == ErrorKind.CANCELLED) {
      route.cancelled.increment();
      return;
    }
    if (latencyNanos < 0) {
      return;
    }
    int statusClass = status >= 100 && status <= 599 ? status / 100 : 0;
    int outcome = error != ErrorKind.NONE || status >= 500 ? 1 : 0;
    int slot = outcome * STATUS_CLASSES.length + statusClass;
    Timer timer = route.timers.get(slot);
    if (timer == null) {
      timer = route.timer(slot, r);
    }
    timer.record(latencyNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Counts the retry in {@value #RETRIES}.
   *
   * @param previous the previous attempt's lease
   * @param next the retry's lease
   */
  @Override
  public void retried(Lease previous, Lease next) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    String pool = next.pool();
    String route = routeName(next.route());
    ConcurrentHashMap<String, Counter> byRoute = retries.get(pool);
    Counter counter = byRoute == null ? null : byRoute.get(route);
    if (counter == null) {
      counter =
          retries
              .computeIfAbsent(pool, k -> new ConcurrentHashMap<>())
              .computeIfAbsent(
                  route,
                  k ->
                      Counter.builder(RETRIES)
                          .description("Retries granted a lease")
                          .tags(commonTags)
                          .tag("pool", pool)
                          .tag("route", route)
                          .register(r));
    }
    counter.increment();
  }

  /**
   * Counts the rejection in {@value #REJECTIONS}.
   *
   * @param request the request
   * @param rejected the rejection
   */
  @Override
  public void rejected(RequestView request, Rejected rejected) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    String pool = poolTag(rejected.pool());
    String policy = rejected.policy();
    ConcurrentHashMap<String, AtomicReferenceArray<Counter>> byPolicy = rejections.get(pool);
    AtomicReferenceArray<Counter> byStatus = byPolicy == null ? null : byPolicy.get(policy);
    if (byStatus == null) {
      byStatus =
          rejections
              .computeIfAbsent(pool, k -> new ConcurrentHashMap<>())
              .computeIfAbsent(policy, k -> new AtomicReferenceArray<>(200));
    }
    int slot = rejected.status() - 400;
    Counter counter = byStatus.get(slot);
    if (counter == null) {
      counter =
          Counter.builder(REJECTIONS)
              .description("Requests a policy rejected")
              .tags(commonTags)
              .tag("pool", pool)
              .tag("policy", policy)
              .tag("status", Integer.toString(rejected.status()))
              .register(r);
      byStatus.set(slot, counter);
    }
    counter.increment();
  }

  /**
   * Counts the selection in {@value #NO_BACKEND}.
   *
   * @param request the request
   * @param noBackend why no backend was selected
   */
  @Override
  @SuppressWarnings("EnumOrdinal") // an array slot per reason: no map lookup, no allocation
  public void noBackend(RequestView request, NoBackend noBackend) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    String pool = poolTag(noBackend.pool());
    AtomicReferenceArray<Counter> byReason = noBackends.get(pool);
    if (byReason == null) {
      byReason = noBackends.computeIfAbsent(pool, k -> new AtomicReferenceArray<>(REASONS.length));
    }
    int slot = noBackend.reason().ordinal();
    Counter counter = byReason.get(slot);
    if (counter == null) {
      counter =
          Counter.builder(NO_BACKEND)
              .description("Selections that found no backend")
              .tags(commonTags)
              .tag("pool", pool)
              .tag("reason", noBackend.reason().name().toLowerCase(Locale.ROOT))
              .register(r);
      byReason.set(slot, counter);
    }
    counter.increment();
  }

  /**
   * Counts state changes ({@value #HEALTH_TRANSITIONS}, {@value #EJECTIONS}); registers the gauges
   * of added backends and removes every meter of removed ones.
   *
   * @param event the event
   */
  @Override
  public void healthChanged(HealthEvent event) {
    MeterRegistry r = registry;
    if (r == null) {
      return;
    }
    if (event instanceof HealthEvent.StatusChanged changed) {
      Counter.builder(HEALTH_TRANSITIONS)
          .description("Backend state changes")
          .tags(commonTags)
          .tag("pool", changed.pool())
          .tag("backend", changed.backendId())
          .tag("from", stateTag(changed.from()))
          .tag("to", stateTag(changed.to()))
          .register(r)
          .increment();
      if (changed.to() == BackendStatus.EJECTED) {
        ejections(r, changed.pool(), changed.backendId()).increment();
      }
    } else if (event instanceof HealthEvent.BackendRemoved removed) {
      synchronized (this) {
        removeBackend(r, removed.pool(), removed.backendId());
        syncGauges();
      }
    } else if (event instanceof HealthEvent.BackendAdded) {
      synchronized (this) {
        syncGauges();
      }
    }
  }

  @Override
  public String toString() {
    MeterRegistry r = registry;
    LoadBalancer l = lb;
    return "LoadBalancerMetrics[percentileHistogram=" + percentileHistogram
        + ", statsMaxAge=" + statsMaxAge
        + ", tags=" + commonTags
        + ", rateLimits=" + rateLimits.stream().map(RateLimit::name).toList()
        + ", registry=" + (r == null ? "none" : r.getClass().getSimpleName())
        + ", monitoring=" + (l == null ? "none" : l.poolNames())
        + "]";
  }

  // ------------------------------------------------------------------------------- request meters

  private static String routeName(@Nullable RouteMatch route) {
    return route == null ? NONE : route.rule().name();
  }

  private static String poolTag(String pool) {
    return pool.isEmpty() ? NONE : pool;
  }

  private static String stateTag(BackendStatus status) {
    return status.name().toLowerCase(Locale.ROOT);
  }

  /** The slow path of a backend's first request: null if the backend already left its pool. */
  private synchronized @Nullable BackendMeters newBackendMeters(Lease lease) {
    Backend backend = lease.backend();
    BackendMeters meters = byBackend.get(backend);
    if (meters != null) {
      return meters;
    }
    LoadBalancer l = lb;
    if (l != null && !isMember(l, lease.pool(), backend)) {
      return null;
    }
    meters = new BackendMeters(lease.pool(), backend.id());
    byBackend.put(backend, meters);
    return meters;
  }

  private static boolean isMember(LoadBalancer l, String pool, Backend backend) {
    if (!l.poolNames().contains(pool)) {
      return false;
    }
    try {
      for (Backend b : l.pool(pool).backends()) {
        if (b == backend) {
          return true;
        }
      }
    } catch (IllegalArgumentException poolGoneMeanwhile) {
      return false;
    }
    return false;
  }

  private final class BackendMeters {
    final String pool;
    final String backend;
    volatile RouteMeters[] routes = new RouteMeters[0];

    /**
     * Set when the backend left its pool, before its meters are removed: a thread that registers
     * a meter for it after reading this cache entry removes that meter again (it either sees the
     * flag, or the removal sees its meter).
     */
    volatile boolean removed;

    <M extends Meter> M registered(M meter, MeterRegistry r) {
      if (removed) {
        r.remove(meter);
      }
      return meter;
    }

    BackendMeters(String pool, String backend) {
      this.pool = pool;
      this.backend = backend;
    }

    @SuppressWarnings("ReferenceEquality") // the fast path: a route's name is one String instance
    RouteMeters route(String name, MeterRegistry r) {
      RouteMeters[] current = routes;
      for (RouteMeters m : current) {
        if (m.name == name) {
          return m;
        }
      }
      for (RouteMeters m : current) {
        if (m.name.equals(name)) {
          return m;
        }
      }
      return addRoute(name, r);
    }

    synchronized RouteMeters addRoute(String name, MeterRegistry r) {
      for (RouteMeters m : routes) {
        if (m.name.equals(name)) {
          return m;
        }
      }
      RouteMeters added = new RouteMeters(this, name, r);
      RouteMeters[] next = Arrays.copyOf(routes, routes.length + 1);
      next[routes.length] = added;
      routes = next;
      return added;
    }
  }

  private final class RouteMeters {
    final BackendMeters owner;
    final String name;
    final Counter cancelled;
    final AtomicReferenceArray<Timer> timers =
        new AtomicReferenceArray<>(OUTCOMES.length * STATUS_CLASSES.length);

    RouteMeters(BackendMeters owner, String name, MeterRegistry r) {
      this.owner = owner;
      this.name = name;
      this.cancelled =
          owner.registered(
              Counter.builder(REQUESTS_CANCELLED)
                  .description("Leases closed without an outcome")
                  .tags(commonTags)
                  .tag("pool", owner.pool)
                  .tag("backend", owner.backend)
                  .tag("route", name)
                  .register(r),
              r);
    }

    Timer timer(int slot, MeterRegistry r) {
      Timer timer =
          Timer.builder(REQUESTS)
              .description("Requests sent to a backend, by outcome, from selection to response")
              .tags(commonTags)
              .tag("pool", owner.pool)
              .tag("backend", owner.backend)
              .tag("route", name)
              .tag("outcome", OUTCOMES[slot / STATUS_CLASSES.length])
              .tag("status", STATUS_CLASSES[slot % STATUS_CLASSES.length])
              .publishPercentileHistogram(percentileHistogram)
              .register(r);
      timers.set(slot, timer);
      return owner.registered(timer, r);
    }
  }

  private Counter ejections(MeterRegistry r, String pool, String backend) {
    return Counter.builder(EJECTIONS)
        .description("Passive outlier ejections")
        .tags(commonTags)
        .tag("pool", pool)
        .tag("backend", backend)
        .register(r);
  }

  /** Removes every meter tagged with this backend, and its cached request meters. */
  private void removeBackend(MeterRegistry r, String pool, String backend) {
    byBackend
        .values()
        .removeIf(
            m -> {
              boolean match = m.pool.equals(pool) && m.backend.equals(backend);
              if (match) {
                m.removed = true;
              }
              return match;
            });
    Map<String, Backend> gauged = gaugedBackends.get(pool);
    if (gauged != null) {
      gauged.remove(backend);
    }
    for (Meter meter : new ArrayList<>(r.getMeters())) {
      Meter.Id id = meter.getId();
      if (id.getName().startsWith("lb4j.")
          && pool.equals(id.getTag("pool"))
          && backend.equals(id.getTag("backend"))) {
        r.remove(meter);
      }
    }
  }

  // ---------------------------------------------------------------------------------------- gauges

  /**
   * Registers gauges for pools and backends that have none yet and removes those of pools that are
   * gone. Guarded by this.
   */
  private void syncGauges() {
    MeterRegistry r = registry;
    LoadBalancer l = lb;
    if (r == null || l == null) {
      return;
    }
    Set<String> pools = new HashSet<>(l.poolNames());
    for (String gone : new ArrayList<>(poolGauges.keySet())) {
      if (!pools.contains(gone)) {
        List<Meter> gauges = poolGauges.remove(gone);
        if (gauges != null) {
          gauges.forEach(r::remove);
        }
        Map<String, Backend> backends = gaugedBackends.remove(gone);
        if (backends != null) {
          for (String backend : backends.keySet()) {
            removeBackend(r, gone, backend);
          }
        }
      }
    }
    for (String pool : pools) {
      List<Backend> members;
      try {
        members = l.pool(pool).backends();
      } catch (IllegalArgumentException poolGoneMeanwhile) {
        continue;
      }
      poolGauges.computeIfAbsent(pool, p -> registerPoolGauges(r, p));
      Map<String, Backend> gauged = gaugedBackends.computeIfAbsent(pool, p -> new HashMap<>());
      IdentityHashMap<Backend, Boolean> current = new IdentityHashMap<>();
      for (Backend b : members) {
        current.put(b, Boolean.TRUE);
        Backend known = gauged.get(b.id());
        if (known != b) {
          registerBackendGauges(r, pool, b);
          gauged.put(b.id(), b);
        }
      }
      // Request meters cached for backend objects that left (replaced under the same id).
      byBackend.keySet().removeIf(b -> gaugedPoolOf(b, pool) && !current.containsKey(b));
    }
  }

  private boolean gaugedPoolOf(Backend b, String pool) {
    BackendMeters m = byBackend.get(b);
    return m != null && m.pool.equals(pool);
  }

  private List<Meter> registerPoolGauges(MeterRegistry r, String pool) {
    Tags tags = commonTags.and("pool", pool);
    return List.of(
        Gauge.builder(POOL_REQUESTS_ACTIVE, this, poolValue(pool, s -> s.inFlight()))
            .description("Leases open in the pool now")
            .tags(tags)
            .register(r),
        Gauge.builder(POOL_PANIC, this, poolValue(pool, s -> s.panic() ? 1 : 0))
            .description("1 while the pool is in panic mode, else 0")
            .tags(tags)
            .register(r));
  }

  private void registerBackendGauges(MeterRegistry r, String pool, Backend backend) {
    Tags tags = commonTags.and("pool", pool).and("backend", backend.id());
    String id = backend.id();
    Gauge.builder(BACKEND_REQUESTS_ACTIVE, backend, Backend::inFlight)
        .description("Leases open on the backend now")
        .tags(tags)
        .strongReference(true)
        .register(r);
    Gauge.builder(BACKEND_WEIGHT, backend, Backend::weight)
        .description("The backend's configured weight")
        .tags(tags)
        .strongReference(true)
        .register(r);
    Gauge.builder(BACKEND_STATE, this, backendValue(pool, id, b -> stateValue(b.status())))
        .description(
            "The backend's state: 0 healthy, 1 warming, 2 unhealthy, 3 ejected, 4 draining,"
                + " 5 disabled")
        .tags(tags)
        .register(r);
    ejections(r, pool, id); // present at 0 before the first ejection
  }

  private ToDoubleFunction<LoadBalancerMetrics> poolValue(
      String pool, ToDoubleFunction<PoolStats> value) {
    return self -> {
      PoolStats s = self.currentStats().pools().get(pool);
      return s == null ? Double.NaN : value.applyAsDouble(s);
    };
  }

  private ToDoubleFunction<LoadBalancerMetrics> backendValue(
      String pool, String backend, ToDoubleFunction<BackendStats> value) {
    return self -> {
      PoolStats s = self.currentStats().pools().get(pool);
      if (s == null) {
        return Double.NaN;
      }
      for (BackendStats b : s.backends()) {
        if (b.id().equals(backend)) {
          return value.applyAsDouble(b);
        }
      }
      return Double.NaN;
    };
  }

  private record StatsSnapshot(long takenNanos, LoadBalancerStats stats) {}

  /** The load balancer's stats, taken at most {@code statsMaxAge} ago. */
  private LoadBalancerStats currentStats() {
    LoadBalancer l = Objects.requireNonNull(lb, "lb");
    long now = System.nanoTime();
    StatsSnapshot s = stats;
    if (s == null || now - s.takenNanos() >= statsMaxAge.toNanos()) {
      s = new StatsSnapshot(now, l.stats());
      stats = s;
    }
    return s.stats();
  }

  /**
   * Settings of {@link LoadBalancerMetrics}; each may be set once.
   *
   * @since 0.1.0
   */
  public static final class Builder {
    private boolean percentileHistogram = DEFAULT_PERCENTILE_HISTOGRAM;
    private Duration statsMaxAge = DEFAULT_STATS_MAX_AGE;
    private Tags tags = Tags.empty();
    private List<RateLimit> rateLimits = List.of();
    private final Set<String> set = new HashSet<>();

    private Builder() {}

    private void requireState(String setting, Object current) {
      if (!set.add(setting)) {
        throw new IllegalStateException(setting + " was already set to " + current);
      }
    }

    /**
     * Whether the request timers publish a percentile histogram (buckets a backend such as
     * Prometheus aggregates into p50/p99 across instances). Default {@value
     * #DEFAULT_PERCENTILE_HISTOGRAM}.
     *
     * @param enabled whether to publish histograms
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder percentileHistogram(boolean enabled) {
      requireState("percentileHistogram", percentileHistogram);
      this.percentileHistogram = enabled;
      return this;
    }

    /**
     * How old the stats behind {@value #BACKEND_STATE}, {@value #POOL_PANIC} and {@value
     * #POOL_REQUESTS_ACTIVE} may be: one {@link LoadBalancer#stats()} serves every gauge read within
     * this time (a scrape). Default one second ({@link #DEFAULT_STATS_MAX_AGE}); zero takes fresh
     * stats on every read.
     *
     * @param maxAge the age, zero or more
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder statsMaxAge(Duration maxAge) {
      Objects.requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative()) {
        throw new IllegalArgumentException("statsMaxAge: " + maxAge + " (expected: zero or more)");
      }
      requireState("statsMaxAge", statsMaxAge);
      this.statsMaxAge = maxAge;
      return this;
    }

    /**
     * Tags added to every meter, for example to tell two load balancers apart in one registry.
     * Default none.
     *
     * @param commonTags the tags
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder tags(Iterable<Tag> commonTags) {
      Objects.requireNonNull(commonTags, "commonTags");
      requireState("tags", tags);
      this.tags = Tags.of(commonTags);
      return this;
    }

    /**
     * Rate limits whose per-key table occupancy to publish ({@value #RATE_LIMIT_KEYS}, {@value
     * #RATE_LIMIT_KEY_CAPACITY}, tagged with the policy name). The load balancer does not expose its
     * policies, so pass the instances you built it with. Reading the occupancy scans the table
     * under its locks once per gauge read. Default none.
     *
     * @param limits the rate limits
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder rateLimits(RateLimit... limits) {
      List<RateLimit> list = List.of(limits);
      requireState("rateLimits", rateLimits);
      this.rateLimits = list;
      return this;
    }

    /**
     * Builds the metrics; the builder stays usable.
     *
     * @return new metrics, neither bound nor monitoring
     */
    public LoadBalancerMetrics build() {
      return new LoadBalancerMetrics(this);
    }
  }
}
