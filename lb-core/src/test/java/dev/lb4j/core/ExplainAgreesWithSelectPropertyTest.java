package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteBuilder;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code explain} is a dry run of the pipeline {@code select} runs: for random rule sets (path
 * prefix, exact, glob and regex routes with method and header matchers, sticky splits, custom rules
 * that name a pool, return an action with policies and a rewrite, name an unknown pool or throw) and
 * random global and per-route policies (that admit, edit headers, reject, throw or return null), the
 * route, the policies asked (in order), the rejecting policy and the pool and backend {@code
 * explain} reports are those {@code select} decides; likewise {@code explainByHost} and {@code
 * selectByHost}. Seeded; each seed builds 25 load balancers and sends each 120 requests.
 */
class ExplainAgreesWithSelectPropertyTest {

  private static final String[] POOLS = {"a", "b", "c"};
  /** What custom rules may name: the pools, and one the load balancer does not have. */
  private static final String[] TARGETS = {"a", "b", "c", "nowhere"};
  private static final String[] SEGMENTS = {"a", "ab", "api", "v1", "x"};
  private static final String[] METHODS = {"GET", "POST", "PUT"};
  private static final String[] HOSTS = {"a", "b", "C", "zz"};

  private static <T> T pick(Random rnd, T[] values) {
    return values[rnd.nextInt(values.length)];
  }

  private static String value(Random rnd) {
    return Integer.toString(1 + rnd.nextInt(3));
  }

  private static String randomPath(Random rnd) {
    StringBuilder sb = new StringBuilder();
    int n = 1 + rnd.nextInt(3);
    for (int i = 0; i < n; i++) {
      sb.append('/').append(pick(rnd, SEGMENTS));
    }
    if (rnd.nextInt(4) == 0) {
      sb.append('/');
    }
    return sb.toString();
  }

  /** A deterministic policy; every call of its request step is recorded. */
  private static final class TestPolicy implements Policy {
    enum Kind { ADMIT, EDIT, REJECT_IF, THROW_IF, NULL_IF }

    private final String name;
    private final Kind kind;
    private final String value;
    private final List<String> calls;

    TestPolicy(String name, Kind kind, String value, List<String> calls) {
      this.name = name;
      this.kind = kind;
      this.value = value;
      this.calls = calls;
    }

    @Override
    public String name() {
      return name;
    }

    @SuppressWarnings("NullAway") // NULL_IF breaks the contract on purpose
    @Override
    public PolicyDecision onRequest(RequestView request) {
      calls.add("policy " + name);
      return switch (kind) {
        case ADMIT -> PolicyDecision.proceed();
        case EDIT -> PolicyDecision.proceed(
            HeaderChanges.builder().set("X-By-" + name, request.path()).build());
        case REJECT_IF -> value.equals(request.header("X-R"))
            ? PolicyDecision.reject(403, name + " rejects X-R " + value)
            : PolicyDecision.proceed();
        case THROW_IF -> {
          if (value.equals(request.header("X-T"))) {
            throw new IllegalStateException(name + " throws");
          }
          yield PolicyDecision.proceed();
        }
        case NULL_IF -> value.equals(request.header("X-N")) ? null : PolicyDecision.proceed();
      };
    }
  }

  /** Builds policies with names unique in one load balancer. */
  private static final class Policies {
    private final Random rnd;
    private final List<String> calls;
    private int next;

    Policies(Random rnd, List<String> calls) {
      this.rnd = rnd;
      this.calls = calls;
    }

    List<Policy> some(int max) {
      List<Policy> list = new ArrayList<>();
      int n = rnd.nextInt(max + 1);
      for (int i = 0; i < n; i++) {
        int k = rnd.nextInt(10);
        TestPolicy.Kind kind =
            k < 3 ? TestPolicy.Kind.ADMIT
                : k < 6 ? TestPolicy.Kind.EDIT
                : k < 8 ? TestPolicy.Kind.REJECT_IF
                : k < 9 ? TestPolicy.Kind.THROW_IF
                : TestPolicy.Kind.NULL_IF;
        list.add(new TestPolicy("p" + next++, kind, value(rnd), calls));
      }
      return list;
    }
  }

  /** A rule that only implements {@code route}: header {@code X-C} names the target. */
  private static RoutingRule naming(String name, String value, String target, List<String> calls) {
    return new RoutingRule() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public @Nullable String route(RequestView request) {
        calls.add("rule " + name);
        return value.equals(request.header("X-C")) ? target : null;
      }
    };
  }

  /** A rule that throws for header {@code X-Boom}, and else does not match. */
  private static RoutingRule throwing(String name, String value, List<String> calls) {
    return new RoutingRule() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public @Nullable String route(RequestView request) {
        calls.add("rule " + name);
        if (value.equals(request.header("X-Boom"))) {
          throw new IllegalStateException(name + " throws");
        }
        return null;
      }
    };
  }

  /** A rule with an action of its own: a path prefix sends the request to its target. */
  private static final class ActionRule implements RoutingRule {
    private final String name;
    private final String prefix;
    private final RouteAction action;
    private final List<String> calls;

    ActionRule(String name, String prefix, RouteAction action, List<String> calls) {
      this.name = name;
      this.prefix = prefix;
      this.action = action;
      this.calls = calls;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public @Nullable RouteAction action(RequestView request) {
      calls.add("rule " + name);
      return request.path().startsWith(prefix) ? action : null;
    }

    @Override
    public @Nullable String route(RequestView request) {
      RouteAction a = action(request);
      return a == null ? null : a.pool();
    }
  }

  private static Route randomRoute(Random rnd, String name, Policies policies) {
    RouteBuilder b = Route.builder(name);
    int kind = rnd.nextInt(10);
    String path = randomPath(rnd);
    boolean prefix = false;
    if (kind < 3) {
      b.pathExact(path);
    } else if (kind < 7) {
      b.pathPrefix(path);
      prefix = true;
    } else if (kind < 8) {
      b.pathGlob("/" + pick(rnd, SEGMENTS) + "/**");
    } else if (kind < 9) {
      b.pathRegex("/(a|ab)/.*");
    } // else: every path
    if (rnd.nextInt(3) == 0) {
      b.methods(pick(rnd, METHODS));
    }
    if (rnd.nextInt(2) == 0 || kind == 9) {
      b.header("X-H", value(rnd));
    }
    if (rnd.nextInt(6) == 0) {
      b.split("a", 1).split("b", 2).sticky(HashKey.header("X-User"));
    } else {
      b.toPool(pick(rnd, POOLS));
    }
    if (prefix && rnd.nextInt(3) == 0) {
      b.stripPrefix();
    }
    policies.some(2).forEach(b::policy);
    return b.build();
  }

  private static RoutingRule randomCustomRule(
      Random rnd, String name, Policies policies, List<String> calls) {
    int kind = rnd.nextInt(3);
    if (kind == 0) {
      return naming(name, value(rnd), pick(rnd, TARGETS), calls);
    }
    if (kind == 1) {
      return throwing(name, value(rnd), calls);
    }
    String prefix = "/" + pick(rnd, SEGMENTS) + "/";
    RouteAction action = RouteAction.to(pick(rnd, TARGETS)).withPolicies(policies.some(2));
    if (rnd.nextBoolean()) {
      action = action.withPrefixRewrite(prefix, "/");
    }
    return new ActionRule(name, prefix, action, calls);
  }

  private static LoadBalancer randomLoadBalancer(Random rnd, List<String> calls) {
    Policies policies = new Policies(rnd, calls);
    LoadBalancerBuilder b = LoadBalancer.builder();
    for (String pool : POOLS) {
      b.pool(
          pool,
          p -> p.backend("http://" + pool + "1.test:80")
              .backend("http://" + pool + "2.test:80")
              .algorithm(Algorithms.maglev())
              .hashKey(HashKey.header("X-User")));
    }
    int defaultPool = rnd.nextInt(POOLS.length + 1);
    if (defaultPool < POOLS.length) {
      b.defaultPool(POOLS[defaultPool]);
    }
    policies.some(2).forEach(b::policy);
    int rules = rnd.nextInt(12);
    for (int i = 0; i < rules; i++) {
      b.rule(rnd.nextInt(4) == 0
          ? randomCustomRule(rnd, "c" + i, policies, calls)
          : randomRoute(rnd, "r" + i, policies));
    }
    return b.build();
  }

  private static RequestView randomRequest(Random rnd) {
    RequestViewBuilder b =
        RequestView.builder()
            .method(pick(rnd, METHODS))
            .path(randomPath(rnd))
            .header("X-User", "u" + rnd.nextInt(50));
    if (rnd.nextInt(5) != 0) {
      b.host(pick(rnd, HOSTS));
    }
    for (String header : new String[] {"X-H", "X-C", "X-R", "X-T", "X-N", "X-Boom"}) {
      if (rnd.nextInt(3) == 0) {
        b.header(header, value(rnd));
      }
    }
    return b.build();
  }

  /** How often each outcome occurred, to keep the property from passing vacuously. */
  private static final class Outcomes {
    int leases;
    int rejected;
    int policyFailures;
    int noRoute;
    int unknownPool;
    int ruleThrew;
    int rewritten;
    int customActions;
  }

  private static void assertAgree(
      LoadBalancer lb, RequestView request, boolean byHost, List<String> calls, Outcomes seen) {
    calls.clear();
    Explanation e = byHost ? lb.explainByHost(request) : lb.explain(request);
    List<String> explained = List.copyOf(calls);
    calls.clear();
    Selection s = byHost ? lb.selectByHost(request) : lb.select(request);
    List<String> selected = List.copyOf(calls);
    String what = (byHost ? "selectByHost " : "select ") + request + System.lineSeparator() + e;

    assertThat(explained).as("rules and policies asked, %s", what).isEqualTo(selected);
    assertThat(byHost ? lb.routeByHost(request) : lb.route(request)).as(what).isSameAs(e.route());
    if (e.lines().stream().anyMatch(l -> l.contains("named unknown pool"))) {
      seen.unknownPool++;
    }
    if (e.lines().stream().anyMatch(l -> l.contains("(treated as no match)"))) {
      seen.ruleThrew++;
    }
    if (s instanceof Lease lease) {
      try (lease) {
        seen.leases++;
        RouteMatch route = lease.route();
        assertThat(route).as(what).isNotNull().isSameAs(e.route());
        assertThat(e.rejectedBy()).as(what).isNull();
        assertThat(e.admitted()).as(what).isTrue();
        assertThat(Objects.requireNonNull(e.backend()).id()).as(what)
            .isEqualTo(lease.backend().id());
        assertThat(lease.pool()).as(what).isEqualTo(Objects.requireNonNull(route).pool());
        if (!route.rewrite(request.path()).equals(request.path())) {
          seen.rewritten++;
        }
        if (route.rule() instanceof ActionRule) {
          seen.customActions++;
        }
      }
    } else if (s instanceof Rejected rejected) {
      seen.rejected++;
      if (rejected.status() == 500) {
        seen.policyFailures++;
      }
      assertThat(e.rejectedBy()).as(what).isEqualTo(rejected.policy());
      PolicyDecision.Reject rejection = Objects.requireNonNull(e.rejection());
      assertThat(rejection.status()).as(what).isEqualTo(rejected.status());
      assertThat(rejection.reason()).as(what).isEqualTo(rejected.reason());
      assertThat(Objects.requireNonNull(e.route()).pool()).as(what).isEqualTo(rejected.pool());
      assertThat(e.backend()).as(what).isNull();
    } else if (s instanceof NoBackend none) {
      seen.noRoute++;
      assertThat(none.reason()).as(what).isEqualTo(NoBackend.Reason.NO_ROUTE);
      assertThat(e.route()).as(what).isNull();
      assertThat(e.rejectedBy()).as(what).isNull();
      assertThat(e.backend()).as(what).isNull();
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 42, 20261205})
  void explainReportsWhatSelectDoes(long seed) {
    Random rnd = new Random(seed);
    Outcomes seen = new Outcomes();
    for (int config = 0; config < 25; config++) {
      List<String> calls = new ArrayList<>();
      try (LoadBalancer lb = randomLoadBalancer(rnd, calls)) {
        for (int i = 0; i < 120; i++) {
          RequestView request = randomRequest(rnd);
          assertAgree(lb, request, false, calls, seen);
          assertAgree(lb, request, true, calls, seen);
        }
        for (String pool : POOLS) {
          assertThat(lb.stats().pool(pool).inFlight()).as("leases closed").isZero();
        }
      }
    }
    // Guard against a vacuous property: every kind of outcome happened.
    assertThat(seen.leases).as("leases").isGreaterThan(1_000);
    assertThat(seen.rejected).as("rejections").isGreaterThan(100);
    assertThat(seen.policyFailures).as("policies that threw or returned null").isGreaterThan(10);
    assertThat(seen.noRoute).as("requests without a route").isGreaterThan(50);
    assertThat(seen.unknownPool).as("custom rules naming an unknown pool").isGreaterThan(5);
    assertThat(seen.ruleThrew).as("custom rules that threw").isGreaterThan(5);
    assertThat(seen.rewritten).as("rewritten paths").isGreaterThan(20);
    assertThat(seen.customActions).as("leases routed by custom actions").isGreaterThan(10);
  }
}
