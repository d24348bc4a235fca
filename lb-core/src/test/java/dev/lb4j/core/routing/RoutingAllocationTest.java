package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.testing.Allocations;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code lb.route(request)} allocates nothing per request, whatever the number of routes: measured
 * with the JVM's per-thread allocation counter around many calls, after a warm-up.
 */
class RoutingAllocationTest {

  private static final int CALLS = 10_000;

  private static String segment(int n) {
    return String.format("/seg%04d", n);
  }

  @ParameterizedTest(name = "{0} prefix routes")
  @ValueSource(ints = {10, 1_000})
  void routingAllocatesNothingPerRequest(int prefixRoutes) throws Exception {
    LoadBalancerBuilder builder = threePools().defaultPool("c");
    for (int i = 0; i < prefixRoutes; i++) {
      int n = i;
      builder.route(
          "p" + n,
          r -> r.pathPrefix(segment(n) + segment(n + 1) + segment(n + 2)).toPool("a"));
    }
    for (int i = 0; i < 10; i++) {
      int n = i;
      builder.route("e" + n, r -> r.pathExact("/exact" + segment(n)).toPool("b"));
    }
    builder.route("deep", r -> r.pathPrefix("/deep/a/b/c/d/e/f/g/h").header("x-user", "a").toPool("b"));

    List<RequestView> requests = new ArrayList<>();
    requests.add(RequestView.of("GET", segment(3) + segment(4) + segment(5) + "/users/7"));
    requests.add(RequestView.of("GET", segment(prefixRoutes - 1) + segment(prefixRoutes) + "/x"));
    requests.add(RequestView.of("GET", "/exact" + segment(7)));
    requests.add(RequestView.of("GET", "/exact" + segment(7) + "/not-exact"));
    requests.add(
        RequestView.builder().method("GET").path("/deep/a/b/c/d/e/f/g/h/i").header("X-User", "a")
            .build());
    // The path matches, a header matcher declines: no reason string is built for it.
    requests.add(RequestView.of("POST", "/deep/a/b/c/d/e/f/g/h/i"));
    requests.add(RequestView.of("GET", "/nowhere/at/all"));
    RequestView[] cycle = requests.toArray(new RequestView[0]);

    try (LoadBalancer lb = builder.build()) {
      int[] next = {0};
      double bytes =
          Allocations.bytesPerCall(
              20 * CALLS,
              CALLS,
              () -> {
                RequestView request = cycle[next[0]++ % cycle.length];
                if (lb.route(request) == null) {
                  throw new AssertionError("not routed: " + request);
                }
              });
      assertThat(bytes).as("bytes allocated per route call").isLessThan(1.0);
    }
  }
}
