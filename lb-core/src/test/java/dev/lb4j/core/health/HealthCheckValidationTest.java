package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.LoadBalancer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every invalid health-check setting is refused with a message naming the field, value and range. */
class HealthCheckValidationTest {

  private static final HealthProbe PROBE =
      (b, t) -> CompletableFuture.completedFuture(HealthResult.healthy());

  private static HealthCheck.Builder builder() {
    return HealthCheck.builder(PROBE);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0S", "PT-1S", "PT-0.001S", "PT0.000999999S", "PT1H0.001S", "PT2H"})
  void intervalOutsideOneMillisecondToOneHour(String value) {
    Duration interval = Duration.parse(value);
    assertThatThrownBy(() -> builder().interval(interval))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheck.interval: " + interval + " (expected: PT0.001S..PT1H)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0.001S", "PT1H"})
  void intervalBoundsAreAllowed(String value) {
    Duration interval = Duration.parse(value);
    HealthCheck check = builder().interval(interval).timeout(Duration.ofMillis(1)).build();
    assertThat(check.interval()).isEqualTo(interval);
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0S", "PT-1S", "PT1H0.001S"})
  void timeoutOutsideOneMillisecondToOneHour(String value) {
    Duration timeout = Duration.parse(value);
    assertThatThrownBy(() -> builder().timeout(timeout))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheck.timeout: " + timeout + " (expected: PT0.001S..PT1H)");
  }

  @Test
  void timeoutLongerThanTheIntervalIsRefusedAtBuild() {
    assertThatThrownBy(
            () -> builder().interval(Duration.ofSeconds(2)).timeout(Duration.ofSeconds(3)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(
            "healthCheck.timeout: PT3S (expected: at most healthCheck.interval, PT2S");
    // Against the default interval too, and whatever order the setters were called in.
    assertThatThrownBy(() -> builder().timeout(Duration.ofSeconds(3)).build())
        .hasMessageStartingWith(
            "healthCheck.timeout: PT3S (expected: at most healthCheck.interval, PT2S");
    assertThatThrownBy(() -> builder().interval(Duration.ofMillis(500)).build())
        .hasMessageStartingWith(
            "healthCheck.timeout: PT1S (expected: at most healthCheck.interval, PT0.5S");
    assertThat(builder().timeout(Duration.ofSeconds(5)).interval(Duration.ofSeconds(5)).build()
        .timeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE, 1001, Integer.MAX_VALUE})
  void thresholdsOutsideOneToAThousand(int value) {
    assertThatThrownBy(() -> builder().unhealthyThreshold(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheck.unhealthyThreshold: " + value + " (expected: 1..1000)");
    assertThatThrownBy(() -> builder().healthyThreshold(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheck.healthyThreshold: " + value + " (expected: 1..1000)");
  }

  @Test
  void thresholdBoundsAreAllowed() {
    HealthCheck low = builder().unhealthyThreshold(1).healthyThreshold(1).build();
    HealthCheck high = builder().unhealthyThreshold(1000).healthyThreshold(1000).build();
    assertThat(low.unhealthyThreshold()).isEqualTo(1);
    assertThat(low.healthyThreshold()).isEqualTo(1);
    assertThat(high.unhealthyThreshold()).isEqualTo(1000);
    assertThat(high.healthyThreshold()).isEqualTo(1000);
  }

  @ParameterizedTest
  @ValueSource(doubles = {-0.1, -0.0001, 0.5001, 0.6, 1, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY})
  void jitterOutsideZeroToOneHalf(double value) {
    assertThatThrownBy(() -> builder().jitter(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("healthCheck.jitter: " + value + " (expected: 0.0..0.5)");
  }

  @Test
  void jitterBoundsAreAllowed() {
    assertThat(builder().jitter(0).build().jitter()).isZero();
    assertThat(builder().jitter(0.5).build().jitter()).isEqualTo(0.5);
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null
  void nullsAreRefusedNamingTheArgument() {
    assertThatThrownBy(() -> HealthCheck.builder(null))
        .isInstanceOf(NullPointerException.class).hasMessage("probe");
    assertThatThrownBy(() -> HealthCheck.of(null))
        .isInstanceOf(NullPointerException.class).hasMessage("probe");
    assertThatThrownBy(() -> builder().interval(null))
        .isInstanceOf(NullPointerException.class).hasMessage("healthCheck.interval");
    assertThatThrownBy(() -> builder().timeout(null))
        .isInstanceOf(NullPointerException.class).hasMessage("healthCheck.timeout");
    assertThatThrownBy(() -> builder().initialState(null))
        .isInstanceOf(NullPointerException.class).hasMessage("initialState");
    assertThatThrownBy(() -> LoadBalancer.builder().pool("api", p -> p.healthCheck(null)))
        .isInstanceOf(NullPointerException.class).hasMessage("healthCheck");
  }

  @Test
  void aRefusedSettingLeavesTheBuilderAsItWas() {
    HealthCheck.Builder b = builder().interval(Duration.ofSeconds(5));
    assertThatThrownBy(() -> b.interval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.jitter(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    HealthCheck check = b.build();
    assertThat(check.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(check.jitter()).isEqualTo(HealthCheck.DEFAULT_JITTER);
  }

  @Test
  void toStringShowsEverySetting() {
    HealthCheck check = HealthCheck.builder(TcpProbe.create()).interval(Duration.ofSeconds(5))
        .timeout(Duration.ofSeconds(2)).jitter(0.2).unhealthyThreshold(4).healthyThreshold(3)
        .initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE).build();
    assertThat(check.toString()).contains("probe=tcp", "interval=PT5S", "timeout=PT2S",
        "jitter=0.2", "unhealthyThreshold=4", "healthyThreshold=3",
        "initialState=WAIT_FOR_FIRST_PROBE");
  }
}
