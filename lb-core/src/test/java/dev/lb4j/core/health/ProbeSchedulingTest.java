package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HealthResult;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * When probes run: the first one after a random delay of at most {@code interval * jitter}, each next
 * one {@code interval * (1 ± jitter)} after the previous one finished. The {@link ManualClock} runs
 * each task at its exact due time and the probe records the ticker when it is called, so the gaps
 * are measured exactly.
 */
class ProbeSchedulingTest {

  private static final Duration INTERVAL = Duration.ofSeconds(1);
  private static final long I = INTERVAL.toNanos();

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);

  private LoadBalancer lb(int backends, double jitter) {
    return engine.pool("api", p -> {
      for (int i = 0; i < backends; i++) {
        p.backend("http://b" + i + ":1");
      }
      p.healthCheck(
          HealthCheck.builder(probe)
              .interval(INTERVAL)
              .timeout(Duration.ofMillis(500))
              .jitter(jitter)
              .build());
    });
  }

  private static List<Long> gaps(List<Long> times) {
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i < times.size(); i++) {
      gaps.add(times.get(i) - times.get(i - 1));
    }
    return gaps;
  }

  @Test
  void withoutJitterTheFirstProbeRunsAtOnceAndTheNextOnesExactlyOneIntervalApart() {
    long start = clock.nanoTime();
    try (LoadBalancer lb = lb(3, 0)) {
      clock.advance(INTERVAL.multipliedBy(49));
      for (int b = 0; b < 3; b++) {
        List<Long> times = probe.callTimes("b" + b + ":1");
        assertThat(times).hasSize(50);
        for (int k = 0; k < times.size(); k++) {
          assertThat(times.get(k)).as("probe %s of b%s", k + 1, b).isEqualTo(start + k * I);
        }
      }
      assertThat(lb.isClosed()).isFalse();
    }
  }

  @ParameterizedTest(name = "jitter {0}")
  @ValueSource(doubles = {0.1, 0.25, 0.5})
  void withJitterEveryGapStaysWithinIntervalTimesOnePlusOrMinusJitterAndUsesTheRange(double j) {
    int backends = 50;
    long start = clock.nanoTime();
    try (LoadBalancer lb = lb(backends, j)) {
      clock.advance(Duration.ofMinutes(2));
      long lowest = (long) (I * (1 - j));
      long highest = (long) Math.ceil(I * (1 + j));
      List<Long> allGaps = new ArrayList<>();
      List<Long> firstDelays = new ArrayList<>();
      for (int b = 0; b < backends; b++) {
        List<Long> times = probe.callTimes("b" + b + ":1");
        // 120 s of gaps of at most 1.5 s each: at least 80 probes.
        assertThat(times).hasSizeGreaterThanOrEqualTo(80);
        long first = times.get(0) - start;
        assertThat(first).as("delay of the first probe of b%s", b).isBetween(0L, (long) (I * j));
        firstDelays.add(first);
        for (long gap : gaps(times)) {
          assertThat(gap).as("gap between probes of b%s", b).isBetween(lowest, highest);
          allGaps.add(gap);
        }
      }
      // The jitter is actually applied, over its whole range. Each gap's jitter is uniform on
      // [-j, j), independently: the chance that none of the n >= 50 * 79 gaps falls in the lowest
      // (or highest) quarter of the range is 0.75^3950, below 1e-490. The first delays are uniform
      // on [0, interval * j): the chance that all 50 fall in the lower half is 2^-50, about 1e-15.
      assertThat(allGaps).hasSizeGreaterThanOrEqualTo(50 * 79);
      assertThat(allGaps.stream().mapToLong(Long::longValue).min().orElseThrow())
          .isLessThan((long) (I * (1 - j / 2)));
      assertThat(allGaps.stream().mapToLong(Long::longValue).max().orElseThrow())
          .isGreaterThan((long) (I * (1 + j / 2)));
      assertThat(firstDelays.stream().mapToLong(Long::longValue).max().orElseThrow())
          .isGreaterThan((long) (I * j / 2));
      assertThat(lb.isClosed()).isFalse();
    }
  }

  @ParameterizedTest(name = "jitter {0}")
  @ValueSource(doubles = {0, 0.3})
  void theIntervalCountsFromTheEndOfTheProbeNotItsStart(double j) {
    Duration takes = Duration.ofMillis(300);
    for (int b = 0; b < 3; b++) {
      probe.set("b" + b + ":1", (backend, n) -> {
        CompletableFuture<HealthResult> f = new CompletableFuture<>();
        clock.schedule(() -> f.complete(HealthResult.healthy()), takes.toNanos());
        return f;
      });
    }
    try (LoadBalancer lb = lb(3, j)) {
      clock.advance(Duration.ofSeconds(100));
      for (int b = 0; b < 3; b++) {
        List<Long> times = probe.callTimes("b" + b + ":1");
        assertThat(times).hasSizeGreaterThan(50);
        for (long gap : gaps(times)) {
          long afterTheEnd = gap - takes.toNanos();
          if (j == 0) {
            assertThat(afterTheEnd).isEqualTo(I);
          } else {
            assertThat(afterTheEnd).isBetween((long) (I * (1 - j)), (long) Math.ceil(I * (1 + j)));
          }
        }
        assertThat(probe.maxInFlight("b" + b + ":1")).isEqualTo(1);
      }
      assertThat(lb.isClosed()).isFalse();
    }
  }

  @Test
  void theProbeIsGivenTheConfiguredTimeout() {
    try (LoadBalancer lb = lb(2, 0.1)) {
      clock.advance(Duration.ofSeconds(10));
      assertThat(probe.timeouts()).hasSizeGreaterThan(10).containsOnly(Duration.ofMillis(500));
      assertThat(lb.isClosed()).isFalse();
    }
  }
}
