package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.Explanation;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * A custom {@link RoutingRule} can do what a built-in {@link Route} does: name a pool, run its own
 * policies after the global ones, and rewrite the path, through {@link RoutingRule#action}.
 */
class CustomRuleActionTest {

  /** A policy that records its name, edits a header, and rejects requests with {@code X-Deny}. */
  private static final class Stamp implements Policy {
    private final String name;
    private final List<String> calls;

    Stamp(String name, List<String> calls) {
      this.name = name;
      this.calls = calls;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public PolicyDecision onRequest(RequestView request) {
      calls.add(name);
      return request.header("X-Deny") != null
          ? PolicyDecision.reject(403, "denied by " + name)
          : PolicyDecision.proceed(HeaderChanges.builder().add("X-Stamp", name).build());
    }
  }

  /** Sends beta users' {@code /beta/...} requests to pool {@code b}, stripped, with its policy. */
  private static final class BetaRule implements RoutingRule {
    private final RouteAction beta;

    BetaRule(Policy policy) {
      this.beta =
          RouteAction.to("b").withPolicies(List.of(policy)).withPrefixRewrite("/beta/", "/");
    }

    @Override
    public String name() {
      return "beta";
    }

    @Override
    public @Nullable RouteAction action(RequestView request) {
      return request.path().startsWith("/beta/") && request.header("X-Beta") != null ? beta : null;
    }

    @Override
    public @Nullable String route(RequestView request) {
      RouteAction action = action(request);
      return action == null ? null : action.pool();
    }
  }

  private static RequestView beta(String path) {
    return RequestView.builder().path(path).header("X-Beta", "1").build();
  }

  @Test
  void aCustomRulesActionRewritesThePathAndRunsItsPolicyAfterTheGlobalOnes() {
    List<String> calls = new ArrayList<>();
    BetaRule rule = new BetaRule(new Stamp("beta-only", calls));
    try (LoadBalancer lb =
        threePools()
            .defaultPool("c")
            .policy(new Stamp("global", calls))
            .rule(rule)
            .build()) {
      try (Lease lease = lb.select(beta("/beta/users/7")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("b");
        RouteMatch route = Objects.requireNonNull(lease.route());
        assertThat(route.rule()).isSameAs(rule);
        assertThat(route.rewrite("/beta/users/7")).isEqualTo("/users/7");
        assertThat(route.policies()).extracting(Policy::name).containsExactly("beta-only");
        assertThat(lease.requestHeaders().changes())
            .extracting(HeaderChanges.Change::value)
            .containsExactly("global", "beta-only");
      }
      assertThat(calls).containsExactly("global", "beta-only");

      calls.clear();
      try (Lease other = lb.select(RequestView.of("GET", "/beta/users/7")).leaseOrThrow()) {
        assertThat(other.pool()).isEqualTo("c");
        assertThat(Objects.requireNonNull(other.route()).rewrite("/beta/users/7"))
            .isEqualTo("/beta/users/7");
      }
      assertThat(calls).as("the rule's policy runs only for its matches").containsExactly("global");
    }
  }

  @Test
  void aCustomRulesPolicyCanRejectAndExplainShowsTheRewriteAndThePolicy() {
    List<String> calls = new ArrayList<>();
    try (LoadBalancer lb =
        threePools().defaultPool("c").rule(new BetaRule(new Stamp("beta-only", calls))).build()) {
      Selection denied =
          lb.select(RequestView.builder().path("/beta/x").header("X-Beta", "1")
              .header("X-Deny", "1").build());
      assertThat(denied).isInstanceOfSatisfying(Rejected.class, r -> {
        assertThat(r.policy()).isEqualTo("beta-only");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.pool()).isEqualTo("b");
      });

      Explanation e = lb.explain(beta("/beta/x"));
      assertThat(e.lines())
          .contains(
              "  beta: YES (custom rule) -> b",
              "path rewritten: /beta/x -> /x",
              "policies: 1, in order",
              "  beta-only: proceed with [Change[op=ADD, name=x-stamp, value=beta-only]]");
      assertThat(Objects.requireNonNull(e.backend()).id()).isEqualTo("b.test:8080");
    }
  }

  @Test
  void aRuleThatReturnsTheSameActionGetsTheSameMatchEveryTime() {
    try (LoadBalancer lb =
        threePools().defaultPool("c").rule(new BetaRule(new Stamp("p", new ArrayList<>()))).build()) {
      RouteMatch first = Objects.requireNonNull(lb.route(beta("/beta/1")));
      assertThat(lb.route(beta("/beta/2"))).isSameAs(first);
    }
  }

  @Test
  void aRuleThatOnlyNamesAPoolGetsAnActionWithoutPoliciesOrRewrite() {
    RoutingRule plain =
        new RoutingRule() {
          @Override
          public String name() {
            return "plain";
          }

          @Override
          public @Nullable String route(RequestView request) {
            return "a";
          }
        };
    assertThat(plain.action(RequestView.of("GET", "/x"))).isEqualTo(RouteAction.to("a"));
    try (LoadBalancer lb = threePools().rule(plain).build()) {
      RouteMatch match = Objects.requireNonNull(lb.route(RequestView.of("GET", "/x")));
      assertThat(match.pool()).isEqualTo("a");
      assertThat(match.policies()).isEmpty();
      assertThat(match.rewrite("/x")).isEqualTo("/x");
      assertThat(lb.route(RequestView.of("GET", "/y"))).isSameAs(match);
    }
  }

  @Test
  void aBuiltInRoutesActionIsItsPoolPoliciesAndRewrite() {
    Policy p = new Stamp("p", new ArrayList<>());
    Route route =
        Route.builder("api").pathPrefix("/api/").stripPrefix().toPool("a").policy(p).build();
    RouteAction action = Objects.requireNonNull(route.action(RequestView.of("GET", "/api/x")));
    assertThat(action.pool()).isEqualTo("a");
    assertThat(action.policies()).containsExactly(p);
    assertThat(new RouteMatch(route, action).rewrite("/api/x")).isEqualTo("/x");
    assertThat(route.action(RequestView.of("GET", "/other"))).isNull();
  }
}
