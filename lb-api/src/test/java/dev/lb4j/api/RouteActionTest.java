package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteActionTest {

  @Test
  void aPlainActionNamesAPoolWithNoPoliciesAndNoRewrite() {
    RouteAction action = RouteAction.to("api");

    assertThat(action.pool()).isEqualTo("api");
    assertThat(action.policies()).isEmpty();
    assertThat(action.rewritePrefix()).isNull();
    assertThat(action.rewriteReplacement()).isNull();
    assertThat(action).isEqualTo(RouteAction.to("api"));
  }

  @Test
  void policiesAreCopiedSoTheActionStaysImmutable() {
    List<Policy> policies = new ArrayList<>();
    RouteAction action = RouteAction.to("api").withPolicies(policies);
    policies.add(
        new Policy() {
          @Override
          public String name() {
            return "late";
          }

          @Override
          public PolicyDecision onRequest(RequestView request) {
            return PolicyDecision.proceed();
          }
        });

    assertThat(action.policies()).isEmpty();
  }

  @Test
  void aRewriteNeedsBothPathsStartingWithASlash() {
    assertThat(RouteAction.to("api").withPrefixRewrite("/v1/", "/").rewritePrefix())
        .isEqualTo("/v1/");
    assertThatThrownBy(() -> RouteAction.to("api").withPrefixRewrite("v1/", "/"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("rewritePrefix: 'v1/' (expected: a path starting with '/')");
    assertThatThrownBy(() -> new RouteAction("api", List.of(), "/v1/", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: both set or neither");
    assertThatThrownBy(() -> RouteAction.to(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pool: '' (expected: a pool name)");
  }
}
