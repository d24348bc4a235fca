package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.Selection;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Requests no rule matches: the default route to the default pool, or NO_ROUTE without one. */
class DefaultRouteTest {

  @Test
  void unmatchedRequestsGoToTheDefaultPool() {
    try (LoadBalancer lb =
        threePools()
            .route("api", r -> r.pathPrefix("/api/").toPool("a"))
            .defaultPool("c")
            .build()) {
      RouteMatch m = routed(lb, get("/web"));
      assertThat(m.rule().name()).isEqualTo("default");
      assertThat(m.pool()).isEqualTo("c");
      assertThat(m.rule().route(get("/anything"))).isEqualTo("c");
      assertThat(m.rewrite("/web")).isEqualTo("/web");
      try (Lease lease = lb.select(get("/web")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("c");
      }
      assertThat(lb.defaultPool().name()).isEqualTo("c");
      // matched requests still go where their route says
      assertThat(routed(lb, get("/api/x")).pool()).isEqualTo("a");
    }
  }

  @Test
  void theDefaultRouteIsToldApartFromRoutesCustomRulesAndHostRoutes() {
    dev.lb4j.api.RoutingRule mine = new dev.lb4j.api.RoutingRule() {
      @Override
      public String name() {
        return "mine";
      }

      @Override
      public @org.jspecify.annotations.Nullable String route(dev.lb4j.api.RequestView request) {
        return request.path().startsWith("/mine") ? "b" : null;
      }
    };
    try (LoadBalancer lb =
        threePools()
            .route("api", r -> r.pathPrefix("/api/").toPool("a"))
            .rule(mine)
            .defaultPool("c")
            .build()) {
      assertThat(routed(lb, get("/web")).isDefault()).as("no rule matched").isTrue();
      assertThat(routed(lb, get("/api/x")).isDefault()).as("a route matched").isFalse();
      assertThat(routed(lb, get("/mine")).isDefault()).as("a custom rule matched").isFalse();
      RouteMatch byHost = lb.routeByHost(
          dev.lb4j.api.RequestView.builder().method("GET").path("/web").host("b").build());
      assertThat(byHost).isNotNull();
      assertThat(java.util.Objects.requireNonNull(byHost).isDefault()).as("a host route").isFalse();
    }
  }

  @Test
  void withoutRulesEveryRequestTakesTheDefaultRoute() {
    try (LoadBalancer lb = threePools().defaultPool("b").build()) {
      RouteMatch m = routed(lb, get("/api/x"));
      assertThat(m.rule().name()).isEqualTo("default");
      assertThat(m.pool()).isEqualTo("b");
    }
  }

  @Test
  void withOnePoolAndRulesUnmatchedRequestsGoToThatPool() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("only", p -> p.backend("http://only.test"))
            .route("api", r -> r.pathPrefix("/api/").stripPrefix().toPool("only"))
            .build()) {
      RouteMatch m = routed(lb, get("/web"));
      assertThat(m.rule().name()).isEqualTo("default");
      assertThat(m.pool()).isEqualTo("only");
      assertThat(lb.defaultPool().name()).isEqualTo("only");
      try (Lease lease = lb.select(get("/web")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("only");
      }
    }
  }

  @Test
  void withoutDefaultPoolUnmatchedRequestsGetNoRoute() {
    try (LoadBalancer lb =
        threePools()
            .route("api", r -> r.pathPrefix("/api/").toPool("a"))
            .route("web", r -> r.pathExact("/").toPool("b"))
            .build()) {
      assertThat(lb.route(get("/other"))).isNull();

      Selection selection = lb.select(get("/other"));
      assertThat(selection).isInstanceOf(NoBackend.class);
      NoBackend none = (NoBackend) selection;
      assertThat(none.reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
      assertThat(none.message())
          .isEqualTo("no routing rule matched and there is no default pool (pools: [a, b, c])");
      assertThatThrownBy(selection::leaseOrThrow).isInstanceOf(NoBackendAvailableException.class);

      // a retry selection is routed the same way
      Selection retry = lb.select(get("/other"), List.of());
      assertThat(retry).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) retry).reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);

      assertThatThrownBy(lb::defaultPool)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "no default pool: requests no routing rule matches get NO_ROUTE (pools: [a, b, c])");

      // matched requests are not affected
      try (Lease lease = lb.select(get("/api/x")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("a");
      }
      try (Lease lease = lb.select(get("/")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("b");
      }
    }
  }

  @Test
  void aRetrySelectionOfARoutedRequestStaysInTheRoutedPool() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("a", p -> p.backend("http://a1.test").backend("http://a2.test"))
            .pool("b", p -> p.backend("http://b1.test"))
            .route("api", r -> r.pathPrefix("/api/").toPool("a"))
            .defaultPool("b")
            .build()) {
      try (Lease first = lb.select(get("/api/x")).leaseOrThrow()) {
        assertThat(first.pool()).isEqualTo("a");
        try (Lease retry = lb.select(get("/api/x"), List.of(first.backend())).leaseOrThrow()) {
          assertThat(retry.pool()).isEqualTo("a");
          assertThat(retry.backend().uri()).isNotEqualTo(first.backend().uri());
        }
      }
    }
  }
}
