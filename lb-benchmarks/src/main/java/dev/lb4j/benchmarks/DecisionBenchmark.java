package dev.lb4j.benchmarks;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.RateLimit;
import dev.lb4j.core.routing.RouteMatch;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The routing and policy issue's request path.
 *
 * <p>{@code fullPath}: a request through 10 routing rules (it matches the last), an access-control
 * policy and a rate-limit policy (per client address, generous enough never to reject), to a picked
 * backend of 10 and a completed lease.
 *
 * <p>{@code route}: routing alone ({@code lb.route(request)}) with {@code rules} prefix routes of
 * three segments each, for a request path of {@code depth} segments that matches the deepest route:
 * the cost should follow the path's length, not the number of rules.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class DecisionBenchmark {

  /** Prefix routes in the routing-only load balancer. */
  @Param({"10", "1000"})
  public int rules = 10;

  /** Segments in the routed request's path (each 8 characters). */
  @Param({"3", "12"})
  public int depth = 3;

  /**
   * {@code on}: the lease measures latency for the stats EWMA (the default configuration); {@code
   * off}: {@code latencyStats(false)}, so the round-robin lease reads no clock ({@code fullPath}
   * only; the rate limit still reads its own).
   */
  @Param({"on", "off"})
  public String latencyStats = "on";

  LoadBalancer full;
  LoadBalancer routing;
  RequestView fullRequest;
  RequestView routedRequest;

  /** Builds both load balancers and the requests. */
  @Setup(Level.Trial)
  public void setUp() {
    LoadBalancerBuilder b =
        LoadBalancer.builder()
            .latencyStats("on".equals(latencyStats))
            .pool(
                "api",
                p -> {
                  for (int i = 0; i < 10; i++) {
                    p.backend(Workload.uri(i));
                  }
                  p.algorithm(Algorithms.roundRobin());
                })
            .pool("other", p -> p.backend(Workload.uri(99)))
            .policy(AccessControl.builder("acl").allow("10.0.0.0/8", "192.0.2.0/24").build())
            .policy(
                RateLimit.builder("per-client")
                    .rate(1_000_000_000L, Duration.ofSeconds(1))
                    .perKey(HashKey.clientAddress())
                    .build());
    for (int i = 0; i < 9; i++) {
      int n = i;
      b.route("r" + n, r -> r.pathPrefix("/service" + n + "/").toPool("other"));
    }
    b.route("r9", r -> r.pathPrefix("/api/").headerPresent("x-user").toPool("api"));
    full = b.build();
    fullRequest =
        RequestView.builder()
            .method("GET")
            .path("/api/users/7")
            .header("x-user", "alice")
            .clientAddress("192.0.2.7")
            .build();

    LoadBalancerBuilder rb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend(Workload.uri(0)))
            .pool("other", p -> p.backend(Workload.uri(1)));
    for (int i = 0; i < rules; i++) {
      int n = i;
      rb.route("p" + n, r -> r.pathPrefix(segment(n) + segment(n + 1) + segment(n + 2)).toPool("other"));
    }
    StringBuilder deep = new StringBuilder();
    for (int s = 0; s < depth; s++) {
      deep.append(segment(rules + s));
    }
    String deepPrefix = deep.toString();
    rb.route("deep", r -> r.pathPrefix(deepPrefix).toPool("api"));
    routing = rb.build();
    routedRequest = RequestView.of("GET", deepPrefix + "tail");
  }

  private static String segment(int n) {
    return String.format("/seg%04d", n);
  }

  /** Closes both load balancers. */
  @TearDown(Level.Trial)
  public void tearDown() {
    full.close();
    routing.close();
  }

  /**
   * The full decision path: routing, two policies, a pick, a completed lease.
   *
   * @return the backend's id, so nothing is dead code
   */
  @Benchmark
  public String fullPath() {
    Lease lease = full.select(fullRequest).leaseOrThrow();
    lease.complete(200);
    return lease.backend().id();
  }

  /**
   * Routing alone.
   *
   * @return the match, or null (never, for this setup)
   */
  @Benchmark
  public @Nullable RouteMatch route() {
    return routing.route(routedRequest);
  }
}
