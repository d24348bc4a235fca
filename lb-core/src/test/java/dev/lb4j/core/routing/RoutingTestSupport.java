package dev.lb4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import java.util.Objects;
import java.util.function.Consumer;

/** Shared helpers for the routing tests: requests, standalone routes and three-pool balancers. */
final class RoutingTestSupport {

  private RoutingTestSupport() {}

  /** A GET request for {@code path} (which may carry a query after {@code ?}). */
  static RequestView get(String path) {
    return RequestView.builder().method("GET").path(path).build();
  }

  /** A request builder with the method and path set. */
  static RequestViewBuilder request(String method, String path) {
    return RequestView.builder().method(method).path(path);
  }

  /** A standalone route to pool {@code a} with the given matchers. */
  static Route route(Consumer<RouteBuilder> matchers) {
    RouteBuilder b = Route.builder("r");
    matchers.accept(b);
    return b.toPool("a").build();
  }

  /** Routes {@code request}, failing the test when the load balancer finds no route. */
  static RouteMatch routed(LoadBalancer lb, RequestView request) {
    RouteMatch m = lb.route(request);
    assertThat(m).as("route of %s", request).isNotNull();
    return Objects.requireNonNull(m);
  }

  /** A builder with pools {@code a}, {@code b} and {@code c}, one backend each. */
  static LoadBalancerBuilder threePools() {
    return LoadBalancer.builder()
        .pool("a", p -> p.backend("http://a.test:8080"))
        .pool("b", p -> p.backend("http://b.test:8080"))
        .pool("c", p -> p.backend("http://c.test:8080"));
  }
}
