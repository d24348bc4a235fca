package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HealthResultTest {

  @Test
  void healthyIsASharedValueWithReasonOk() {
    assertThat(HealthResult.healthy()).isSameAs(HealthResult.healthy());
    assertThat(HealthResult.healthy().isHealthy()).isTrue();
    assertThat(HealthResult.healthy().reason()).isEqualTo("ok");
    assertThat(HealthResult.healthy()).hasToString("healthy");
  }

  @Test
  void unhealthyCarriesItsReason() {
    HealthResult result = HealthResult.unhealthy("connect refused");

    assertThat(result.isHealthy()).isFalse();
    assertThat(result.reason()).isEqualTo("connect refused");
    assertThat(result).hasToString("unhealthy: connect refused");
  }

  @Test
  void resultsAreEqualByHealthAndReason() {
    assertThat(HealthResult.unhealthy("x"))
        .isEqualTo(HealthResult.unhealthy("x"))
        .hasSameHashCodeAs(HealthResult.unhealthy("x"))
        .isNotEqualTo(HealthResult.unhealthy("y"))
        .isNotEqualTo(HealthResult.healthy());
    assertThat(HealthResult.unhealthy("ok")).isNotEqualTo(HealthResult.healthy());
  }

  @Test
  void nullReasonIsRejectedByName() {
    assertThatThrownBy(() -> HealthResult.unhealthy(nullString()))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("reason");
  }

  @SuppressWarnings("NullAway") // deliberately breaks the contract
  private static String nullString() {
    return null;
  }
}
