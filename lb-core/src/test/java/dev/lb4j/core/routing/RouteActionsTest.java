package dev.lb4j.core.routing;

import static dev.lb4j.core.routing.RoutingTestSupport.get;
import static dev.lb4j.core.routing.RoutingTestSupport.request;
import static dev.lb4j.core.routing.RoutingTestSupport.routed;
import static dev.lb4j.core.routing.RoutingTestSupport.threePools;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a matching route does: one pool, a weighted split, a sticky split. */
class RouteActionsTest {

  /**
   * Asserts that {@code count} successes out of {@code n} draws are within 6 standard deviations of
   * a binomial(n, p): |count - n p| <= 6 sqrt(n p (1 - p)). A correct implementation fails this
   * with probability about 2e-9.
   */
  private static void assertBinomial(String what, long count, long n, double p) {
    double mean = n * p;
    double sixSigma = 6 * Math.sqrt(n * p * (1 - p));
    assertThat((double) count)
        .as("%s: %d of %d, expected %.0f +- %.0f", what, count, n, mean, sixSigma)
        .isBetween(mean - sixSigma, mean + sixSigma);
  }

  private static Map<String, Integer> countPools(LoadBalancer lb, RequestView request, int n) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(routed(lb, request).pool(), 1, Integer::sum);
    }
    return counts;
  }

  @Test
  void toPoolSendsEveryMatchingRequestToThatPoolAndSelectLeasesABackendThere() {
    try (LoadBalancer lb =
        threePools()
            .route("api", r -> r.pathPrefix("/api/").toPool("b"))
            .route("web", r -> r.pathPrefix("/web/").toPool("c"))
            .defaultPool("a")
            .build()) {
      RouteMatch m = routed(lb, get("/api/users"));
      assertThat(m.pool()).isEqualTo("b");
      assertThat(m.rule().name()).isEqualTo("api");
      assertThat(((Route) m.rule()).pools()).containsExactly("b");
      assertThat(countPools(lb, get("/api/users"), 1_000)).containsOnlyKeys("b");

      try (Lease lease = lb.select(get("/api/users")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("b");
        assertThat(lease.backend().uri().getHost()).isEqualTo("b.test");
      }
      try (Lease lease = lb.select(get("/web/index.html")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("c");
        assertThat(lease.backend().uri().getHost()).isEqualTo("c.test");
      }
      try (Lease lease = lb.select(get("/other")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("a");
      }
    }
  }

  @Test
  void splitNinetyFiveFiveSendsSharesInProportion() {
    int n = 100_000;
    try (LoadBalancer lb =
        threePools().route("canary", r -> r.pathPrefix("/").split("a", 95).split("b", 5)).build()) {
      Map<String, Integer> counts = countPools(lb, get("/x"), n);
      assertThat(counts).containsOnlyKeys("a", "b");
      assertBinomial("b (weight 5 of 100)", counts.getOrDefault("b", 0), n, 0.05);
    }
  }

  @Test
  void splitOneOneTwoSendsSharesInProportion() {
    int n = 100_000;
    try (LoadBalancer lb =
        threePools().route("split", r -> r.split("a", 1).split("b", 1).split("c", 2)).build()) {
      Map<String, Integer> counts = countPools(lb, get("/x"), n);
      assertThat(counts).containsOnlyKeys("a", "b", "c");
      assertBinomial("a", counts.getOrDefault("a", 0), n, 0.25);
      assertBinomial("b", counts.getOrDefault("b", 0), n, 0.25);
      assertBinomial("c", counts.getOrDefault("c", 0), n, 0.5);
    }
  }

  @Test
  void aWeightZeroPoolIsListedButNeverChosen() {
    int n = 20_000;
    Route route = Route.builder("z").split("a", 0).split("b", 3).split("c", 0).build();
    assertThat(route.pools()).containsExactly("a", "b", "c");
    Route middle = Route.builder("m").split("a", 1).split("b", 0).split("c", 1).build();
    try (LoadBalancer lb = threePools().rule(route).build();
        LoadBalancer lb2 = threePools().rule(middle).build()) {
      assertThat(countPools(lb, get("/"), n)).containsOnlyKeys("b");
      Map<String, Integer> counts = countPools(lb2, get("/"), n);
      assertThat(counts).containsOnlyKeys("a", "c");
      assertBinomial("a", counts.getOrDefault("a", 0), n, 0.5);
    }
  }

  @Test
  void aWeightZeroPoolIsNeverChosenForStickyKeysEither() {
    try (LoadBalancer lb =
        threePools()
            .route(
                "s",
                r -> r.split("a", 1).split("b", 0).split("c", 1).sticky(HashKey.header("X-User")))
            .build()) {
      for (int i = 0; i < 5_000; i++) {
        RequestView request = request("GET", "/").header("X-User", "u" + i).build();
        assertThat(routed(lb, request).pool()).isNotEqualTo("b");
      }
    }
  }

  @Test
  void stickySplitKeepsEachKeyOnOnePoolAndSpreadsKeysInProportion() {
    int keys = 20_000;
    try (LoadBalancer lb =
        threePools()
            .route("canary", r -> r.split("a", 80).split("b", 20).sticky(HashKey.header("X-User")))
            .build()) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < keys; i++) {
        String user = "user-" + i;
        String pool = routed(lb, request("GET", "/").header("X-User", user).build()).pool();
        counts.merge(pool, 1, Integer::sum);
        // the same key again, with other paths and the header name in another case
        for (int again = 0; again < 3; again++) {
          RequestView same = request("POST", "/p" + again).header("x-user", user).build();
          assertThat(routed(lb, same).pool()).as("pool of %s", user).isEqualTo(pool);
        }
      }
      assertThat(counts).containsOnlyKeys("a", "b");
      // The key's hash stands in for a uniform draw, so the number of keys on "b" is (close to)
      // binomial(20000, 0.2).
      assertBinomial("keys on b", counts.getOrDefault("b", 0), keys, 0.2);
    }
  }

  @Test
  void stickySplitOverThreePoolsSpreadsKeysInProportion() {
    int keys = 20_000;
    try (LoadBalancer lb =
        threePools()
            .route(
                "s", r -> r.split("a", 1).split("b", 1).split("c", 2).sticky(HashKey.cookie("uid")))
            .build()) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < keys; i++) {
        RequestView request = request("GET", "/").header("Cookie", "uid=" + i * 7919L).build();
        counts.merge(routed(lb, request).pool(), 1, Integer::sum);
      }
      assertBinomial("keys on a", counts.getOrDefault("a", 0), keys, 0.25);
      assertBinomial("keys on b", counts.getOrDefault("b", 0), keys, 0.25);
      assertBinomial("keys on c", counts.getOrDefault("c", 0), keys, 0.5);
    }
  }

  @Test
  void stickyAssignmentsAreTheSameInAnotherLoadBalancerWithTheSameWeights() {
    Route first =
        Route.builder("s").split("a", 50).split("b", 50).sticky(HashKey.header("X-User")).build();
    Route second =
        Route.builder("s").split("a", 50).split("b", 50).sticky(HashKey.header("X-User")).build();
    try (LoadBalancer one = threePools().rule(first).build();
        LoadBalancer two = threePools().rule(second).build()) {
      int onA = 0;
      for (int i = 0; i < 2_000; i++) {
        RequestView request = request("GET", "/").header("X-User", "k" + i).build();
        String pool = routed(one, request).pool();
        assertThat(routed(two, request).pool()).isEqualTo(pool);
        if (pool.equals("a")) {
          onA++;
        }
      }
      assertBinomial("keys on a", onA, 2_000, 0.5);
    }
  }

  @Test
  void requestsWithoutTheStickyKeyAreSplitAtRandom() {
    int n = 20_000;
    try (LoadBalancer lb =
        threePools()
            .route("canary", r -> r.split("a", 80).split("b", 20).sticky(HashKey.header("X-User")))
            .build()) {
      // Identical requests without the key: a sticky draw would send all of them to one pool.
      Map<String, Integer> counts =
          countPools(lb, request("GET", "/").header("X-Other", "1").build(), n);
      assertThat(counts).containsOnlyKeys("a", "b");
      assertBinomial("b", counts.getOrDefault("b", 0), n, 0.2);
    }
  }

  @Test
  void selectLeasesABackendOfThePoolTheSplitChose() {
    try (LoadBalancer lb =
        threePools()
            .route("s", r -> r.split("b", 1).split("c", 1).sticky(HashKey.header("X-User")))
            .build()) {
      int onB = 0;
      for (int i = 0; i < 200; i++) {
        RequestView request = request("GET", "/").header("X-User", "user-" + i).build();
        String routedTo = routed(lb, request).pool();
        try (Lease lease = lb.select(request).leaseOrThrow()) {
          assertThat(lease.pool()).isEqualTo(routedTo);
          assertThat(lease.backend().uri().getHost()).isEqualTo(routedTo + ".test");
        }
        if (routedTo.equals("b")) {
          onB++;
        }
      }
      assertBinomial("keys on b", onB, 200, 0.5);
    }
  }
}
