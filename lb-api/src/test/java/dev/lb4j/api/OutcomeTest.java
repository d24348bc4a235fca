package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutcomeTest {

  @Test
  void responseCarriesStatusAndLatencyWithoutError() {
    Outcome outcome = Outcome.response(204, 1_500);

    assertThat(outcome.status()).isEqualTo(204);
    assertThat(outcome.error()).isEqualTo(ErrorKind.NONE);
    assertThat(outcome.latencyNanos()).isEqualTo(1_500);
    assertThat(outcome).hasToString("status 204 after 1500 ns");
  }

  @Test
  void errorCarriesKindAndLatencyWithoutStatus() {
    Outcome outcome = Outcome.error(ErrorKind.TIMEOUT, 7);

    assertThat(outcome.status()).isZero();
    assertThat(outcome.error()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(outcome.latencyNanos()).isEqualTo(7);
    assertThat(outcome).hasToString("error TIMEOUT after 7 ns");
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 0, 99, 600, 1000})
  void statusOutsideHttpRangeIsRejectedWithTheValue(int status) {
    assertThatThrownBy(() -> Outcome.response(status, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("status: " + status + " (expected: 100..599)");
  }

  @ParameterizedTest
  @ValueSource(ints = {100, 599})
  void statusBoundsAreAccepted(int status) {
    assertThat(Outcome.response(status, 0).status()).isEqualTo(status);
  }

  @Test
  void negativeLatencyIsRejectedForResponsesAndErrors() {
    assertThatThrownBy(() -> Outcome.response(200, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyNanos: -1 (expected: >= 0)");
    assertThatThrownBy(() -> Outcome.error(ErrorKind.RESET, -5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("latencyNanos: -5 (expected: >= 0)");
  }

  @Test
  void errorNoneIsRejectedPointingAtResponse() {
    assertThatThrownBy(() -> Outcome.error(ErrorKind.NONE, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("error: NONE")
        .hasMessageContaining("use response()");
  }

  @ParameterizedTest
  @CsvSource({"100, false", "200, false", "404, false", "499, false", "500, true", "503, true"})
  void responseIsAFailureExactlyFor5xx(int status, boolean failure) {
    assertThat(Outcome.response(status, 0).isFailure()).isEqualTo(failure);
  }

  @ParameterizedTest
  @EnumSource(value = ErrorKind.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
  void errorIsAFailureUnlessCancelled(ErrorKind kind) {
    assertThat(Outcome.error(kind, 0).isFailure()).isEqualTo(kind != ErrorKind.CANCELLED);
    assertThat(kind.isBackendFailure()).isEqualTo(kind != ErrorKind.CANCELLED);
  }

  @Test
  void noneIsNotABackendFailure() {
    assertThat(ErrorKind.NONE.isBackendFailure()).isFalse();
  }

  @Test
  void equalOutcomesAreEqualAndHashAlike() {
    assertThat(Outcome.response(200, 5))
        .isEqualTo(Outcome.response(200, 5))
        .hasSameHashCodeAs(Outcome.response(200, 5))
        .isNotEqualTo(Outcome.response(200, 6))
        .isNotEqualTo(Outcome.response(201, 5));
    assertThat(Outcome.error(ErrorKind.CONNECT, 5))
        .isEqualTo(Outcome.error(ErrorKind.CONNECT, 5))
        .isNotEqualTo(Outcome.error(ErrorKind.RESET, 5));
  }
}
