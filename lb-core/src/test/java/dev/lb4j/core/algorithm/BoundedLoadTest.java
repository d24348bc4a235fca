package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.POOL;
import static dev.lb4j.core.algorithm.HashingFixtures.hashingLb;
import static dev.lb4j.core.algorithm.HashingFixtures.keyed;
import static dev.lb4j.core.algorithm.HashingFixtures.numbered;
import static dev.lb4j.core.algorithm.HashingFixtures.pickAndRelease;
import static dev.lb4j.core.algorithm.HashingFixtures.placeAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018) through the
 * public API: whatever the keys, no backend ever holds more than {@code ceil(c * m / n)} of the
 * {@code m} requests in flight after a pick; an idle pool places keys exactly like ring hash.
 */
class BoundedLoadTest {

  private static final int BACKENDS = 10;

  /** The largest in-flight count of any backend, and the pool's total, after each pick. */
  private static void assertBounded(LoadBalancer lb, double c, int pick) {
    PoolStats stats = lb.stats().pool(POOL);
    long total = stats.inFlight();
    long bound = (long) Math.ceil(c * total / BACKENDS);
    int max = stats.backends().stream().mapToInt(BackendStats::inFlight).max().orElseThrow();
    assertThat(max)
        .as("pick %d: busiest backend of %d in flight, c = %s", pick, total, c)
        .isLessThanOrEqualTo((int) bound);
  }

  private static void closeAll(List<Lease> leases) {
    for (Lease lease : leases) {
      lease.close();
    }
  }

  @ParameterizedTest(name = "c = {0}")
  @ValueSource(doubles = {1.0, Algorithms.DEFAULT_BALANCE_FACTOR, 2.0})
  void oneHotKeyNeverPushesABackendAboveTheBound(double c) {
    List<Lease> open = new ArrayList<>();
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(c), numbered(BACKENDS))) {
      try {
        for (int pick = 1; pick <= 300; pick++) {
          open.add(lb.select(keyed("hot")).leaseOrThrow());
          assertThat(lb.stats().pool(POOL).inFlight()).isEqualTo(pick);
          assertBounded(lb, c, pick);
        }
      } finally {
        closeAll(open);
      }
      assertThat(lb.stats().pool(POOL).inFlight()).isZero();
      // Once the load is gone, the hot key is back on its ring owner.
      String owner = open.get(0).backend().id();
      assertThat(pickAndRelease(lb, "hot")).isEqualTo(owner);
    }
  }

  @Test
  void withFactorOneAHotKeySpillsOntoEveryBackendOnceBeforeAnyGetsASecond() {
    List<Lease> open = new ArrayList<>();
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(1.0), numbered(BACKENDS))) {
      try {
        Set<String> used = new HashSet<>();
        for (int pick = 0; pick < BACKENDS; pick++) {
          Lease lease = lb.select(keyed("hot")).leaseOrThrow();
          open.add(lease);
          assertThat(used.add(lease.backend().id())).as("pick %d reused a backend", pick).isTrue();
        }
        assertThat(lb.stats().pool(POOL).backends())
            .allSatisfy(b -> assertThat(b.inFlight()).isEqualTo(1));
      } finally {
        closeAll(open);
      }
    }
  }

  /**
   * The capacity counts the request being placed: {@code ceil(c * (m + 1) / n)} with {@code m} in
   * flight before the pick. With {@code c = 1} and 4 backends, a hot key first puts one request on
   * each backend (capacities ceil(1/4) .. ceil(4/4) = 1); the fifth pick sees m = 4, so the
   * capacity is ceil(5/4) = 2 and the key goes back to its owner; picks 5 to 8 (m = 4..7, capacity
   * 2) then give every backend a second request in the same order.
   */
  @Test
  void aHotKeyFillsEveryBackendToTheSameLevelBeforeAnyTakesOneMore() {
    int n = 4;
    List<Lease> open = new ArrayList<>();
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(1.0), numbered(n))) {
      try {
        List<String> order = new ArrayList<>();
        for (int pick = 0; pick < 3 * n; pick++) {
          Lease lease = lb.select(keyed("hot")).leaseOrThrow();
          open.add(lease);
          order.add(lease.backend().id());
        }
        List<String> firstRound = order.subList(0, n);
        assertThat(new HashSet<>(firstRound)).as("one request on each backend first").hasSize(n);
        assertThat(order.subList(n, 2 * n)).as("the second round").isEqualTo(firstRound);
        assertThat(order.subList(2 * n, 3 * n)).as("the third round").isEqualTo(firstRound);
        try (LoadBalancer ring = hashingLb(Algorithms.ringHash(), numbered(n))) {
          assertThat(order.get(0)).as("the key's owner").isEqualTo(pickAndRelease(ring, "hot"));
        }
      } finally {
        closeAll(open);
      }
    }
  }

  /**
   * The "+ 1" decides, not only the ring order: 4 backends in the hot key's walk order O, X, Y, Z
   * carry 1, 3, 0 and 0 requests (m = 4). The capacity with the request being placed is ceil(5/4) =
   * 2, so the owner O (1 in flight) takes it; ceil(4/4) = 1 would skip O and X and pick Y.
   */
  @Test
  void theCapacityCountsTheRequestBeingPlaced() {
    int n = 4;
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(1.0), numbered(n))) {
      List<String> walk = new ArrayList<>();
      List<Lease> open = new ArrayList<>();
      try {
        for (int pick = 0; pick < n; pick++) { // with c = 1, one request per backend in walk order
          Lease lease = lb.select(keyed("hot")).leaseOrThrow();
          open.add(lease);
          walk.add(lease.backend().id());
        }
      } finally {
        closeAll(open);
        open.clear();
      }
      try {
        open.add(TestPools.leaseOn(lb.pool(POOL), walk.get(0)));
        for (int i = 0; i < 3; i++) {
          open.add(TestPools.leaseOn(lb.pool(POOL), walk.get(1)));
        }
        assertThat(lb.stats().pool(POOL).inFlight()).isEqualTo(4);

        assertThat(pickAndRelease(lb, "hot")).isEqualTo(walk.get(0));
      } finally {
        closeAll(open);
      }
    }
  }

  @Test
  void theHotKeySpillsInTheSameOrderInEveryInstance() {
    List<String> first = spillOrder();
    List<String> second = spillOrder();

    assertThat(second).isEqualTo(first);
    // The spill starts at the key's owner under plain ring hash.
    try (LoadBalancer ring = hashingLb(Algorithms.ringHash(), numbered(BACKENDS))) {
      assertThat(first.get(0)).isEqualTo(pickAndRelease(ring, "hot"));
    }
  }

  private static List<String> spillOrder() {
    List<Lease> open = new ArrayList<>();
    List<String> order = new ArrayList<>();
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(), numbered(BACKENDS))) {
      try {
        for (int pick = 0; pick < 50; pick++) {
          Lease lease = lb.select(keyed("hot")).leaseOrThrow();
          open.add(lease);
          order.add(lease.backend().id());
        }
      } finally {
        closeAll(open);
      }
    }
    return order;
  }

  @ParameterizedTest(name = "c = {0}")
  @ValueSource(doubles = {1.0, Algorithms.DEFAULT_BALANCE_FACTOR})
  void manyKeysHeldOpenStayUnderTheBoundAfterEveryPick(double c) {
    List<Lease> open = new ArrayList<>();
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(c), numbered(BACKENDS))) {
      try {
        // A skewed mix: every third request is the hot key, the rest spread over 50 keys.
        for (int pick = 1; pick <= 600; pick++) {
          String key = pick % 3 == 0 ? "hot" : "user-" + (pick % 50);
          open.add(lb.select(keyed(key)).leaseOrThrow());
          assertBounded(lb, c, pick);
        }
        // Releases can leave some backend above the bound (the algorithm only controls where
        // requests go, not which ones finish first), but every new pick still goes to a backend
        // that is within the bound after the pick.
        closeAll(open.subList(0, 300));
        for (int pick = 1; pick <= 100; pick++) {
          Lease lease = lb.select(keyed("hot")).leaseOrThrow();
          open.add(lease);
          PoolStats stats = lb.stats().pool(POOL);
          long bound = (long) Math.ceil(c * stats.inFlight() / BACKENDS);
          assertThat((long) stats.backend(lease.backend().id()).inFlight())
              .as("pick %d after releases: the picked backend", pick)
              .isLessThanOrEqualTo(bound);
        }
      } finally {
        closeAll(open);
      }
      assertThat(lb.stats().pool(POOL).inFlight()).isZero();
    }
  }

  @Test
  void anIdlePoolPlacesEveryKeyExactlyLikeRingHash() {
    String[] bounded;
    String[] ring;
    try (LoadBalancer lb = hashingLb(Algorithms.boundedLoad(), numbered(BACKENDS))) {
      bounded = placeAll(lb, 10_000);
    }
    try (LoadBalancer lb = hashingLb(Algorithms.ringHash(), numbered(BACKENDS))) {
      ring = placeAll(lb, 10_000);
    }

    assertThat(bounded).isEqualTo(ring);
  }

  @Test
  void weightedIdlePoolAlsoPlacesLikeRingHash() {
    String[] bounded;
    String[] ring;
    try (LoadBalancer lb =
        hashingLb(
            Algorithms.boundedLoad(),
            p ->
                p.backend("http://10.0.0.1:8080", 1)
                    .backend("http://10.0.0.2:8080", 2)
                    .backend("http://10.0.0.3:8080", 3))) {
      bounded = placeAll(lb, 3_000);
    }
    try (LoadBalancer lb =
        hashingLb(
            Algorithms.ringHash(),
            p ->
                p.backend("http://10.0.0.1:8080", 1)
                    .backend("http://10.0.0.2:8080", 2)
                    .backend("http://10.0.0.3:8080", 3))) {
      ring = placeAll(lb, 3_000);
    }

    assertThat(bounded).isEqualTo(ring);
  }

  @Test
  void balanceFactorOutsideOneToHundredIsRefused() {
    for (double c : new double[] {0.99, 0.0, -1.0, 100.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> Algorithms.boundedLoad(c))
          .as("c = %s", c)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("balanceFactor");
    }
    assertThat(Algorithms.boundedLoad(1.0).name()).isEqualTo("bounded_load");
    assertThat(Algorithms.boundedLoad(100.0).name()).isEqualTo("bounded_load");
    assertThat(Algorithms.boundedLoad())
        .hasToString("bounded_load(balanceFactor=1.25, minRingSize=1024, maxRingSize=8388608)");
  }
}
