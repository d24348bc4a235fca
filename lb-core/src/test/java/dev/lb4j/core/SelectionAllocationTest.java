package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.RateLimit;
import dev.lb4j.core.testing.Allocations;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A selection allocates its lease and nothing else, for every built-in algorithm, whether the
 * caller selects from a pool or goes through the whole decision path (routing rules, an access
 * control list, a per-client rate limit). Counted with the thread's allocation counter after
 * warm-up, so escape analysis has had its chance.
 */
class SelectionAllocationTest {

  /**
   * What one selection may allocate: the lease, 40 bytes on a 64-bit JVM with compressed
   * references (heaps under 32 GiB, the default), plus half a byte of slack per call for the rare
   * allocation the JVM itself makes on the thread while it runs (a deoptimisation, a safepoint).
   */
  static final double LEASE_BYTES = 40;

  private static final double SLACK = 0.5;

  /** Every built-in algorithm (not the plugins other tests register), by its name. */
  static Stream<String> algorithms() {
    return Algorithms.names().stream()
        .filter(
            name ->
                Algorithms.byName(name, Map.of())
                    .getClass()
                    .getPackageName()
                    .equals(Algorithms.class.getPackageName()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void aPoolSelectionAllocatesOnlyItsLease(String algorithm) throws Exception {
    try (LoadBalancer lb = build(algorithm, false)) {
      Pool pool = lb.defaultPool();
      RequestView request = request();
      double bytes =
          Allocations.bytesPerCall(
              50_000,
              20_000,
              () -> {
                Lease lease = pool.select(request).leaseOrThrow();
                lease.complete(200);
              });
      assertThat(bytes)
          .as("bytes allocated per pool.select + complete with %s", algorithm)
          .isLessThanOrEqualTo(LEASE_BYTES + SLACK);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void theWholeDecisionPathAllocatesOnlyTheLease(String algorithm) throws Exception {
    try (LoadBalancer lb = build(algorithm, true)) {
      RequestView request = request();
      double bytes =
          Allocations.bytesPerCall(
              50_000,
              20_000,
              () -> {
                Lease lease = lb.select(request).leaseOrThrow();
                lease.complete(200);
              });
      assertThat(bytes)
          .as("bytes allocated per lb.select (10 routes, ACL, rate limit) + complete with %s",
              algorithm)
          .isLessThanOrEqualTo(LEASE_BYTES + SLACK);
    }
  }

  @ParameterizedTest(name = "latencyStats({0})")
  @ValueSource(booleans = {true, false})
  void aCancelledLeaseAllocatesNothingMore(boolean latencyStats) throws Exception {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .latencyStats(latencyStats)
            .pool("api", p -> backends(p.algorithm(Algorithms.leastRequest()), false))
            .build()) {
      Pool pool = lb.defaultPool();
      RequestView request = request();
      double bytes =
          Allocations.bytesPerCall(
              50_000,
              20_000,
              () -> pool.select(request).leaseOrThrow().close());
      assertThat(bytes).isLessThanOrEqualTo(LEASE_BYTES + SLACK);
    }
  }

  private static RequestView request() {
    return RequestView.builder()
        .method("GET")
        .path("/api/users/7")
        .header("x-user", "7f9c2ba4-e88f-11e7-80c1-9a214cf093ae")
        .clientAddress("192.0.2.7")
        .build();
  }

  private static LoadBalancer build(String algorithm, boolean decisionPath) {
    LoadBalancerBuilder b =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> backends(p.algorithm(Algorithms.byName(algorithm, Map.of())), true))
            .pool("other", p -> p.backend("http://127.0.0.1:20099"));
    if (decisionPath) {
      b.policy(AccessControl.builder("acl").allow("10.0.0.0/8", "192.0.2.0/24").build())
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
    }
    return b.defaultPool("api").build();
  }

  private static PoolBuilder backends(PoolBuilder p, boolean weighted) {
    if (p.algorithmOrDefault().usesHashKey()) {
      p.hashKey(HashKey.header("x-user"));
    }
    boolean weights = weighted && p.algorithmOrDefault().usesWeights();
    for (int i = 0; i < 10; i++) {
      p.backend("http://127.0.0.1:" + (20000 + i), weights ? 1 + i % 5 : 1);
    }
    return p;
  }
}
