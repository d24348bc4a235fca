package dev.lb4j.core.health;

import static dev.lb4j.core.health.HealthFixtures.GET;
import static dev.lb4j.core.health.HealthFixtures.WINDOW;
import static dev.lb4j.core.health.HealthFixtures.picksOf;
import static dev.lb4j.core.health.HealthFixtures.sixSigma;
import static dev.lb4j.core.health.HealthFixtures.stats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Outcome;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Pool;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Slow start of a backend added at runtime: its share of picks at points of the window, for every
 * non-hashing algorithm, and the ramp formula itself. (Consistent hashing: {@link
 * SlowStartHashingTest}; recovery paths: {@link SlowStartRecoveryTest}.)
 */
class SlowStartTest {

  private static final int PICKS = 20_000;
  private static final String NEW = "new:80";
  /** Where the shares are measured: seconds since the backend was added. */
  private static final int[] TIMES = {0, 25, 50, 75, 100};

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();

  private LoadBalancer build(Algorithm algorithm, int[] weights, SlowStart slowStart) {
    return engine.pool(
        "api",
        p -> {
          for (int i = 0; i < weights.length; i++) {
            p.backend("http://b" + i + ":80", weights[i]);
          }
          p.algorithm(algorithm).slowStart(slowStart);
        });
  }

  private static int[] ones(int n) {
    int[] w = new int[n];
    Arrays.fill(w, 1);
    return w;
  }

  /** The documented linear ramp with the default 10% minimum, computed here independently. */
  private static double linearFactor(int seconds) {
    return seconds >= 100 ? 1.0 : Math.max(0.1, seconds / 100.0);
  }

  static Stream<Arguments> weightProportional() {
    // name, algorithm, weights of the four (or twenty) backends present at build, the new weight
    return Stream.of(
        Arguments.of("round robin", (Supplier<Algorithm>) Algorithms::roundRobin, ones(4), 1, true),
        Arguments.of("random", (Supplier<Algorithm>) Algorithms::random, ones(4), 1, true),
        Arguments.of(
            "weighted round robin",
            (Supplier<Algorithm>) Algorithms::weightedRoundRobin,
            new int[] {1, 2, 3, 4},
            5,
            true),
        Arguments.of(
            "weighted random",
            (Supplier<Algorithm>) Algorithms::weightedRandom,
            new int[] {1, 2, 3, 4},
            5,
            true),
        // With every lease closed at once nothing is ever in flight, so least request (full scan,
        // ties broken by a random start; or two random candidates, ties to the first) and peak EWMA
        // (no latency data, every cost 0) pick uniformly. They are not weight-proportional by
        // construction, so a rejected pick excludes the new backend for that request: one draw.
        Arguments.of(
            "least request, full scan, idle",
            (Supplier<Algorithm>) Algorithms::leastRequest,
            ones(4),
            1,
            false),
        Arguments.of(
            "least request, two choices (21 > 16 backends), idle",
            (Supplier<Algorithm>) Algorithms::leastRequest,
            ones(20),
            1,
            false),
        Arguments.of(
            "peak EWMA, idle", (Supplier<Algorithm>) Algorithms::peakEwma, ones(4), 1, false));
  }

  /**
   * A weight-proportional algorithm picks the new backend (weight {@code w}) with probability {@code
   * w / (W + w)}, W the others' total; slow start keeps such a pick with probability {@code f} and
   * otherwise picks again. Each attempt therefore ends with the new backend with probability {@code f
   * w / (W + w)} and with another one with probability {@code W / (W + w)}, so its share of
   * selections is {@code f w / (W + f w)}: Envoy's scaled weight. Algorithms that are not
   * proportional by construction get one draw per request (a rejected backend is excluded for that
   * request), so an idle, uniformly picking one gives the new backend {@code f w / (W + w)}.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("weightProportional")
  void addedBackendTakesTheScaledWeightShareAndTheFullShareAfterTheWindow(
      String name,
      Supplier<Algorithm> algorithm,
      int[] weights,
      int newWeight,
      boolean proportional) {
    LoadBalancer lb = build(algorithm.get(), weights, SlowStart.linear(WINDOW));
    Pool pool = lb.defaultPool();
    int others = Arrays.stream(weights).sum();
    for (int i = 0; i < weights.length; i++) {
      assertThat(stats(lb, "api", "b" + i + ":80").status())
          .as("backends present at build start at full share")
          .isEqualTo(BackendStatus.HEALTHY);
    }

    lb.admin().addBackend("api", BackendSpec.builder("http://new:80").weight(newWeight).build());
    assertThat(stats(lb, "api", NEW).status()).isEqualTo(BackendStatus.WARMING);
    assertThat(stats(lb, "api", NEW).statusReason()).isEqualTo("added; slow start over PT1M40S");

    double previous = -1;
    int elapsed = 0;
    for (int t : TIMES) {
      clock.advance(Duration.ofSeconds(t - elapsed));
      elapsed = t;
      double f = linearFactor(t);
      double p =
          proportional
              ? f * newWeight / (others + f * newWeight)
              : f * newWeight / (double) (others + newWeight);
      int hits = picksOf(pool, NEW, PICKS);
      assertThat((double) hits)
          .as("%s: picks of the new backend at t=%d s (f=%.2f, expected share %.4f)", name, t, f, p)
          .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
      double share = hits / (double) PICKS;
      assertThat(share).as("%s: share grows at t=%d s", name, t).isGreaterThan(previous);
      previous = share;
    }
    assertThat(stats(lb, "api", NEW).status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(stats(lb, "api", NEW).statusReason())
        .isEqualTo("slow start window of PT1M40S ended");
  }

  static Stream<Arguments> loadAware() {
    // name, algorithm, backends present at build, leases kept open, whether the picker is P2C
    return Stream.of(
        Arguments.of(
            "least request, full scan",
            (Supplier<Algorithm>) Algorithms::leastRequest,
            4,
            8,
            false),
        Arguments.of(
            "least request, two choices (21 > 16 backends)",
            (Supplier<Algorithm>) Algorithms::leastRequest,
            20,
            40,
            true),
        Arguments.of("peak EWMA", (Supplier<Algorithm>) Algorithms::peakEwma, 4, 8, true));
  }

  /**
   * Under load (a fixed number of leases kept open, each completed with a 10 ms latency when the
   * oldest is released) least request and peak EWMA prefer the idle newcomer: it has fewer requests
   * in flight (and, for peak EWMA, no latency data until its first completion). The exact share is
   * then not {@code f / (n + f)}; what the engine promises is that the share grows over the window
   * and reaches the fair {@code 1 / (n + 1)} when it ends.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("loadAware")
  void underLoadTheShareGrowsOverTheWindowAndEndsFair(
      String name, Supplier<Algorithm> algorithm, int present, int concurrency, boolean twoChoices) {
    LoadBalancer lb = build(algorithm.get(), ones(present), SlowStart.linear(WINDOW));
    double[] shares = sharesUnderLoad(lb, concurrency);
    int n = present + 1;
    double fair = 1.0 / n;
    for (int i = 1; i < TIMES.length; i++) {
      // The difference of two independent shares has standard deviation sqrt(s1^2 + s2^2).
      double slack = Math.sqrt(
          Math.pow(sixSigma(PICKS, shares[i]), 2) + Math.pow(sixSigma(PICKS, shares[i - 1]), 2))
          / PICKS;
      assertThat(shares[i])
          .as("%s: share at t=%d s is not below the share at t=%d s: %s",
              name, TIMES[i], TIMES[i - 1], Arrays.toString(shares))
          .isGreaterThanOrEqualTo(shares[i - 1] - slack);
    }
    double growthSlack =
        Math.sqrt(Math.pow(sixSigma(PICKS, shares[0]), 2) + Math.pow(sixSigma(PICKS, fair), 2))
            / PICKS;
    assertThat(shares[TIMES.length - 1] - shares[0])
        .as("%s: the share grows over the window: %s", name, Arrays.toString(shares))
        .isGreaterThan(growthSlack);
    assertThat(shares[TIMES.length - 1] * PICKS)
        .as("%s: fair share once the window ended", name)
        .isCloseTo(PICKS * fair, within(sixSigma(PICKS, fair)));
    for (int i = 0; i < TIMES.length - 1; i++) {
      assertThat(shares[i])
          .as("%s: below the fair share at t=%d s", name, TIMES[i])
          .isLessThan(fair + sixSigma(PICKS, fair) / PICKS);
      if (twoChoices) {
        // A power-of-two-choices picker returns the new backend only when it is one of the two
        // candidates (probability q = 2 / n per draw); slow start keeps that pick with probability
        // f and otherwise draws again, so a selection takes at most 1 / (1 - q (1 - f)) draws on
        // average and the share is at most f q / (1 - q (1 - f)), however strongly the algorithm
        // prefers the newcomer.
        double f = linearFactor(TIMES[i]);
        double q = 2.0 / n;
        double bound = f * q / (1 - q * (1 - f));
        assertThat(shares[i] * PICKS)
            .as("%s: at most f q / (1 - q (1 - f)) = %.4f at t=%d s", name, bound, TIMES[i])
            .isLessThanOrEqualTo(PICKS * bound + sixSigma(PICKS, bound));
      }
    }
  }

  /**
   * SlowStart's Javadoc: "For least request, P2C and peak EWMA, which prefer the idle new backend,
   * it scales the share the algorithm would give it by the same factor". A full-scan least-request
   * picker under load does not: when the warming backend is the least loaded, a rejected pick is
   * re-picked by the same scan (the same backend again, up to 8 times, then it is excluded for that
   * one selection only), and the next selection finds it least loaded again. At f = 0.1 it gets
   * about 70% of its fair share (measured: 0.146 of 0.2 with 8 leases open; 0.189 with 40).
   */
  @Test
  void leastRequestFullScanUnderLoadScalesTheWarmingShareByTheFactor() {
    LoadBalancer lb = build(Algorithms.leastRequest(), ones(4), SlowStart.linear(WINDOW));
    double[] shares = sharesUnderLoad(lb, 8);
    double fair = 0.2;
    // Scaled by f = 0.1 the share would be 0.02; allow five times that (half the fair share).
    assertThat(shares[0] * PICKS)
        .as("share at f = 0.1: %s", Arrays.toString(shares))
        .isLessThanOrEqualTo(PICKS * fair / 2);
  }

  /**
   * Keeps {@code concurrency} leases open (completing the oldest, with a 10 ms latency, whenever a
   * new one is taken), adds the new backend, and measures its share at each of {@link #TIMES}.
   */
  private double[] sharesUnderLoad(LoadBalancer lb, int concurrency) {
    Pool pool = lb.defaultPool();
    ArrayDeque<Lease> open = new ArrayDeque<>();
    for (int i = 0; i < 2_000; i++) {
      takeOne(pool, open, concurrency);
    }
    lb.admin().addBackend("api", BackendSpec.of("http://new:80"));
    double[] shares = new double[TIMES.length];
    int elapsed = 0;
    for (int k = 0; k < TIMES.length; k++) {
      clock.advance(Duration.ofSeconds(TIMES[k] - elapsed));
      elapsed = TIMES[k];
      int hits = 0;
      for (int i = 0; i < PICKS; i++) {
        if (takeOne(pool, open, concurrency).equals(NEW)) {
          hits++;
        }
      }
      shares[k] = hits / (double) PICKS;
    }
    assertThat(stats(lb, "api", NEW).status()).isEqualTo(BackendStatus.HEALTHY);
    while (!open.isEmpty()) {
      open.poll().close();
    }
    return shares;
  }

  private static String takeOne(Pool pool, ArrayDeque<Lease> open, int concurrency) {
    Lease lease = pool.select(GET).leaseOrThrow();
    open.add(lease);
    while (open.size() > concurrency) {
      open.poll().complete(Outcome.response(200, 10_000_000L));
    }
    return lease.backend().id();
  }

  static Stream<Arguments> curves() {
    return Stream.of(
        Arguments.of(4.0, 50), // aggressive: starts at half, reaches 0.84 halfway
        Arguments.of(0.5, 1), // timid: starts at 1%, quadratic
        Arguments.of(2.0, 5));
  }

  /**
   * Aggression and the minimum shape the curve as documented: {@code f = max(min / 100, (t /
   * window)^(1 / aggression))}; with random picks the share is {@code f / (4 + f)}.
   */
  @ParameterizedTest(name = "aggression {0}, minimum {1}%")
  @MethodSource("curves")
  void aggressionAndMinimumShapeTheShare(double aggression, int minPercent) {
    SlowStart slowStart = SlowStart.of(WINDOW, aggression, minPercent);
    LoadBalancer lb = build(Algorithms.random(), ones(4), slowStart);
    lb.admin().addBackend("api", BackendSpec.of("http://new:80"));
    int elapsed = 0;
    for (int t : new int[] {0, 10, 25, 50, 75, 100}) {
      clock.advance(Duration.ofSeconds(t - elapsed));
      elapsed = t;
      double f = t >= 100 ? 1.0 : Math.max(minPercent / 100.0, Math.pow(t / 100.0, 1 / aggression));
      double p = f / (4 + f);
      assertThat((double) picksOf(lb.defaultPool(), NEW, PICKS))
          .as("t=%d s, f=%.4f", t, f)
          .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
    }
  }

  @ParameterizedTest(name = "aggression {0}, minimum {1}%, {2} s of 100 -> {3}")
  @CsvSource({
    // aggression, minimum %, elapsed seconds, factor worked out by hand from the documented formula
    "1.0, 10, 0, 0.1", // the minimum at the start
    "1.0, 10, 5, 0.1", // 5% is below the 10% minimum
    "1.0, 10, 25, 0.25",
    "1.0, 10, 99, 0.99",
    "1.0, 10, 100, 1.0", // the end of the window
    "1.0, 10, 250, 1.0", // after it
    "2.0, 10, 25, 0.5", // sqrt(0.25)
    "2.0, 10, 81, 0.9", // sqrt(0.81)
    "2.0, 50, 16, 0.5", // sqrt(0.16) = 0.4 is below the 50% minimum
    "0.5, 1, 50, 0.25", // 0.5^2
    "0.5, 1, 5, 0.01", // 0.05^2 = 0.0025 is below the 1% minimum
    "4.0, 1, 1, 0.31622776601683794", // 0.01^(1/4) = 0.1^(1/2)
    "1.0, 100, 0, 1.0" // a 100% minimum turns the ramp off
  })
  void factorFollowsTheDocumentedFormula(
      double aggression, int minPercent, int seconds, double expected) {
    SlowStart slowStart = SlowStart.of(WINDOW, aggression, minPercent);
    assertThat(slowStart.factor(Duration.ofSeconds(seconds).toNanos()))
        .isCloseTo(expected, within(1e-12));
  }

  @Test
  void factorIsMonotonicAndBoundedAndTreatsNegativeTimeAsZero() {
    for (SlowStart s :
        new SlowStart[] {
          SlowStart.linear(WINDOW), SlowStart.of(WINDOW, 0.1, 1), SlowStart.of(WINDOW, 10, 1)
        }) {
      double previous = 0;
      for (long ms = 0; ms <= 101_000; ms += 500) {
        double f = s.factor(Duration.ofMillis(ms).toNanos());
        assertThat(f).as("%s at %d ms", s, ms).isBetween(s.minWeightPercent() / 100.0, 1.0)
            .isGreaterThanOrEqualTo(previous);
        previous = f;
      }
      assertThat(s.factor(-1_000_000_000L)).isEqualTo(s.factor(0));
    }
  }

  @Test
  void linearHasTheDocumentedDefaults() {
    SlowStart s = SlowStart.linear(Duration.ofSeconds(30));
    assertThat(s.window()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.aggression()).isEqualTo(1.0);
    assertThat(s.minWeightPercent()).isEqualTo(10);
  }

  @Test
  void invalidParametersAreRejectedNamingTheField() {
    assertThatThrownBy(() -> SlowStart.linear(Duration.ofMillis(999)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slowStart.window");
    assertThatThrownBy(() -> SlowStart.linear(Duration.ofHours(1).plusSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("slowStart.window");
    for (double a : new double[] {0.09, 10.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThatThrownBy(() -> SlowStart.of(WINDOW, a, 10))
          .as("aggression %s", a)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("slowStart.aggression: ");
    }
    for (int min : new int[] {0, 101, -1}) {
      assertThatThrownBy(() -> SlowStart.of(WINDOW, 1, min))
          .as("minimum %s", min)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("slowStart.minWeightPercent: " + min);
    }
    // The bounds themselves are accepted.
    assertThat(SlowStart.of(Duration.ofSeconds(1), 0.1, 1).window()).isEqualTo(Duration.ofSeconds(1));
    assertThat(SlowStart.of(Duration.ofHours(1), 10, 100).aggression()).isEqualTo(10.0);
  }

  @Test
  void backendsPresentAtBuildStartAtFullShareWithNoRampScheduled() {
    LoadBalancer lb = build(Algorithms.random(), ones(5), SlowStart.linear(WINDOW));
    assertThat(clock.pendingTasks()).as("no slow-start window runs for them").isZero();
    for (int i = 0; i < 5; i++) {
      assertThat(stats(lb, "api", "b" + i + ":80").status()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(stats(lb, "api", "b" + i + ":80").statusReason()).isEqualTo("configured");
    }
    double p = 0.2;
    assertThat((double) picksOf(lb.defaultPool(), "b4:80", PICKS))
        .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
  }

  @Test
  void addingABackendSchedulesItsWindowAndRemovingItCancelsIt() {
    LoadBalancer lb = build(Algorithms.random(), ones(4), SlowStart.linear(WINDOW));
    lb.admin().addBackend("api", BackendSpec.of("http://new:80"));
    assertThat(clock.pendingTasks()).isEqualTo(1);
    lb.admin().removeBackend("api", NEW);
    assertThat(clock.pendingTasks()).as("the window of a removed backend is cancelled").isZero();
    // Re-added, it ramps again from the start.
    clock.advance(Duration.ofSeconds(50));
    lb.admin().addBackend("api", BackendSpec.of("http://new:80"));
    double p = 0.1 / 4.1;
    assertThat((double) picksOf(lb.defaultPool(), NEW, PICKS))
        .isCloseTo(PICKS * p, within(sixSigma(PICKS, p)));
  }
}
