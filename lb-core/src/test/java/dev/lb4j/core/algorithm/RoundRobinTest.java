package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.TestPools.POOL;
import static dev.lb4j.core.algorithm.TestPools.assertIdle;
import static dev.lb4j.core.algorithm.TestPools.balancer;
import static dev.lb4j.core.algorithm.TestPools.index;
import static dev.lb4j.core.algorithm.TestPools.indexById;
import static dev.lb4j.core.algorithm.TestPools.ones;
import static dev.lb4j.core.algorithm.TestPools.pickAndClose;
import static dev.lb4j.core.algorithm.TestPools.sixSigma;
import static dev.lb4j.core.algorithm.TestPools.uri;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoundRobinTest {

  @Test
  void everyBackendGetsExactlyKPicksInConfigurationOrderCyclically() {
    int n = 5;
    int k = 40;
    try (LoadBalancer lb = balancer(Algorithms.roundRobin(), ones(n))) {
      Pool pool = lb.pool(POOL);
      Map<String, Integer> index = indexById(pool);
      int[] sequence = new int[k * n];
      int[] counts = new int[n];
      for (int i = 0; i < sequence.length; i++) {
        sequence[i] = index(index, pickAndClose(pool));
        counts[sequence[i]]++;
      }
      for (int i = 1; i < sequence.length; i++) {
        assertThat(sequence[i])
            .as("pick %d follows pick %d in configuration order", i, i - 1)
            .isEqualTo((sequence[i - 1] + 1) % n);
      }
      assertThat(counts).as("picks per backend over %d cycles", k).containsOnly(k);
      assertIdle(lb);
    }
  }

  @Test
  void oneBackendIsAlwaysPicked() {
    try (LoadBalancer lb = balancer(Algorithms.roundRobin(), 1)) {
      Pool pool = lb.pool(POOL);
      String only = pool.backends().get(0).id();
      for (int i = 0; i < 10; i++) {
        assertThat(pickAndClose(pool)).as("pick %d", i).isEqualTo(only);
      }
      assertIdle(lb);
    }
  }

  @Test
  void eachNewPickerStartsAtARandomBackend() {
    // The first pick of each of 400 fresh balancers over 4 backends: each backend's count is
    // Binomial(400, 1/4), mean 100, sd 8.66, so 6 sd = 52. A fixed start gives 400 and 0s.
    int balancers = 400;
    int n = 4;
    int[] firsts = new int[n];
    for (int b = 0; b < balancers; b++) {
      try (LoadBalancer lb = balancer(Algorithms.roundRobin(), ones(n))) {
        Pool pool = lb.pool(POOL);
        firsts[index(indexById(pool), pickAndClose(pool))]++;
      }
    }
    double tolerance = sixSigma(balancers, 1.0 / n);
    for (int i = 0; i < n; i++) {
      assertThat((double) firsts[i])
          .as("first picks of backend %d", i)
          .isBetween(balancers / (double) n - tolerance, balancers / (double) n + tolerance);
    }
  }

  @Test
  void builderRefusesUnequalWeightsNamingTheBackendsWeightField() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool(
                        "api",
                        p ->
                            p.backend(uri(0), 2)
                                .backend(uri(1), 2)
                                .backend(uri(2), 3)
                                .algorithm(Algorithms.roundRobin()))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pools.api.backends[2].weight")
        .hasMessageContaining("round_robin");
  }

  @Test
  void builderAcceptsEqualWeightsOtherThanOne() {
    try (LoadBalancer lb = balancer(Algorithms.roundRobin(), 7, 7, 7)) {
      assertThat(lb.pool(POOL).backends()).extracting(b -> b.weight()).containsOnly(7);
    }
  }

  @Test
  void adminRefusesAWeightThatWouldMakeWeightsUnequal() {
    try (LoadBalancer lb = balancer(Algorithms.roundRobin(), ones(3))) {
      String second = lb.pool(POOL).backends().get(1).id();
      assertThatThrownBy(() -> lb.admin().setWeight(POOL, second, 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("pools." + POOL + ".backends[1].weight");
      assertThat(lb.pool(POOL).backends().get(1).weight()).as("weight left unchanged").isEqualTo(1);
    }
  }
}
