package dev.lb4j.config.internal;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyProvider;
import dev.lb4j.config.ConfigProblem;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.policy.RateLimit;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.core.routing.RouteBuilder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Turns a bound {@link Model.Root} into a {@link LoadBalancerBuilder} (and a {@link RetryPolicy}),
 * collecting every problem: references to pools and policies that do not exist, providers that are
 * not installed, and whatever the engine's builders refuse (their messages, under the file's path).
 */
public final class Mapper {

  private final List<ConfigProblem> problems;
  private final java.util.function.Predicate<Object> complete;

  /**
   * A mapper for a model that bound without problems.
   *
   * @param problems where problems go
   */
  public Mapper(List<ConfigProblem> problems) {
    this(problems, value -> true);
  }

  /**
   * A mapper for a model that may have parts that did not bind; it skips those (their problems are
   * already reported) and checks everything else.
   *
   * @param problems where problems go
   * @param complete whether a part of the model bound without problems
   */
  public Mapper(List<ConfigProblem> problems, java.util.function.Predicate<Object> complete) {
    this.problems = problems;
    this.complete = complete;
  }

  /** Runs {@code step}; what it throws becomes a problem at {@code path}. */
  private boolean attempt(String path, Runnable step) {
    try {
      step.run();
      return true;
    } catch (IllegalArgumentException | IllegalStateException e) {
      problems.add(fromBuilder(path, e.getMessage()));
      return false;
    }
  }

  /**
   * A builder's "field: value (expected: ...)" message, placed at the file's path.
   *
   * @param path the path
   * @param message the message
   * @return the problem
   */
  public static ConfigProblem fromBuilder(String path, @Nullable String message) {
    String m = message == null ? "refused" : message;
    String at = path;
    String head = m;
    String expected = "expected: a value the engine accepts (see above)";
    int open = m.lastIndexOf(" (expected");
    int semicolon = m.lastIndexOf("; expected");
    if (open > 0 && m.endsWith(")")) {
      head = m.substring(0, open);
      expected = m.substring(open + 2, m.length() - 1);
    } else if (semicolon > 0 && m.endsWith(")")) {
      head = m.substring(0, semicolon) + ")";
      expected = m.substring(semicolon + 2, m.length() - 1);
    }
    int colon = head.indexOf(": ");
    if (colon > 0) {
      String field = head.substring(0, colon);
      String found = head.substring(colon + 2);
      if (path.equals("(document)") && field.startsWith("pools.")) {
        at = field; // the engine's own rule about a pool: its path is the file's
      } else if (!field.contains(" ") && path.endsWith(lastSegment(field))) {
        return new ConfigProblem(path, found, expected); // the field repeats the path
      } else {
        found = found + " at " + field;
      }
      return new ConfigProblem(at, found, expected);
    }
    return new ConfigProblem(at, head, expected);
  }

  private static String lastSegment(String field) {
    int dot = field.lastIndexOf('.');
    return dot < 0 ? field : field.substring(dot + 1);
  }

  /**
   * Builds the load balancer's builder.
   *
   * @param root the bound model
   * @return the builder; use it only when no problem was added
   */
  public LoadBalancerBuilder loadBalancer(Model.Root root) {
    return loadBalancer(root, true);
  }

  /**
   * Builds the builder, optionally without the settings that belong to a running load balancer
   * ({@code latencyDecay}, {@code latencyStats}), as {@link dev.lb4j.core.LoadBalancer#reconfigure} requires.
   *
   * @param root the bound model
   * @param engineSettings whether to set {@code latencyDecay}
   * @return the builder; use it only when no problem was added
   */
  public LoadBalancerBuilder loadBalancer(Model.Root root, boolean engineSettings) {
    LoadBalancerBuilder lb = dev.lb4j.core.LoadBalancer.builder();
    Map<String, Model.Pool> pools = root.pools() == null ? Map.of() : root.pools();
    for (Map.Entry<String, Model.Pool> e : pools.entrySet()) {
      String path = "pools." + e.getKey();
      attempt(path, () -> lb.pool(e.getKey(), p -> pool(p, e.getValue(), path)));
    }
    Map<String, Model.PolicyConfig> policies = new LinkedHashMap<>();
    Map<String, Policy> built = new LinkedHashMap<>();
    List<Model.PolicyConfig> policyList = root.policies() == null ? List.of() : root.policies();
    for (int i = 0; i < policyList.size(); i++) {
      Model.PolicyConfig pc = policyList.get(i);
      String path = "policies[" + i + "]";
      String name = pc.name();
      if (name == null) {
        continue;
      }
      if (policies.containsKey(name)) {
        problems.add(new ConfigProblem(path + ".name", "'" + name + "'",
            "expected: a name no other policy has"));
        continue;
      }
      policies.put(name, pc);
      if (!complete.test(pc)) {
        continue;
      }
      Policy policy = policy(pc, path);
      if (policy != null) {
        built.put(name, policy);
        if (Boolean.TRUE.equals(pc.global())) {
          attempt(path, () -> lb.policy(policy));
        }
      }
    }
    List<Model.Route> routes = root.routes() == null ? List.of() : root.routes();
    java.util.Set<String> routeNames = new java.util.HashSet<>();
    for (int i = 0; i < routes.size(); i++) {
      Model.Route r = routes.get(i);
      String path = "routes[" + i + "]";
      String name = r.name();
      if (name == null || !complete.test(r)) {
        continue;
      }
      if (!routeNames.add(name)) {
        problems.add(new ConfigProblem(path + ".name", "'" + name + "'",
            "expected: a name no other route has"));
        continue;
      }
      boolean ok = true;
      if (r.toPool() != null && !pools.containsKey(r.toPool())) {
        problems.add(new ConfigProblem(path + ".toPool", "'" + r.toPool() + "'",
            "expected one of the pools " + new TreeSet<>(pools.keySet())));
        ok = false;
      }
      if (r.split() != null) {
        for (String pool : r.split().keySet()) {
          if (!pools.containsKey(pool)) {
            problems.add(new ConfigProblem(path + ".split." + pool, "'" + pool + "'",
                "expected one of the pools " + new TreeSet<>(pools.keySet())));
            ok = false;
          }
        }
      }
      List<Policy> routePolicies = new ArrayList<>();
      List<String> names = r.policies() == null ? List.of() : r.policies();
      for (int k = 0; k < names.size(); k++) {
        String n = names.get(k);
        Model.PolicyConfig pc = policies.get(n);
        if (pc == null) {
          problems.add(new ConfigProblem(path + ".policies[" + k + "]", "'" + n + "'",
              "expected one of the policies " + new TreeSet<>(policies.keySet())));
          ok = false;
        } else if (Boolean.TRUE.equals(pc.global())) {
          problems.add(new ConfigProblem(path + ".policies[" + k + "]", "'" + n + "'",
              "expected: a policy that is not global (global policies already run for every"
                  + " request)"));
          ok = false;
        } else if (built.containsKey(n)) {
          routePolicies.add(built.get(n));
        }
      }
      if (ok) {
        attempt(path, () -> lb.route(name, b -> route(b, r, routePolicies, path)));
      }
    }
    if (root.defaultPool() != null) {
      if (pools.containsKey(root.defaultPool())) {
        lb.defaultPool(root.defaultPool());
      } else {
        problems.add(new ConfigProblem("defaultPool", "'" + root.defaultPool() + "'",
            "expected one of the pools " + new TreeSet<>(pools.keySet())));
      }
    }
    if (engineSettings && root.latencyDecay() != null) {
      attempt("latencyDecay", () -> lb.latencyDecay(root.latencyDecay()));
    }
    Boolean latencyStats = root.latencyStats();
    if (engineSettings && latencyStats != null) {
      attempt("latencyStats", () -> lb.latencyStats(latencyStats));
    }
    return lb;
  }

  private void pool(PoolBuilder p, Model.Pool pool, String path) {
    List<Model.BackendConfig> backends = pool.backends() == null ? List.of() : pool.backends();
    for (int i = 0; i < backends.size(); i++) {
      Model.BackendConfig b = backends.get(i);
      String at = path + ".backends[" + i + "]";
      if (!complete.test(b)) {
        continue;
      }
      attempt(at, () -> {
        BackendSpec.Builder spec = BackendSpec.builder(java.util.Objects.requireNonNull(b.uri()));
        if (b.id() != null) {
          spec.id(b.id());
        }
        if (b.weight() != null) {
          spec.weight(b.weight());
        }
        if (b.zone() != null) {
          spec.zone(b.zone());
        }
        p.backend(spec.build());
      });
    }
    if (pool.algorithm() != null && complete.test(pool.algorithm())) {
      Model.Named a = pool.algorithm();
      attempt(path + ".algorithm", () -> p.algorithm(Algorithms.byName(
          java.util.Objects.requireNonNull(a.name()), a.options() == null ? Map.of() : a.options())));
    }
    if (pool.hashKey() != null && complete.test(pool.hashKey())) {
      p.hashKey(key(pool.hashKey()));
    }
    if (pool.healthCheck() != null) {
      Model.HealthCheckConfig h = pool.healthCheck();
      HealthProbe probe = h.probe() == null || !complete.test(h.probe())
          ? null : probe(h.probe(), path + ".healthCheck.probe");
      if (probe != null && complete.test(h)) {
        attempt(path + ".healthCheck", () -> {
          HealthCheck.Builder b = HealthCheck.builder(probe);
          set(h.interval(), b::interval);
          set(h.timeout(), b::timeout);
          set(h.jitter(), b::jitter);
          set(h.unhealthyThreshold(), b::unhealthyThreshold);
          set(h.healthyThreshold(), b::healthyThreshold);
          set(h.initialState(), b::initialState);
          p.healthCheck(b.build());
        });
      }
    }
    if (pool.outlierDetection() != null && complete.test(pool.outlierDetection())) {
      Model.Outlier o = pool.outlierDetection();
      attempt(path + ".outlierDetection", () -> {
        OutlierDetection.Builder b = OutlierDetection.builder();
        set(o.consecutiveFailures(), b::consecutiveFailures);
        if (o.failureStatuses() != null) {
          b.failureStatuses(o.failureStatuses().stream().mapToInt(Integer::intValue).toArray());
        }
        if (Boolean.TRUE.equals(o.gatewayFailuresOnly())) {
          b.gatewayFailuresOnly();
        }
        if (o.failureErrors() != null) {
          b.failureErrors(o.failureErrors().isEmpty()
              ? EnumSet.noneOf(dev.lb4j.api.ErrorKind.class) : EnumSet.copyOf(o.failureErrors()));
        }
        set(o.interval(), b::interval);
        set(o.baseEjectionTime(), b::baseEjectionTime);
        set(o.maxEjectionTime(), b::maxEjectionTime);
        set(o.maxEjectionPercent(), b::maxEjectionPercent);
        Model.FailurePercentage f = o.failurePercentage();
        if (f != null) {
          b.failurePercentage(java.util.Objects.requireNonNull(f.threshold()),
              java.util.Objects.requireNonNull(f.minimumRequests()),
              java.util.Objects.requireNonNull(f.minimumBackends()));
        }
        p.outlierDetection(b.build());
      });
    }
    if (pool.slowStart() != null && complete.test(pool.slowStart())) {
      Model.SlowStartConfig s = pool.slowStart();
      attempt(path + ".slowStart", () -> p.slowStart(
          s.aggression() == null && s.minWeightPercent() == null
              ? SlowStart.linear(java.util.Objects.requireNonNull(s.window()))
              : SlowStart.of(java.util.Objects.requireNonNull(s.window()),
                  s.aggression() == null ? 1.0 : s.aggression(),
                  s.minWeightPercent() == null ? SlowStartDefaults.MIN_WEIGHT_PERCENT
                      : s.minWeightPercent())));
    }
    if (pool.panicThreshold() != null) {
      attempt(path + ".panicThreshold", () -> p.panicThreshold(pool.panicThreshold()));
    }
    if (pool.panicMode() != null) {
      p.panicMode(pool.panicMode());
    }
    if (pool.maxRequests() != null) {
      attempt(path + ".maxRequests", () -> p.maxRequests(pool.maxRequests()));
    }
    if (pool.maxRequestsPerBackend() != null) {
      attempt(path + ".maxRequestsPerBackend",
          () -> p.maxRequestsPerBackend(pool.maxRequestsPerBackend()));
    }
  }

  private static <T> void set(@Nullable T value, Consumer<T> setter) {
    if (value != null) {
      setter.accept(value);
    }
  }

  static HashKey key(Model.KeySource k) {
    if (k.header() != null) {
      return HashKey.header(k.header());
    }
    if (k.cookie() != null) {
      return HashKey.cookie(k.cookie());
    }
    if (k.queryParameter() != null) {
      return HashKey.queryParameter(k.queryParameter());
    }
    if (Boolean.TRUE.equals(k.clientAddress())) {
      return HashKey.clientAddress();
    }
    return HashKey.path(); // the binder let exactly one source through: path: true
  }

  private @Nullable HealthProbe probe(Model.Named named, String path) {
    String name = java.util.Objects.requireNonNull(named.name());
    Map<String, String> options = named.options() == null ? Map.of() : named.options();
    List<String> known = new ArrayList<>();
    for (HealthProbeProvider provider : ServiceLoader.load(HealthProbeProvider.class)) {
      known.add(provider.name());
      if (provider.name().equals(name)) {
        try {
          return provider.create(options);
        } catch (IllegalArgumentException e) {
          problems.add(fromBuilder(path, e.getMessage()));
          return null;
        }
      }
    }
    problems.add(new ConfigProblem(path + ".name", "'" + name + "'", "expected one of the installed"
        + " probes " + new TreeSet<>(known) + " (http comes with lb-jdk-httpclient; your own"
        + " registers a dev.lb4j.api.HealthProbeProvider)"));
    return null;
  }

  private @Nullable Policy policy(Model.PolicyConfig pc, String path) {
    String name = java.util.Objects.requireNonNull(pc.name());
    Policy[] out = new Policy[1];
    if (pc.rateLimit() != null) {
      Model.RateLimitConfig r = pc.rateLimit();
      attempt(path + ".rateLimit", () -> {
        RateLimit.Builder b = RateLimit.builder(name).rate(java.util.Objects.requireNonNull(r.rate()),
            r.period() == null ? java.time.Duration.ofSeconds(1) : r.period());
        set(r.burst(), b::burst);
        if (r.perKey() != null) {
          b.perKey(key(r.perKey()));
        }
        set(r.maxKeys(), b::maxKeys);
        out[0] = b.build();
      });
    } else if (pc.headerTransform() != null) {
      Model.HeaderTransformConfig h = pc.headerTransform();
      attempt(path + ".headerTransform", () -> {
        HeaderTransform.Builder b = HeaderTransform.builder(name);
        each(h.setRequestHeaders(), b::setRequestHeader);
        each(h.addRequestHeaders(), b::addRequestHeader);
        list(h.removeRequestHeaders(), b::removeRequestHeader);
        each(h.setResponseHeaders(), b::setResponseHeader);
        each(h.addResponseHeaders(), b::addResponseHeader);
        list(h.removeResponseHeaders(), b::removeResponseHeader);
        set(h.requestId(), b::requestId);
        out[0] = b.build();
      });
    } else if (pc.accessControl() != null) {
      Model.AccessControlConfig a = pc.accessControl();
      attempt(path + ".accessControl", () -> {
        AccessControl.Builder b = AccessControl.builder(name);
        if (a.allow() != null) {
          b.allow(a.allow().toArray(new String[0]));
        }
        if (a.deny() != null) {
          b.deny(a.deny().toArray(new String[0]));
        }
        if (a.trustedProxies() != null) {
          b.trustedProxies(a.trustedProxies().toArray(new String[0]));
        }
        set(a.forwardedHeader(), b::forwardedHeader);
        if (a.methods() != null) {
          b.methods(a.methods().toArray(new String[0]));
        }
        out[0] = b.build();
      });
    } else if (pc.provider() != null) {
      Model.Named n = pc.provider();
      String kind = java.util.Objects.requireNonNull(n.name());
      List<String> known = new ArrayList<>();
      for (PolicyProvider provider : ServiceLoader.load(PolicyProvider.class)) {
        known.add(provider.name());
        if (provider.name().equals(kind)) {
          attempt(path + ".provider",
              () -> out[0] = provider.create(name, n.options() == null ? Map.of() : n.options()));
          return out[0];
        }
      }
      problems.add(new ConfigProblem(path + ".provider.name", "'" + kind + "'",
          "expected one of the installed policy providers " + new TreeSet<>(known)
              + " (register a dev.lb4j.api.PolicyProvider)"));
    }
    return out[0];
  }

  private static void each(@Nullable Map<String, String> values, java.util.function.BiConsumer<String, String> add) {
    if (values != null) {
      values.forEach(add);
    }
  }

  private static void list(@Nullable List<String> values, Consumer<String> add) {
    if (values != null) {
      values.forEach(add);
    }
  }

  private void route(RouteBuilder b, Model.Route r, List<Policy> policies, String path) {
    Model.Match m = r.match();
    if (m != null) {
      String at = path + ".match";
      set(m.pathExact(), v -> attempt(at + ".pathExact", () -> b.pathExact(v)));
      set(m.pathPrefix(), v -> attempt(at + ".pathPrefix", () -> b.pathPrefix(v)));
      set(m.pathGlob(), v -> attempt(at + ".pathGlob", () -> b.pathGlob(v)));
      set(m.pathRegex(), v -> attempt(at + ".pathRegex", () -> b.pathRegex(v)));
      set(m.hosts(), v -> attempt(at + ".hosts", () -> b.hosts(v.toArray(new String[0]))));
      set(m.methods(), v -> attempt(at + ".methods", () -> b.methods(v.toArray(new String[0]))));
      conditions(m.headers(), at + ".headers", (c, p) -> {
        if (c.exact() != null) {
          b.header(c.name(), c.exact());
        } else if (c.regex() != null) {
          b.headerRegex(c.name(), c.regex());
        } else if (Boolean.TRUE.equals(c.present())) {
          b.headerPresent(c.name());
        } else if (Boolean.TRUE.equals(c.absent())) {
          b.headerAbsent(c.name());
        } else {
          unsupported(p, "present: false or absent: false", "present: true or absent: true");
        }
      });
      conditions(m.queryParameters(), at + ".queryParameters", (c, p) -> {
        if (c.exact() != null) {
          b.queryParameter(c.name(), c.exact());
        } else if (c.regex() != null) {
          b.queryParameterRegex(c.name(), c.regex());
        } else if (Boolean.TRUE.equals(c.present())) {
          b.queryParameterPresent(c.name());
        } else {
          unsupported(p, "absent or present: false", "exact, regex or present: true");
        }
      });
      conditions(m.cookies(), at + ".cookies", (c, p) -> {
        if (c.exact() != null) {
          b.cookie(c.name(), c.exact());
        } else if (Boolean.TRUE.equals(c.present())) {
          b.cookiePresent(c.name());
        } else {
          unsupported(p, c.regex() != null ? "regex" : "absent or present: false",
              "exact or present: true (cookies)");
        }
      });
    }
    if (r.toPool() != null) {
      b.toPool(r.toPool());
    }
    if (r.split() != null) {
      r.split().forEach((pool, weight) ->
          attempt(path + ".split." + pool, () -> b.split(pool, weight)));
    }
    if (r.sticky() != null) {
      b.sticky(key(r.sticky()));
    }
    if (Boolean.TRUE.equals(r.stripPrefix())) {
      attempt(path + ".stripPrefix", b::stripPrefix);
    }
    if (r.replacePrefix() != null) {
      attempt(path + ".replacePrefix", () -> b.replacePrefix(r.replacePrefix()));
    }
    policies.forEach(b::policy);
  }

  private void unsupported(String path, String found, String expected) {
    problems.add(new ConfigProblem(path, found, "expected: " + expected));
  }

  private void conditions(
      @Nullable List<Model.ValueCondition> list,
      String path,
      java.util.function.BiConsumer<Model.ValueCondition, String> apply) {
    if (list == null) {
      return;
    }
    for (int i = 0; i < list.size(); i++) {
      Model.ValueCondition c = list.get(i);
      String at = path + "[" + i + "]";
      attempt(at, () -> apply.accept(c, at));
    }
  }

  /**
   * The retry policy the file describes, or the default one.
   *
   * @param retries the section, or {@code null}
   * @param ticker the time source of the retry budget
   * @return the policy, or {@code null} after a problem
   */
  public @Nullable RetryPolicy retryPolicy(Model.@Nullable Retries retries, Ticker ticker) {
    RetryPolicy.Builder b = RetryPolicy.builder();
    if (retries == null) {
      return b.build();
    }
    if (!complete.test(retries)) {
      return null;
    }
    boolean ok = attempt("retries", () -> {
      set(retries.maxAttempts(), b::maxAttempts);
      if (retries.methods() != null) {
        b.methods(retries.methods().toArray(new String[0]));
      }
      if (retries.statuses() != null) {
        b.statuses(retries.statuses().stream().mapToInt(Integer::intValue).toArray());
      }
      if (retries.errors() != null) {
        b.errors(retries.errors().isEmpty()
            ? EnumSet.noneOf(dev.lb4j.api.ErrorKind.class) : EnumSet.copyOf(retries.errors()));
      }
      set(retries.perTryTimeout(), b::perTryTimeout);
      set(retries.totalTimeout(), b::totalTimeout);
      Model.Backoff backoff = retries.backoff();
      if (backoff != null) {
        b.backoff(java.util.Objects.requireNonNull(backoff.base()),
            java.util.Objects.requireNonNull(backoff.max()));
      }
      Model.Budget budget = retries.budget();
      if (budget != null) {
        b.budget(RetryBudget.of(java.util.Objects.requireNonNull(budget.percent()),
            budget.minPerSecond() == null ? 10 : budget.minPerSecond(),
            budget.window() == null ? java.time.Duration.ofSeconds(10) : budget.window(), ticker));
      }
      set(retries.splitRequestTimeout(), b::splitRequestTimeout);
      if (Boolean.TRUE.equals(retries.retryNonIdempotentOnConnectFailure())) {
        b.retryNonIdempotentOnConnectFailure();
      }
    });
    if (!ok) {
      return null;
    }
    RetryPolicy[] out = new RetryPolicy[1];
    return attempt("retries", () -> out[0] = b.build()) ? out[0] : null;
  }

  /** Slow start's documented default. */
  static final class SlowStartDefaults {
    static final int MIN_WEIGHT_PERCENT = 10;

    private SlowStartDefaults() {}
  }
}
