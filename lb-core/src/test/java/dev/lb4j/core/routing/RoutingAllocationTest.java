package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import java.lang.management.ManagementFactory;
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

  /** What the measurement itself may allocate once (the counter's own bookkeeping), in bytes. */
  private static final long FIXED_SLACK = 4_096;

  private static String segment(int n) {
    return String.format("/seg%04d", n);
  }

  @ParameterizedTest(name = "{0} prefix routes")
  @ValueSource(ints = {10, 1_000})
  void routingAllocatesNothingPerRequest(int prefixRoutes) {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    assumeTrue(threads.isThreadAllocatedMemorySupported(), "per-thread allocation counting");
    threads.setThreadAllocatedMemoryEnabled(true);

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
      long sink = 0;
      for (int i = 0; i < 20 * CALLS; i++) { // warm-up: compiled code, initialized classes
        sink += routeOnce(lb, cycle[i % cycle.length]);
      }
      threads.getCurrentThreadAllocatedBytes(); // the counter's own first-call costs
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < CALLS; i++) {
        sink += routeOnce(lb, cycle[i % cycle.length]);
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;

      assertThat(sink).as("requests routed, warm-up included").isEqualTo(21L * CALLS);
      assertThat(allocated)
          .as("bytes allocated by %s route calls (%s B/call)", CALLS, allocated / (double) CALLS)
          .isLessThan(CALLS + FIXED_SLACK);
    }
  }

  private static int routeOnce(LoadBalancer lb, RequestView request) {
    return lb.route(request) == null ? 0 : 1;
  }
}
