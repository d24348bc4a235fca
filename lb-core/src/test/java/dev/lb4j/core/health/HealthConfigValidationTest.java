package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolBuilder;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Argument checks of {@link OutlierDetection.Builder} and of the health settings on {@code
 * PoolBuilder}: each message names the field, the value and what is allowed, and a rejected call
 * leaves the builder as it was.
 */
class HealthConfigValidationTest {

  private static void rejects(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  // ------------------------------------------------------------------ OutlierDetection

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 1001, Integer.MIN_VALUE})
  void consecutiveFailuresOutOfRange(int value) {
    rejects(
        () -> OutlierDetection.builder().consecutiveFailures(value),
        "outlierDetection.consecutiveFailures: " + value + " (expected: 1..1000)");
  }

  @Test
  void consecutiveFailuresBounds() {
    assertThat(OutlierDetection.builder().consecutiveFailures(1).build().consecutiveFailures())
        .isEqualTo(1);
    assertThat(OutlierDetection.builder().consecutiveFailures(1000).build().consecutiveFailures())
        .isEqualTo(1000);
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 101})
  void maxEjectionPercentOutOfRange(int value) {
    rejects(
        () -> OutlierDetection.builder().maxEjectionPercent(value),
        "outlierDetection.maxEjectionPercent: " + value + " (expected: 0..100)");
  }

  @Test
  void maxEjectionPercentBounds() {
    assertThat(OutlierDetection.builder().maxEjectionPercent(0).build().maxEjectionPercent()).isZero();
    assertThat(OutlierDetection.builder().maxEjectionPercent(100).build().maxEjectionPercent())
        .isEqualTo(100);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -5, 101})
  void failurePercentageThresholdOutOfRange(int value) {
    rejects(
        () -> OutlierDetection.builder().failurePercentage(value, 10, 3),
        "outlierDetection.failurePercentage.threshold: " + value + " (expected: 1..100)");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 1_000_001})
  void failurePercentageMinimumRequestsOutOfRange(int value) {
    rejects(
        () -> OutlierDetection.builder().failurePercentage(50, value, 3),
        "outlierDetection.failurePercentage.minimumRequests: " + value
            + " (expected: 1..1000000)");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 10_001})
  void failurePercentageMinimumBackendsOutOfRange(int value) {
    rejects(
        () -> OutlierDetection.builder().failurePercentage(50, 10, value),
        "outlierDetection.failurePercentage.minimumBackends: " + value + " (expected: 1..10000)");
  }

  @Test
  void failurePercentageBoundsAndARejectedCallChangesNothing() {
    OutlierDetection.Builder b = OutlierDetection.builder().failurePercentage(100, 1_000_000, 10_000);
    assertThatThrownBy(() -> b.failurePercentage(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    OutlierDetection od = b.build();
    assertThat(od.failurePercentageThreshold()).isEqualTo(100);
    assertThat(od.failurePercentageMinimumRequests()).isEqualTo(1_000_000);
    assertThat(od.failurePercentageMinimumBackends()).isEqualTo(10_000);
    OutlierDetection low = OutlierDetection.builder().failurePercentage(1, 1, 1).build();
    assertThat(low.failurePercentageThreshold()).isEqualTo(1);
  }

  @Test
  void failurePercentageIsOffByDefault() {
    assertThat(OutlierDetection.defaults().failurePercentageThreshold()).isZero();
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null to a non-null parameter
  void baseEjectionTimeOutOfRange() {
    rejects(
        () -> OutlierDetection.builder().baseEjectionTime(Duration.ZERO),
        "outlierDetection.baseEjectionTime: PT0S (expected: PT0.001S..PT1H)");
    rejects(
        () -> OutlierDetection.builder().baseEjectionTime(Duration.ofSeconds(-1)),
        "outlierDetection.baseEjectionTime: PT-1S (expected: PT0.001S..PT1H)");
    rejects(
        () -> OutlierDetection.builder().baseEjectionTime(Duration.ofHours(1).plusNanos(1)),
        "outlierDetection.baseEjectionTime: PT1H0.000000001S (expected: PT0.001S..PT1H)");
    assertThatThrownBy(() -> OutlierDetection.builder().baseEjectionTime(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("outlierDetection.baseEjectionTime");
  }

  @Test
  void maxEjectionTimeOutOfRange() {
    rejects(
        () -> OutlierDetection.builder().maxEjectionTime(Duration.ofNanos(999_999)),
        "outlierDetection.maxEjectionTime: PT0.000999999S (expected: PT0.001S..PT24H)");
    rejects(
        () -> OutlierDetection.builder().maxEjectionTime(Duration.ofDays(1).plusMillis(1)),
        "outlierDetection.maxEjectionTime: PT24H0.001S (expected: PT0.001S..PT24H)");
  }

  @Test
  void maxEjectionTimeBelowTheBaseIsRejectedAtBuildInEitherOrder() {
    rejects(
        () -> OutlierDetection.builder().maxEjectionTime(Duration.ofSeconds(10)).build(),
        "outlierDetection.maxEjectionTime: PT10S (expected: at least"
            + " outlierDetection.baseEjectionTime, PT30S)");
    rejects(
        () -> OutlierDetection.builder().baseEjectionTime(Duration.ofMinutes(10)).build(),
        "outlierDetection.maxEjectionTime: PT5M (expected: at least"
            + " outlierDetection.baseEjectionTime, PT10M)");
    // Equal is allowed: every ejection then lasts the base time.
    OutlierDetection flat =
        OutlierDetection.builder()
            .baseEjectionTime(Duration.ofSeconds(10))
            .maxEjectionTime(Duration.ofSeconds(10))
            .build();
    assertThat(flat.ejectionNanos(5)).isEqualTo(Duration.ofSeconds(10).toNanos());
  }

  @Test
  void intervalOutOfRange() {
    rejects(
        () -> OutlierDetection.builder().interval(Duration.ofMillis(9)),
        "outlierDetection.interval: PT0.009S (expected: PT0.01S..PT1H)");
    rejects(
        () -> OutlierDetection.builder().interval(Duration.ofMinutes(61)),
        "outlierDetection.interval: PT1H1M (expected: PT0.01S..PT1H)");
  }

  @ParameterizedTest
  @ValueSource(ints = {99, 600, 0, -1})
  void failureStatusesOutOfRange(int status) {
    rejects(
        () -> OutlierDetection.builder().failureStatuses(502, status),
        "outlierDetection.failureStatuses: " + status + " (expected: HTTP statuses 100..599)");
  }

  @Test
  void aRejectedFailureStatusesCallKeepsThePreviousStatuses() {
    OutlierDetection.Builder b = OutlierDetection.builder();
    assertThatThrownBy(() -> b.failureStatuses(502, 600)).isInstanceOf(IllegalArgumentException.class);
    OutlierDetection od = b.build();
    assertThat(od.isFailure(500, ErrorKind.NONE)).as("the default 5xx still counts").isTrue();
    assertThat(od.isFailure(599, ErrorKind.NONE)).isTrue();
  }

  @Test
  void failureStatusBoundsAreAccepted() {
    OutlierDetection od = OutlierDetection.builder().failureStatuses(100, 599).build();
    assertThat(od.isFailure(100, ErrorKind.NONE)).isTrue();
    assertThat(od.isFailure(599, ErrorKind.NONE)).isTrue();
    assertThat(od.isFailure(500, ErrorKind.NONE)).isFalse();
  }

  @Test
  void failureErrorsMayNotContainNoneOrCancelled() {
    rejects(
        () -> OutlierDetection.builder().failureErrors(EnumSet.of(ErrorKind.NONE)),
        "outlierDetection.failureErrors: NONE (expected: kinds that blame the backend, not NONE or"
            + " CANCELLED)");
    rejects(
        () ->
            OutlierDetection.builder()
                .failureErrors(EnumSet.of(ErrorKind.CONNECT, ErrorKind.CANCELLED)),
        "outlierDetection.failureErrors: CANCELLED (expected: kinds that blame the backend, not"
            + " NONE or CANCELLED)");
  }

  @Test
  void aRejectedFailureErrorsCallKeepsThePreviousErrors() {
    OutlierDetection.Builder b = OutlierDetection.builder().failureErrors(Set.of(ErrorKind.TIMEOUT));
    assertThatThrownBy(() -> b.failureErrors(EnumSet.of(ErrorKind.RESET, ErrorKind.CANCELLED)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(b.build().failureErrors()).containsExactly(ErrorKind.TIMEOUT);
  }

  @Test
  void anEmptyFailureDefinitionIsRejected() {
    rejects(
        () -> OutlierDetection.builder().failureStatuses().failureErrors(Set.of()).build(),
        "outlierDetection.failureStatuses: none, and failureErrors: none (expected: at least one"
            + " kind of failure to count)");
    // Either half alone is enough.
    assertThat(OutlierDetection.builder().failureStatuses().build().isFailure(503, ErrorKind.NONE))
        .isFalse();
    assertThat(
            OutlierDetection.builder()
                .failureErrors(Set.of())
                .build()
                .isFailure(0, ErrorKind.CONNECT))
        .isFalse();
  }

  @Test
  void defaultsAreEnvoys() {
    OutlierDetection od = OutlierDetection.defaults();
    assertThat(od.consecutiveFailures()).isEqualTo(5);
    assertThat(od.interval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(od.baseEjectionTime()).isEqualTo(Duration.ofSeconds(30));
    assertThat(od.maxEjectionTime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(od.maxEjectionPercent()).isEqualTo(10);
    assertThat(od.failureErrors())
        .containsExactlyInAnyOrder(
            ErrorKind.CONNECT, ErrorKind.TIMEOUT, ErrorKind.RESET, ErrorKind.PROTOCOL, ErrorKind.OTHER);
    for (int status = 100; status < 600; status++) {
      assertThat(od.isFailure(status, ErrorKind.NONE)).as("status %d", status).isEqualTo(status >= 500);
    }
    assertThat(od.isFailure(0, ErrorKind.CANCELLED)).isFalse();
  }

  // ------------------------------------------------------------------ PoolBuilder

  /** Builds a one-backend pool "api" configured by {@code configure}. */
  private static void pool(Consumer<PoolBuilder> configure) {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> {
                  p.backend("http://10.1.0.1:8080");
                  configure.accept(p);
                })
            .build()) {
      assertThat(lb.poolNames()).containsExactly("api");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {-1, 101})
  void panicThresholdOutOfRange(int value) {
    rejects(
        () -> pool(p -> p.panicThreshold(value)),
        "pools.api.panicThreshold: " + value + " (expected: 0..100 percent)");
  }

  @Test
  void panicThresholdBoundsAreAccepted() {
    pool(p -> p.panicThreshold(0));
    pool(p -> p.panicThreshold(100));
  }

  @Test
  void eachHealthSettingMayBeSetOnce() {
    HealthCheck check =
        HealthCheck.of((b, t) -> CompletableFuture.completedFuture(HealthResult.healthy()));
    assertThatThrownBy(() -> pool(p -> p.healthCheck(check).healthCheck(check)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("pools.api.healthCheck was already set to HealthCheck{")
        .hasMessageEndingWith("(expected: at most one health check per pool)");
    assertThatThrownBy(
            () ->
                pool(
                    p ->
                        p.outlierDetection(OutlierDetection.defaults())
                            .outlierDetection(OutlierDetection.defaults())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("pools.api.outlierDetection was already set to OutlierDetection{")
        .hasMessageEndingWith("(expected: set once per pool)");
    SlowStart ramp = SlowStart.linear(Duration.ofSeconds(10));
    assertThatThrownBy(() -> pool(p -> p.slowStart(ramp).slowStart(ramp)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage(
            "pools.api.slowStart was already set to SlowStart{window=PT10S, aggression=1.0,"
                + " minWeightPercent=10} (expected: set once per pool)");
    assertThatThrownBy(() -> pool(p -> p.panicThreshold(10).panicThreshold(20)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api.panicThreshold was already set to 10");
    assertThatThrownBy(
            () -> pool(p -> p.panicMode(PanicMode.FAIL_FAST).panicMode(PanicMode.BALANCE_ALL)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pools.api.panicMode was already set to FAIL_FAST");
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null to a non-null parameter
  void healthSettingsRejectNull() {
    assertThatThrownBy(() -> pool(p -> p.outlierDetection(null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("outlierDetection");
    assertThatThrownBy(() -> pool(p -> p.panicMode(null)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("mode");
  }
}
