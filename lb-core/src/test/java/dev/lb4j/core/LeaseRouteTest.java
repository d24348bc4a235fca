package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.routing.RouteMatch;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** {@link Lease#route()}: always the match that routed the request, however it was routed. */
class LeaseRouteTest {

  private static final Policy ADMIT_ALL =
      new Policy() {
        @Override
        public String name() {
          return "admit-all";
        }

        @Override
        public PolicyDecision onRequest(RequestView request) {
          return PolicyDecision.proceed();
        }
      };

  private static RouteMatch routeOf(Selection selection) {
    try (Lease lease = selection.leaseOrThrow()) {
      return Objects.requireNonNull(lease.route(), "lease.route()");
    }
  }

  @Test
  void withoutRulesOrPoliciesTheLeaseCarriesTheDefaultRoute() {
    try (LoadBalancer lb =
        LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build()) {
      RouteMatch match = routeOf(lb.select(RequestView.of("GET", "/x")));
      assertThat(match.rule().name()).isEqualTo("default");
      assertThat(match.pool()).isEqualTo("api");
      assertThat(match.rewrite("/x")).isEqualTo("/x");
      assertThat(match).isSameAs(lb.route(RequestView.of("GET", "/x")));
    }
  }

  @Test
  void globalPoliciesDoNotChangeTheRouteTheLeaseCarries() {
    try (LoadBalancer plain =
            LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build();
        LoadBalancer policed =
            LoadBalancer.builder()
                .pool("api", p -> p.backend("http://a:1"))
                .policy(ADMIT_ALL)
                .build()) {
      RouteMatch withoutPolicies = routeOf(plain.select(RequestView.of("GET", "/x")));
      RouteMatch withPolicies = routeOf(policed.select(RequestView.of("GET", "/x")));
      assertThat(withPolicies.rule().name()).isEqualTo(withoutPolicies.rule().name());
      assertThat(withPolicies.pool()).isEqualTo(withoutPolicies.pool());
    }
  }

  @Test
  void aMatchingRuleIsTheRouteAndOtherRequestsCarryTheDefaultRoute() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .defaultPool("web")
            .route("api", r -> r.pathPrefix("/api/").stripPrefix().toPool("api"))
            .build()) {
      RouteMatch api = routeOf(lb.select(RequestView.of("GET", "/api/users")));
      assertThat(api.rule().name()).isEqualTo("api");
      assertThat(api.rewrite("/api/users")).isEqualTo("/users");
      assertThat(routeOf(lb.select(RequestView.of("GET", "/home"))).rule().name())
          .isEqualTo("default");
    }
  }

  @Test
  void aHostRoutedLeaseCarriesTheHostRouteAndARetryKeepsTheRoute() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .build()) {
      RequestView request = RequestView.builder().host("api").path("/x").build();
      Lease first = lb.selectByHost(request).leaseOrThrow();
      RouteMatch host = Objects.requireNonNull(first.route());
      assertThat(host.rule().name()).isEqualTo("host");
      assertThat(host.pool()).isEqualTo("api");
      first.complete(503);
      try (Lease retry = lb.retry(request, first, List.of(first.backend())).leaseOrThrow()) {
        assertThat(retry.route()).isSameAs(host);
      }
    }
  }

  @Test
  void aLeaseFromThePoolHandleWasNotRoutedAndCarriesNoRoute() {
    try (LoadBalancer lb =
        LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build();
        Lease lease = lb.pool("api").select(RequestView.of("GET", "/")).leaseOrThrow()) {
      assertThat(lease.route()).isNull();
    }
  }
}
