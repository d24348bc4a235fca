package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The builder's rules for hashing pools: a key source exactly when the algorithm hashes, and a
 * Maglev table that is prime and large enough.
 */
class HashingPoolValidationTest {

  static Stream<Arguments> hashing() {
    return Stream.of(
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash),
        Arguments.of("maglev", (Supplier<Algorithm>) Algorithms::maglev),
        Arguments.of("rendezvous", (Supplier<Algorithm>) Algorithms::rendezvous),
        Arguments.of("bounded_load", (Supplier<Algorithm>) Algorithms::boundedLoad));
  }

  static Stream<Arguments> notHashing() {
    return Stream.of(
        Arguments.of("round_robin", (Supplier<Algorithm>) Algorithms::roundRobin),
        Arguments.of("weighted_round_robin", (Supplier<Algorithm>) Algorithms::weightedRoundRobin),
        Arguments.of("random", (Supplier<Algorithm>) Algorithms::random),
        Arguments.of("weighted_random", (Supplier<Algorithm>) Algorithms::weightedRandom),
        Arguments.of("least_request", (Supplier<Algorithm>) Algorithms::leastRequest),
        Arguments.of("peak_ewma", (Supplier<Algorithm>) Algorithms::peakEwma));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashing")
  void hashingAlgorithmWithoutHashKeyFailsNamingTheField(
      String name, Supplier<Algorithm> algorithm) {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://10.0.0.1:8080").algorithm(algorithm.get()));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.hashKey")
        .hasMessageContaining(name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notHashing")
  void hashKeyOnANonHashingAlgorithmFailsNamingTheField(
      String name, Supplier<Algorithm> algorithm) {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool(
                "api",
                p ->
                    p.backend("http://10.0.0.1:8080")
                        .algorithm(algorithm.get())
                        .hashKey(HashKey.header("X-User")));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.hashKey")
        .hasMessageContaining("header(X-User)")
        .hasMessageContaining(name);
  }

  @Test
  void hashKeyWithTheDefaultAlgorithmFails() {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://10.0.0.1:8080").hashKey(HashKey.path()));

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.hashKey");
  }

  @Test
  void theErrorNamesTheOffendingPool() {
    LoadBalancerBuilder builder =
        LoadBalancer.builder()
            .pool(
                "good",
                p ->
                    p.backend("http://10.0.0.1:8080")
                        .algorithm(Algorithms.maglev())
                        .hashKey(HashKey.path()))
            .pool("bad", p -> p.backend("http://10.0.0.2:8080").algorithm(Algorithms.rendezvous()))
            .defaultPool("good");

    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.bad.hashKey");
  }

  @Test
  void hashKeySetTwiceFailsNamingTheField() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool(
                        "api",
                        p ->
                            p.backend("http://10.0.0.1:8080")
                                .hashKey(HashKey.path())
                                .hashKey(HashKey.clientAddress())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("pools.api.hashKey");
  }

  @Test
  void maglevWithANonPrimeTableSizeFailsNamingTableSize() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool(
                        "api",
                        p ->
                            p.backend("http://10.0.0.1:8080")
                                .algorithm(Algorithms.maglev(65536))
                                .hashKey(HashKey.path())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tableSize")
        .hasMessageContaining("65536");
  }

  private static LoadBalancerBuilder maglevOfSeven(int backends) {
    return LoadBalancer.builder()
        .pool(
            "api",
            p -> {
              for (int i = 1; i <= backends; i++) {
                p.backend("http://10.0.0." + i + ":8080");
              }
              p.algorithm(Algorithms.maglev(7)).hashKey(HashKey.path());
            });
  }

  /**
   * {@link LoadBalancerBuilder#build()} promises an {@code IllegalArgumentException} naming the
   * field: a Maglev table smaller than the pool is a bad {@code pools.api.algorithm}.
   */
  @Test
  void maglevTableSmallerThanThePoolFailsWithTheDocumentedException() {
    assertThatThrownBy(() -> maglevOfSeven(8).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.algorithm: maglev tableSize: 7 is smaller than the 8");
  }

  @Test
  void addingABackendBeyondTheMaglevTableIsRefusedAndLeavesThePoolAsItWas() {
    try (LoadBalancer lb = maglevOfSeven(7).build()) {
      List<String> before = placements(lb);

      assertThatThrownBy(() -> lb.admin().addBackend("api", BackendSpec.of("http://10.0.0.8:8080")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tableSize");

      assertThat(lb.pool("api").backends()).hasSize(7);
      assertThat(placements(lb)).isEqualTo(before);
    }
  }

  private static List<String> placements(LoadBalancer lb) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      try (Lease lease = lb.select(RequestView.of("GET", "/item/" + i)).leaseOrThrow()) {
        ids.add(lease.backend().id());
      }
    }
    return ids;
  }
}
