package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Finding algorithms by name: built-ins, ServiceLoader providers and registered providers. */
class AlgorithmRegistryTest {

  private static final List<String> BUILT_INS =
      List.of(
          "round_robin",
          "weighted_round_robin",
          "random",
          "weighted_random",
          "least_request",
          "peak_ewma",
          "ring_hash",
          "maglev",
          "rendezvous",
          "bounded_load");

  /** Whether lb-core (and these tests, patched into it) run as a named module. */
  static boolean onModulePath() {
    return Algorithms.class.getModule().isNamed();
  }

  /** A provider whose algorithm picks the first backend; registered programmatically. */
  private static AlgorithmProvider provider(String name) {
    return new AlgorithmProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Algorithm create(Map<String, String> options) {
        return new ServiceLoadedTestAlgorithmProvider().create(Map.of());
      }
    };
  }

  @Test
  void namesListsEveryBuiltInSorted() {
    List<String> names = Algorithms.names();

    assertThat(names).containsAll(BUILT_INS).isSorted();
  }

  @Test
  void builtInsAreRegisteredAsServiceLoaderProviders() {
    List<String> found =
        ServiceLoader.load(AlgorithmProvider.class).stream()
            .map(p -> p.get().name())
            .collect(Collectors.toList());

    assertThat(found).containsAll(BUILT_INS);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "round_robin",
        "weighted_round_robin",
        "random",
        "weighted_random",
        "least_request",
        "peak_ewma",
        "ring_hash",
        "maglev",
        "rendezvous",
        "bounded_load"
      })
  void eachBuiltInNameCreatesAWorkingAlgorithmOfThatName(String name) {
    Algorithm algorithm = Algorithms.byName(name, Map.of());

    assertThat(algorithm.name()).isEqualTo(name);
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "p",
                pool -> {
                  pool.backend("http://a").backend("http://b").backend("http://c");
                  pool.algorithm(algorithm);
                  if (algorithm.usesHashKey()) {
                    pool.hashKey(HashKey.path());
                  }
                })
            .build()) {
      for (int i = 0; i < 10; i++) {
        try (Lease lease = lb.select(RequestView.of("GET", "/k" + i)).leaseOrThrow()) {
          lease.complete(200);
        }
      }
      assertThat(lb.stats().pool("p").algorithm()).isEqualTo(name);
      assertThat(lb.stats().pool("p").algorithmErrors()).isZero();
    }
  }

  @Test
  void maglevTakesAPrimeTableSize() {
    Algorithm maglev = Algorithms.byName("maglev", Map.of("tableSize", "7"));

    assertThat(maglev).hasToString("maglev(tableSize=7)");
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "p",
                pool ->
                    pool.backend("http://a")
                        .backend("http://b")
                        .backend("http://c")
                        .algorithm(maglev)
                        .hashKey(HashKey.path()))
            .build()) {
      for (int i = 0; i < 20; i++) {
        String first;
        try (Lease lease = lb.select(RequestView.of("GET", "/k" + i)).leaseOrThrow()) {
          first = lease.backend().id();
        }
        try (Lease lease = lb.select(RequestView.of("GET", "/k" + i)).leaseOrThrow()) {
          assertThat(lease.backend().id()).as("key /k%d is stable", i).isEqualTo(first);
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"8", "1", "0", "-7", "5000017"})
  void maglevRejectsATableSizeThatIsNotAnAllowedPrime(String size) {
    assertThatThrownBy(() -> Algorithms.byName("maglev", Map.of("tableSize", size)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "maglev tableSize: "
                + size
                + " (expected: a prime number up to 5000011, such as 65537)");
  }

  @Test
  void ringHashTakesRingSizes() {
    assertThat(Algorithms.byName("ring_hash", Map.of("minRingSize", "2048", "maxRingSize", "4096")))
        .hasToString("ring_hash(minRingSize=2048, maxRingSize=4096)");
    assertThat(Algorithms.byName("ring_hash", Map.of("minRingSize", "2048")))
        .hasToString("ring_hash(minRingSize=2048, maxRingSize=8388608)");
  }

  @Test
  void ringHashRejectsRingSizesOutOfRange() {
    assertThatThrownBy(() -> Algorithms.byName("ring_hash", Map.of("minRingSize", "10")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ring_hash minRingSize: 10 (expected: 1024..8388608)");
    assertThatThrownBy(
            () ->
                Algorithms.byName(
                    "ring_hash", Map.of("minRingSize", "4096", "maxRingSize", "2048")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ring_hash maxRingSize: 2048 (expected: minRingSize 4096..8388608)");
  }

  @Test
  void leastRequestAndBoundedLoadTakeTheirOptions() {
    assertThat(
            Algorithms.byName(
                "least_request", Map.of("fullScanMax", " 2 ", "activeRequestBias", "0.5")))
        .hasToString("least_request(fullScanMax=2, activeRequestBias=0.5)");
    assertThat(Algorithms.byName("bounded_load", Map.of("balanceFactor", "1.5")).toString())
        .startsWith("bounded_load(balanceFactor=1.5");
    assertThatThrownBy(() -> Algorithms.byName("least_request", Map.of("fullScanMax", "2000")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("least_request fullScanMax: 2000 (expected: 0..1024)");
    assertThatThrownBy(() -> Algorithms.byName("bounded_load", Map.of("balanceFactor", "0.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bounded_load balanceFactor: 0.5 (expected: 1.0..100.0)");
  }

  @ParameterizedTest(name = "{0} {1}={2}")
  @CsvSource({
    "maglev,        tableSize,         abc,          an integer",
    "maglev,        tableSize,         7.0,          an integer",
    "maglev,        tableSize,         99999999999,  a 32-bit integer",
    "ring_hash,     minRingSize,       1k,           an integer",
    "least_request, activeRequestBias, fast,         a number",
    "least_request, activeRequestBias, NaN,          a finite number",
    "bounded_load,  balanceFactor,     Infinity,     a finite number",
  })
  void badOptionValueIsRejectedNamingAlgorithmOptionAndValue(
      String algorithm, String option, String value, String expected) {
    assertThatThrownBy(() -> Algorithms.byName(algorithm, Map.of(option, value)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "algorithm '"
                + algorithm
                + "' option '"
                + option
                + "': '"
                + value
                + "' (expected: "
                + expected
                + ")");
  }

  @Test
  void unknownOptionIsRejectedListingTheAllowedOnes() {
    assertThatThrownBy(() -> Algorithms.byName("maglev", Map.of("size", "7")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("algorithm 'maglev' option: 'size' (expected one of [tableSize])");
    assertThatThrownBy(() -> Algorithms.byName("round_robin", Map.of("x", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("algorithm 'round_robin' option: 'x' (expected one of no options)");
    assertThatThrownBy(() -> Algorithms.byName("ring_hash", Map.of("minringsize", "2048")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "algorithm 'ring_hash' option: 'minringsize' (expected one of [maxRingSize,"
                + " minRingSize, pointsPerWeight])");
  }

  @Test
  void unknownNameIsRejectedListingTheKnownOnes() {
    assertThatThrownBy(() -> Algorithms.byName("round-robin", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("algorithm: 'round-robin' (expected one of [")
        .hasMessageContaining("round_robin")
        .hasMessageContaining("bounded_load");
  }

  /** The class-path counterpart runs in its own Surefire execution: ClassPathProviderDiscoveryTest. */
  @Test
  @EnabledIf(value = "onModulePath", disabledReason = "runs in the module-path execution only")
  void providerListedOnlyInMetaInfServicesIsNotSeenInsideANamedModule() {
    // On the module path surefire patches the test classes and resources into the named module
    // dev.lb4j.core; ServiceLoader reads providers of named modules only from their module
    // descriptor ('provides'), never from META-INF/services, so the test provider is invisible.
    // Users on the module path must declare 'provides dev.lb4j.api.AlgorithmProvider with ...'.
    assertThat(Algorithms.names()).doesNotContain(ServiceLoadedTestAlgorithmProvider.NAME);
  }

  @Test
  void registeredProviderIsFoundByNameUntilUnregistered() {
    String name = "test_registered_first_backend";
    Algorithms.register(provider(name));
    try {
      assertThat(Algorithms.names()).contains(name).isSorted();
      Algorithm algorithm = Algorithms.byName(name, Map.of());
      try (LoadBalancer lb =
          LoadBalancer.builder()
              .pool("p", p -> p.backend("http://a").backend("http://b").algorithm(algorithm))
              .build()) {
        try (Lease lease = lb.select(RequestView.of("GET", "/")).leaseOrThrow()) {
          assertThat(lease.backend().id()).isEqualTo("a:80");
        }
      }
    } finally {
      assertThat(Algorithms.unregister(name)).isTrue();
    }

    assertThat(Algorithms.unregister(name)).isFalse();
    assertThat(Algorithms.names()).doesNotContain(name);
    assertThatThrownBy(() -> Algorithms.byName(name, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("algorithm: '" + name + "'");
  }

  @Test
  void registeringATakenNameIsRejected() {
    String name = "test_registered_twice";
    Algorithms.register(provider(name));
    try {
      assertThatThrownBy(() -> Algorithms.register(provider(name)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("algorithm provider '" + name + "' is already registered");
    } finally {
      Algorithms.unregister(name);
    }
    assertThatThrownBy(() -> Algorithms.register(provider("maglev")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("algorithm provider 'maglev' is already registered");
  }

  @Test
  void builtInsCannotBeUnregistered() {
    assertThat(Algorithms.unregister("maglev")).isFalse();
    assertThat(Algorithms.byName("maglev", Map.of()).name()).isEqualTo("maglev");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "Upper", "1starts_with_digit", "has-dash", "has space", "_x"})
  void registeringAnInvalidNameIsRejectedWithTheName(String name) {
    assertThatThrownBy(() -> Algorithms.register(provider(name)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("name: '" + name + "'")
        .hasMessageContaining(
            "expected: lower case letters, digits and '_', starting with a letter");
    assertThat(Algorithms.names()).doesNotContain(name);
  }

  @Test
  void providerCreatingNullIsReportedByName() {
    String name = "test_creates_null";
    Algorithms.register(
        new AlgorithmProvider() {
          @Override
          public String name() {
            return name;
          }

          @Override
          @SuppressWarnings("NullAway") // deliberately breaks the contract
          public Algorithm create(Map<String, String> options) {
            return null;
          }
        });
    try {
      assertThatThrownBy(() -> Algorithms.byName(name, Map.of()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("algorithm provider '" + name + "' created null");
    } finally {
      Algorithms.unregister(name);
    }
  }
}
