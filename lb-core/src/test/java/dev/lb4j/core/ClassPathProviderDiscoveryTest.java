package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A user's algorithm provider listed in {@code META-INF/services} is found by name when lb-core runs
 * on the class path. Surefire runs this class in a separate execution without the module path (see
 * lb-core's pom); the default execution, on the module path, excludes it, because there a named
 * module's providers come from its descriptor only.
 */
class ClassPathProviderDiscoveryTest {

  @Test
  void providerListedInMetaInfServicesIsFoundByNameOnTheClassPath() {
    assertThat(Algorithms.class.getModule().isNamed()).as("lb-core runs on the class path").isFalse();

    Algorithm algorithm = Algorithms.byName(ServiceLoadedTestAlgorithmProvider.NAME, Map.of());

    assertThat(algorithm.name()).isEqualTo(ServiceLoadedTestAlgorithmProvider.NAME);
    assertThat(Algorithms.names()).contains(ServiceLoadedTestAlgorithmProvider.NAME);
    assertThatThrownBy(
            () -> Algorithms.byName(ServiceLoadedTestAlgorithmProvider.NAME, Map.of("x", "1")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("option: 'x'");
  }
}
