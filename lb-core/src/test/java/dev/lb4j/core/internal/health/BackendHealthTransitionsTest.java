package dev.lb4j.core.internal.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.health.BackendHealth.Admin;
import dev.lb4j.core.internal.health.BackendHealth.Ejection;
import dev.lb4j.core.internal.health.BackendHealth.Probe;
import dev.lb4j.core.internal.health.BackendHealth.WarmUp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every transition of the pure health value from every state it can be in, checked against an oracle
 * written from the documented rules (and not from {@link BackendHealth}'s code):
 *
 * <ul>
 *   <li>the status is the first signal that applies in the order DISABLED, DRAINING, EJECTED,
 *       UNHEALTHY, then WARMING while a ramp runs, else HEALTHY;
 *   <li>a change of status stamps {@code sinceNanos} with now and takes the new state's reason
 *       (the admin phrase, the ejection's or the probe's reason, or what happened, with "; slow start
 *       over ..." when a ramp starts); an unchanged status keeps its time and its reason, except that
 *       EJECTED and UNHEALTHY always show the current ejection's or probe's reason;
 *   <li>a ramp starts only when a backend that did not serve becomes healthy while slow start is on,
 *       except the first time a backend present at build that never served does; it stops when the
 *       backend stops serving;
 *   <li>enabling clears the probe's counters, and with WAIT_FOR_FIRST_PROBE makes the backend wait for
 *       a passing probe again.
 * </ul>
 *
 * <p>States are generated as the combinations of the signals (disabled x draining x ejected x probe
 * verdict x warming x never-served, under no check, ASSUME_HEALTHY or WAIT_FOR_FIRST_PROBE, with and
 * without slow start), keeping those the engine can reach. Events are applied exactly as the engine's
 * callers apply them; like the engine, admin calls that would not change the flag are not applied, and
 * probe results never reach a disabled backend (its probe loop is stopped).
 */
class BackendHealthTransitionsTest {

  private static final int UNHEALTHY_AFTER = 3;
  private static final int HEALTHY_AFTER = 2;
  private static final SlowStart RAMP = SlowStart.linear(Duration.ofSeconds(100));
  private static final String RAMP_SUFFIX = "; slow start over PT1M40S";

  /** When the start state began, and the reading at which the event happens. */
  private static final long THEN = 5_000_000_000L;

  private static final long NOW = 9_000_000_000L;

  /** A reason no rule produces: seeing it after an event means the reason was kept. */
  private static final String EARLIER = "the reason the state began with";

  private static final String FIRST_EJECTION =
      "5 consecutive failures (last: status 503); ejected for PT30S (back-off step 1)";
  private static final String SECOND_EJECTION =
      "5 consecutive failures (last: status 503); ejected for PT1M (back-off step 2)";
  private static final String REFUSED = "connection refused";

  /** The probe never runs: the value only reads the check's thresholds and initial state. */
  private static final HealthProbe UNUSED_PROBE =
      new HealthProbe() {
        @Override
        public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
          return CompletableFuture.completedFuture(HealthResult.healthy());
        }

        @Override
        public String toString() {
          return "unused";
        }
      };

  /** The pool's active check. */
  enum Checking {
    NONE,
    ASSUME_HEALTHY,
    WAIT_FOR_FIRST_PROBE;

    @Nullable HealthCheck check() {
      if (this == NONE) {
        return null;
      }
      return HealthCheck.builder(UNUSED_PROBE)
          .unhealthyThreshold(UNHEALTHY_AFTER)
          .healthyThreshold(HEALTHY_AFTER)
          .initialState(
              this == ASSUME_HEALTHY
                  ? HealthCheck.InitialState.ASSUME_HEALTHY
                  : HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
          .build();
    }
  }

  /** A pool's configuration, as far as the value cares. */
  record Setup(Checking checking, boolean slowStart) {
    @Nullable HealthCheck check() {
      return checking.check();
    }

    @Nullable SlowStart ramp() {
      return slowStart ? RAMP : null;
    }

    @Override
    public String toString() {
      return "check " + checking + ", slow start " + (slowStart ? "on" : "off");
    }
  }

  /** The probe verdicts a start state can carry, with counters just short of each threshold. */
  enum Verdict {
    PASSING,
    PASSING_ONE_FAILURE_SHORT,
    FAILING,
    FAILING_ONE_PASS_SHORT,
    WAITING,
    WAITING_AFTER_FAILURES;

    Probe probe() {
      String failed = UNHEALTHY_AFTER + " consecutive probes failed; last: " + REFUSED;
      return switch (this) {
        case PASSING -> new Probe(true, false, 0, 0, "");
        case PASSING_ONE_FAILURE_SHORT -> new Probe(true, false, 0, UNHEALTHY_AFTER - 1, "");
        case FAILING -> new Probe(false, false, 0, UNHEALTHY_AFTER, failed);
        case FAILING_ONE_PASS_SHORT -> new Probe(false, false, HEALTHY_AFTER - 1, 0, failed);
        case WAITING -> new Probe(false, true, 0, 0, "waiting for the first probe to pass");
        case WAITING_AFTER_FAILURES ->
            new Probe(false, true, 0, 2,
                "waiting for the first probe to pass; 2 failed, last: " + REFUSED);
      };
    }

    /** Which verdicts a pool with this check can hold. */
    boolean reachableUnder(Checking checking) {
      return switch (checking) {
        case NONE -> this == PASSING; // nobody probes: the verdict never changes
        case ASSUME_HEALTHY -> !probe().pending(); // only a new backend under WAIT waits
        case WAIT_FOR_FIRST_PROBE -> true;
      };
    }
  }

  /** One start state: a setup and the signals. */
  record Start(
      Setup setup,
      boolean disabled,
      boolean draining,
      boolean ejected,
      Verdict verdict,
      boolean warming,
      boolean neverServed) {

    BackendHealth value() {
      BackendStatus status =
          expectedStatus(disabled, draining, ejected, verdict.probe().healthy(), warming);
      String reason =
          switch (status) {
            case EJECTED -> FIRST_EJECTION;
            case UNHEALTHY -> verdict.probe().reason();
            default -> EARLIER;
          };
      Ejection ejection =
          ejected
              ? new Ejection(true, THEN + 30_000_000_000L, 1, 0, 1, FIRST_EJECTION)
              : new Ejection(false, THEN - 10_000_000_000L, 1, THEN - 10_000_000_000L, 1,
                  FIRST_EJECTION);
      WarmUp warmUp = new WarmUp(warming, warming ? THEN : 0, neverServed);
      return new BackendHealth(
          new Admin(disabled, draining), verdict.probe(), ejection, warmUp, status, reason, THEN);
    }

    @Override
    public String toString() {
      List<String> signals = new ArrayList<>();
      if (disabled) {
        signals.add("disabled");
      }
      if (draining) {
        signals.add("draining");
      }
      if (ejected) {
        signals.add("ejected");
      }
      signals.add("probe " + verdict);
      if (warming) {
        signals.add("warming");
      }
      if (neverServed) {
        signals.add("present at build, never served");
      }
      return String.join(" + ", signals) + " (" + setup + ")";
    }
  }

  /** Everything that can happen to a backend's health, applied as the engine applies it. */
  enum Event {
    DISABLE,
    ENABLE,
    DRAIN,
    UNDRAIN,
    PROBE_PASSES,
    PROBE_FAILS,
    EJECT,
    EJECTION_ENDS,
    WARM_UP_ENDS;

    /** Whether the engine would apply this event to a backend in health {@code h}. */
    boolean appliesTo(BackendHealth h, Setup setup) {
      return switch (this) {
        case DISABLE -> !h.admin().disabled();
        case ENABLE -> h.admin().disabled();
        case DRAIN -> !h.admin().draining();
        case UNDRAIN -> h.admin().draining();
        case PROBE_PASSES, PROBE_FAILS -> setup.check() != null && !h.admin().disabled();
        case EJECT -> !h.ejection().ejected();
        case EJECTION_ENDS -> h.ejection().ejected();
        case WARM_UP_ENDS -> h.warmUp().warming();
      };
    }

    /** The engine's call sequence for this event (PoolImpl, ActiveChecker, OutlierDetector, SlowStartTimer). */
    BackendHealth apply(BackendHealth h, Setup setup, long now) {
      HealthCheck check = setup.check();
      SlowStart ramp = setup.ramp();
      return switch (this) {
        case DISABLE -> h.disabled(true, check).settle(ramp, now, "disabled by admin");
        case ENABLE -> h.disabled(false, check).settle(ramp, now, "enabled by admin");
        case DRAIN -> h.draining(true).settle(ramp, now, "drained by admin");
        case UNDRAIN -> h.draining(false).settle(ramp, now, "undrained by admin");
        case PROBE_PASSES -> probe(h, requireCheck(check), ramp, now, HealthResult.healthy());
        case PROBE_FAILS ->
            probe(h, requireCheck(check), ramp, now, HealthResult.unhealthy(REFUSED));
        case EJECT ->
            h.withEjection(h.ejection().eject(now + 60_000_000_000L, 2, SECOND_EJECTION))
                .settle(ramp, now, SECOND_EJECTION);
        case EJECTION_ENDS ->
            h.withEjection(h.ejection().ended(now)).settle(ramp, now, "ejection time ended");
        case WARM_UP_ENDS ->
            h.withWarmUp(new WarmUp(false, h.warmUp().sinceNanos(), false))
                .settle(ramp, now, "slow start window of PT1M40S ended");
      };
    }

    private static BackendHealth probe(
        BackendHealth h, HealthCheck check, @Nullable SlowStart ramp, long now, HealthResult r) {
      return h.probed(check, r).settle(ramp, now, h.describeProbe(r));
    }

    private static HealthCheck requireCheck(@Nullable HealthCheck check) {
      if (check == null) {
        throw new IllegalStateException("probe events need a check");
      }
      return check;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The oracle: the documented rules, written out without the code under test.
  // ---------------------------------------------------------------------------------------------

  /** The first signal that applies, in precedence order. */
  static BackendStatus expectedStatus(
      boolean disabled, boolean draining, boolean ejected, boolean probeHealthy, boolean warming) {
    if (disabled) {
      return BackendStatus.DISABLED;
    }
    if (draining) {
      return BackendStatus.DRAINING;
    }
    if (ejected) {
      return BackendStatus.EJECTED;
    }
    if (!probeHealthy) {
      return BackendStatus.UNHEALTHY;
    }
    return warming ? BackendStatus.WARMING : BackendStatus.HEALTHY;
  }

  private static boolean serving(BackendStatus s) {
    return s == BackendStatus.WARMING || s == BackendStatus.HEALTHY;
  }

  /** The probe after one passing result, per HealthCheck's thresholds. */
  static Probe afterPass(Probe p) {
    int passes = p.successes() + 1;
    // one pass ends the wait of a backend that never passed; otherwise HEALTHY_AFTER in a row
    boolean healthy = p.healthy() || p.pending() || passes >= HEALTHY_AFTER;
    return new Probe(healthy, false, passes, 0, healthy ? "" : p.reason());
  }

  /** The probe after one failing result, per HealthCheck's thresholds. */
  static Probe afterFailure(Probe p) {
    int fails = p.failures() + 1;
    if (p.pending()) {
      return new Probe(false, true, 0, fails,
          "waiting for the first probe to pass; " + fails + " failed, last: " + REFUSED);
    }
    boolean healthy = p.healthy() && fails < UNHEALTHY_AFTER;
    return new Probe(healthy, false, 0, fails,
        healthy ? "" : fails + " consecutive probes failed; last: " + REFUSED);
  }

  /** What the value must look like after {@code event}. */
  record Expected(
      Admin admin,
      Probe probe,
      Ejection ejection,
      boolean warming,
      long warmingSince,
      boolean neverServed,
      BackendStatus status,
      String reason,
      long sinceNanos,
      boolean waitingForFirstProbe) {}

  static Expected expect(BackendHealth before, Event event, Setup setup, long now) {
    boolean disabled = before.admin().disabled();
    boolean draining = before.admin().draining();
    Probe probe = before.probe();
    Ejection ejection = before.ejection();
    boolean warming = before.warmUp().warming();
    String trigger;
    switch (event) {
      case DISABLE -> {
        disabled = true;
        trigger = "disabled by admin";
      }
      case ENABLE -> {
        disabled = false;
        trigger = "enabled by admin";
        if (setup.checking() == Checking.WAIT_FOR_FIRST_PROBE) {
          probe = new Probe(false, true, 0, 0,
              "enabled by admin; waiting for the first probe to pass");
        } else if (setup.checking() == Checking.ASSUME_HEALTHY) {
          probe = new Probe(probe.healthy(), probe.pending(), 0, 0, probe.reason());
        }
      }
      case DRAIN -> {
        draining = true;
        trigger = "drained by admin";
      }
      case UNDRAIN -> {
        draining = false;
        trigger = "undrained by admin";
      }
      case PROBE_PASSES -> {
        trigger = (probe.successes() + 1) + " consecutive probes passed";
        probe = afterPass(probe);
      }
      case PROBE_FAILS -> {
        trigger = (probe.failures() + 1) + " consecutive probes failed; last: " + REFUSED;
        probe = afterFailure(probe);
      }
      case EJECT -> {
        ejection = new Ejection(true, now + 60_000_000_000L, 2, ejection.returnedAtNanos(),
            ejection.total() + 1, SECOND_EJECTION);
        trigger = SECOND_EJECTION;
      }
      case EJECTION_ENDS -> {
        ejection = new Ejection(false, ejection.untilNanos(), ejection.multiplier(), now,
            ejection.total(), ejection.reason());
        trigger = "ejection time ended";
      }
      case WARM_UP_ENDS -> {
        warming = false;
        trigger = "slow start window of PT1M40S ended";
      }
      default -> throw new AssertionError(event);
    }

    boolean neverServed = before.warmUp().servesWithoutRamp();
    long warmingSince = before.warmUp().sinceNanos();
    BackendStatus status =
        expectedStatus(disabled, draining, ejection.ejected(), probe.healthy(), false);
    if (serving(status)) {
      if (warming) {
        status = BackendStatus.WARMING; // the ramp goes on
      } else if (!serving(before.status()) && setup.slowStart() && !neverServed) {
        status = BackendStatus.WARMING; // back in service: a new ramp
        warming = true;
        warmingSince = now;
      }
      neverServed = false;
    } else {
      warming = false; // a ramp ends when the backend stops serving
    }

    boolean changed = status != before.status();
    String reason =
        switch (status) {
          case EJECTED -> ejection.reason();
          case UNHEALTHY -> probe.reason();
          case DISABLED -> changed ? "disabled by admin" : before.reason();
          case DRAINING -> changed ? "drained by admin" : before.reason();
          case WARMING -> changed ? trigger + RAMP_SUFFIX : before.reason();
          case HEALTHY -> changed ? trigger : before.reason();
        };
    return new Expected(
        new Admin(disabled, draining),
        probe,
        ejection,
        warming,
        warmingSince,
        neverServed,
        status,
        reason,
        changed ? now : before.sinceNanos(),
        status == BackendStatus.UNHEALTHY && probe.pending());
  }

  private static void assertMatches(BackendHealth actual, Expected e, String what) {
    assertThat(actual.status()).as("%s: status", what).isEqualTo(e.status());
    assertThat(actual.reason()).as("%s: reason", what).isEqualTo(e.reason());
    assertThat(actual.sinceNanos()).as("%s: since", what).isEqualTo(e.sinceNanos());
    assertThat(actual.admin()).as("%s: admin", what).isEqualTo(e.admin());
    assertThat(actual.probe()).as("%s: probe", what).isEqualTo(e.probe());
    assertThat(actual.ejection()).as("%s: ejection", what).isEqualTo(e.ejection());
    assertThat(actual.warmUp().warming()).as("%s: warming", what).isEqualTo(e.warming());
    if (e.warming()) {
      assertThat(actual.warmUp().sinceNanos()).as("%s: ramp start", what)
          .isEqualTo(e.warmingSince());
    }
    assertThat(actual.warmUp().servesWithoutRamp()).as("%s: first serving skips the ramp", what)
        .isEqualTo(e.neverServed());
    assertThat(actual.waitingForFirstProbe()).as("%s: waiting for the first probe", what)
        .isEqualTo(e.waitingForFirstProbe());
  }

  // ---------------------------------------------------------------------------------------------
  // The enumeration
  // ---------------------------------------------------------------------------------------------

  static List<Setup> setups() {
    List<Setup> out = new ArrayList<>();
    for (Checking c : Checking.values()) {
      out.add(new Setup(c, false));
      out.add(new Setup(c, true));
    }
    return out;
  }

  /** Every combination of the signals a pool with {@code setup} can reach. */
  static List<Start> startStates(Setup setup) {
    List<Start> out = new ArrayList<>();
    boolean[] flags = {false, true};
    for (boolean disabled : flags) {
      for (boolean draining : flags) {
        for (boolean ejected : flags) {
          for (Verdict verdict : Verdict.values()) {
            if (!verdict.reachableUnder(setup.checking())) {
              continue;
            }
            for (boolean warming : flags) {
              for (boolean neverServed : flags) {
                BackendStatus status =
                    expectedStatus(disabled, draining, ejected, verdict.probe().healthy(), false);
                // a ramp runs only with slow start on, and only while the backend serves
                if (warming && (!setup.slowStart() || !serving(status))) {
                  continue;
                }
                // only a backend present at build under WAIT_FOR_FIRST_PROBE can have never
                // served, and the mark goes the first time it serves
                if (neverServed
                    && (setup.checking() != Checking.WAIT_FOR_FIRST_PROBE || serving(status))) {
                  continue;
                }
                out.add(new Start(setup, disabled, draining, ejected, verdict, warming, neverServed));
              }
            }
          }
        }
      }
    }
    return out;
  }

  static Stream<Arguments> everyEventFromEveryState() {
    List<Arguments> out = new ArrayList<>();
    for (Setup setup : setups()) {
      for (Start start : startStates(setup)) {
        BackendHealth value = start.value();
        for (Event event : Event.values()) {
          if (event.appliesTo(value, setup)) {
            out.add(Arguments.of(start, event));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}, then {1}")
  @MethodSource("everyEventFromEveryState")
  void eachEventLeadsToTheStateTheRulesDerive(Start start, Event event) {
    BackendHealth before = start.value();
    BackendHealth after = event.apply(before, start.setup(), NOW);
    assertMatches(after, expect(before, event, start.setup(), NOW), start + ", then " + event);
  }

  @Test
  void theEnumerationCoversEveryStatusAndEveryEvent() {
    Set<BackendStatus> statuses = EnumSet.noneOf(BackendStatus.class);
    Set<Event> events = EnumSet.noneOf(Event.class);
    int cases = 0;
    for (Setup setup : setups()) {
      for (Start start : startStates(setup)) {
        BackendHealth value = start.value();
        statuses.add(value.status());
        for (Event event : Event.values()) {
          if (event.appliesTo(value, setup)) {
            events.add(event);
            cases++;
          }
        }
      }
    }
    assertThat(statuses).as("start statuses").containsExactlyInAnyOrder(BackendStatus.values());
    assertThat(events).as("events applied").containsExactlyInAnyOrder(Event.values());
    assertThat(cases).as("transitions checked").isGreaterThan(1_000);
  }

  // ---------------------------------------------------------------------------------------------
  // Walks from the factories: the states the enumeration builds by hand are the ones the engine
  // reaches, and long sequences of events keep agreeing with the oracle.
  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @MethodSource("setups")
  void randomWalksFromBuildAndJoinAgreeWithTheRulesAtEveryStep(Setup setup) {
    Random random = new Random(0x5eed_0000L + setup.hashCode());
    for (int walk = 0; walk < 200; walk++) {
      long now = 1_000_000_000L;
      boolean atBuild = walk % 2 == 0;
      BackendHealth h =
          atBuild
              ? BackendHealth.atBuild(setup.check(), now)
              : BackendHealth.joining(setup.check(), setup.ramp(), "added", now);
      List<Event> path = new ArrayList<>();
      for (int step = 0; step < 40; step++) {
        List<Event> possible = new ArrayList<>();
        for (Event e : Event.values()) {
          if (e.appliesTo(h, setup)) {
            possible.add(e);
          }
        }
        Event event = possible.get(random.nextInt(possible.size()));
        path.add(event);
        now += 1_000_000_000L * (1 + random.nextInt(5));
        BackendHealth next = event.apply(h, setup, now);
        String what = setup + ", " + (atBuild ? "at build" : "joined") + ", then " + path;
        assertMatches(next, expect(h, event, setup, now), what);
        assertThat(!next.warmUp().warming() || next.status() == BackendStatus.WARMING)
            .as("%s: a ramp runs only while WARMING", what).isTrue();
        assertThat(!next.warmUp().servesWithoutRamp() || !serving(next.status()))
            .as("%s: a backend that serves has served", what).isTrue();
        h = next;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The factories
  // ---------------------------------------------------------------------------------------------

  @ParameterizedTest(name = "{0}")
  @EnumSource(Checking.class)
  void aBackendPresentAtBuildServesAtFullShareOrWaitsWithoutARampToCome(Checking checking) {
    BackendHealth h = BackendHealth.atBuild(checking.check(), THEN);
    assertThat(h.admin()).isEqualTo(new Admin(false, false));
    assertThat(h.ejection().ejected()).isFalse();
    assertThat(h.warmUp().warming()).isFalse();
    assertThat(h.sinceNanos()).isEqualTo(THEN);
    if (checking == Checking.WAIT_FOR_FIRST_PROBE) {
      assertThat(h.status()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(h.reason()).isEqualTo("waiting for the first probe to pass");
      assertThat(h.probe()).isEqualTo(new Probe(false, true, 0, 0,
          "waiting for the first probe to pass"));
      assertThat(h.waitingForFirstProbe()).isTrue();
      assertThat(h.warmUp().servesWithoutRamp()).as("its first serving skips the ramp").isTrue();
    } else {
      assertThat(h.status()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(h.reason()).isEqualTo("configured");
      assertThat(h.probe()).isEqualTo(new Probe(true, false, 0, 0, ""));
      assertThat(h.waitingForFirstProbe()).isFalse();
      assertThat(h.warmUp().servesWithoutRamp()).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("setups")
  void aJoiningBackendRampsUpIfItServesAndWaitsOtherwise(Setup setup) {
    BackendHealth h = BackendHealth.joining(setup.check(), setup.ramp(), "added", THEN);
    assertThat(h.sinceNanos()).isEqualTo(THEN);
    assertThat(h.warmUp().servesWithoutRamp()).as("only backends present at build skip it")
        .isFalse();
    if (setup.checking() == Checking.WAIT_FOR_FIRST_PROBE) {
      assertThat(h.status()).isEqualTo(BackendStatus.UNHEALTHY);
      assertThat(h.reason()).isEqualTo("waiting for the first probe to pass");
      assertThat(h.waitingForFirstProbe()).isTrue();
      assertThat(h.warmUp().warming()).isFalse();
    } else if (setup.slowStart()) {
      assertThat(h.status()).isEqualTo(BackendStatus.WARMING);
      assertThat(h.reason()).isEqualTo("added" + RAMP_SUFFIX);
      assertThat(h.warmUp()).isEqualTo(new WarmUp(true, THEN, false));
    } else {
      assertThat(h.status()).isEqualTo(BackendStatus.HEALTHY);
      assertThat(h.reason()).isEqualTo("added");
      assertThat(h.warmUp().warming()).isFalse();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The stories behind the rules, spelled out
  // ---------------------------------------------------------------------------------------------

  @Test
  void aBackendPresentAtBuildSkipsTheRampOnlyTheFirstTimeItServes() {
    Setup setup = new Setup(Checking.WAIT_FOR_FIRST_PROBE, true);
    BackendHealth h = BackendHealth.atBuild(setup.check(), THEN);

    h = Event.PROBE_PASSES.apply(h, setup, THEN + 1);
    assertThat(h.status()).as("first pass: full share at once").isEqualTo(BackendStatus.HEALTHY);
    assertThat(h.reason()).isEqualTo("1 consecutive probes passed");
    assertThat(h.warmUp().servesWithoutRamp()).isFalse();

    h = Event.DRAIN.apply(h, setup, THEN + 2);
    h = Event.UNDRAIN.apply(h, setup, THEN + 3);
    assertThat(h.status()).as("back from a drain: it ramps").isEqualTo(BackendStatus.WARMING);
    assertThat(h.reason()).isEqualTo("undrained by admin" + RAMP_SUFFIX);
    assertThat(h.warmUp()).isEqualTo(new WarmUp(true, THEN + 3, false));
  }

  @Test
  void aBackendPresentAtBuildThatIsDrainedBeforeItsFirstPassStillSkipsTheRamp() {
    Setup setup = new Setup(Checking.WAIT_FOR_FIRST_PROBE, true);
    BackendHealth h = BackendHealth.atBuild(setup.check(), THEN);
    h = Event.DRAIN.apply(h, setup, THEN + 1);
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 2);
    assertThat(h.status()).isEqualTo(BackendStatus.DRAINING);
    h = Event.UNDRAIN.apply(h, setup, THEN + 3);
    assertThat(h.status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(h.reason()).isEqualTo("undrained by admin");
    assertThat(h.sinceNanos()).isEqualTo(THEN + 3);
  }

  @Test
  void enablingUnderWaitForFirstProbeWaitsAgainWhateverTheVerdictWas() {
    Setup setup = new Setup(Checking.WAIT_FOR_FIRST_PROBE, false);
    BackendHealth h = BackendHealth.joining(setup.check(), null, "added", THEN);
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 1);
    assertThat(h.status()).isEqualTo(BackendStatus.HEALTHY);
    h = Event.DISABLE.apply(h, setup, THEN + 2);
    h = Event.ENABLE.apply(h, setup, THEN + 3);
    assertThat(h.status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(h.reason()).isEqualTo("enabled by admin; waiting for the first probe to pass");
    assertThat(h.waitingForFirstProbe()).isTrue();
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 4);
    assertThat(h.status()).as("one pass ends the wait").isEqualTo(BackendStatus.HEALTHY);
  }

  @Test
  void enablingUnderAssumeHealthyKeepsAFailingVerdictUntilTheHealthyThresholdPasses() {
    Setup setup = new Setup(Checking.ASSUME_HEALTHY, false);
    BackendHealth h = BackendHealth.atBuild(setup.check(), THEN);
    for (int i = 0; i < UNHEALTHY_AFTER; i++) {
      h = Event.PROBE_FAILS.apply(h, setup, THEN + 1);
    }
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 2); // one pass of two, forgotten by maintenance
    h = Event.DISABLE.apply(h, setup, THEN + 3);
    h = Event.ENABLE.apply(h, setup, THEN + 4);
    assertThat(h.status()).isEqualTo(BackendStatus.UNHEALTHY);
    assertThat(h.probe().successes()).as("fresh counters").isZero();
    assertThat(h.waitingForFirstProbe()).as("an unhealthy verdict is no wait").isFalse();
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 5);
    assertThat(h.status()).isEqualTo(BackendStatus.UNHEALTHY);
    h = Event.PROBE_PASSES.apply(h, setup, THEN + 6);
    assertThat(h.status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(h.reason()).isEqualTo(HEALTHY_AFTER + " consecutive probes passed");
  }
}
