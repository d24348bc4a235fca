package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.GET;
import static dev.lb4j.core.health.PassiveTestSupport.POOL;
import static dev.lb4j.core.health.PassiveTestSupport.id;
import static dev.lb4j.core.health.PassiveTestSupport.uri;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Selection;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.HealthEventLog;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Admin calls racing probe results, passive ejections and their ends, through the public API only.
 *
 * <p>Four admin threads each own one backend's admin flags (only its owner drains, undrains,
 * disables and enables it, so the owner knows them) and also change weights and the member list (same
 * members, other weights) of any backend, and flip the scripted probe's verdicts. Three traffic
 * threads open leases and complete them with 503s, 200s, connection errors or cancellations, which
 * ejects backends. One thread drives the manual clock, which runs the probes, the ejection ends and
 * the ends of slow start. Probe results arrive either at once on the clock thread or, later, from the
 * traffic threads, which complete the probes' stages (those left too long time out on the clock).
 * Every loop is bounded; the threads start together from a gate.
 *
 * <p>Afterwards: nothing escaped a thread; every lease is released; each backend's state is what its
 * owner's last admin calls imply; each backend's events form one unbroken chain from its initial state
 * to its state in the stats; probes of one backend never overlapped (HealthCheck's contract); and once
 * every backend is enabled, undrained, probed healthy and past its ejection and ramp, all are HEALTHY,
 * with the chains still unbroken. During the run, a lease taken by an owner after its drain or disable
 * returned is never on the backend it took out of service.
 */
class AdminRacingHealthSignalsTest {

  private static final int BACKENDS = 6; // backends 0..3 have owners; 4 and 5 nobody administers
  private static final int ADMIN_THREADS = 4;
  private static final int TRAFFIC_THREADS = 3;
  private static final int OPS = 2_000;
  private static final int MAX_CLOCK_STEPS = 50_000;
  private static final Duration CLOCK_STEP = Duration.ofMillis(250);
  private static final Duration SLOW_START = Duration.ofSeconds(20);

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final ScriptedProbe probe = new ScriptedProbe(clock);
  /** Backend id to the reason its probes fail with; absent: they pass. */
  private final Map<String, String> failing = new ConcurrentHashMap<>();
  /** Whether probe stages wait for a traffic thread to complete them. */
  private final AtomicBoolean asyncProbes = new AtomicBoolean();
  private final Queue<WaitingProbe> waiting = new ConcurrentLinkedQueue<>();

  /** How probe results arrive. */
  enum ProbeCompletion {
    AT_ONCE_ON_THE_CLOCK_THREAD,
    LATER_FROM_TRAFFIC_THREADS
  }

  private record WaitingProbe(String id, CompletableFuture<HealthResult> stage) {}

  private HealthResult verdict(String id) {
    String reason = failing.get(id);
    return reason == null ? HealthResult.healthy() : HealthResult.unhealthy(reason);
  }

  /** Completes the oldest waiting probe stage with the verdict scripted now. */
  private void completeOneProbe() {
    WaitingProbe w = waiting.poll();
    if (w != null) {
      w.stage().complete(verdict(w.id()));
    }
  }
  /** The events from the start of the race on (the listener is added once the initial states are read). */
  private final HealthEventLog events = new HealthEventLog();
  private final List<Thread> threads = new ArrayList<>();

  @AfterEach
  void cleanUp() throws InterruptedException {
    for (Thread t : threads) {
      t.interrupt();
      t.join(TimeUnit.SECONDS.toMillis(5));
    }
  }

  private LoadBalancer build(HealthCheck.InitialState initialState) {
    for (int i = 0; i < BACKENDS; i++) {
      probe.set(id(i), (backend, call) -> {
        CompletableFuture<HealthResult> stage = new CompletableFuture<>();
        if (asyncProbes.get()) {
          waiting.add(new WaitingProbe(backend.id(), stage));
        } else {
          stage.complete(verdict(backend.id()));
        }
        return stage;
      });
    }
    LoadBalancer lb =
        engine.pool(
            POOL,
            p -> {
              for (int i = 0; i < BACKENDS; i++) {
                p.backend(uri(i));
              }
              p.algorithm(Algorithms.weightedRoundRobin())
                  .outlierDetection(
                      OutlierDetection.builder()
                          .consecutiveFailures(3)
                          .maxEjectionPercent(50)
                          .build())
                  .healthCheck(
                      HealthCheck.builder(probe)
                          .interval(Duration.ofSeconds(1))
                          .jitter(0)
                          .unhealthyThreshold(2)
                          .healthyThreshold(2)
                          .initialState(initialState)
                          .build())
                  .slowStart(SlowStart.linear(SLOW_START));
            });
    clock.runDue(); // the first probes pass
    return lb;
  }

  private Thread start(String name, CountDownLatch gate, Queue<Throwable> errors, Runnable body) {
    Thread t =
        new Thread(
            () -> {
              try {
                gate.await();
                body.run();
              } catch (Throwable e) { // every failure is reported by the test thread
                errors.add(new AssertionError(name + " failed: " + e, e));
              }
            },
            name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
    return t;
  }

  static Stream<Arguments> setups() {
    List<Arguments> out = new ArrayList<>();
    for (HealthCheck.InitialState initialState : HealthCheck.InitialState.values()) {
      for (ProbeCompletion completion : ProbeCompletion.values()) {
        out.add(Arguments.of(initialState, completion));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "initial state {0}, probe results {1}")
  @MethodSource("setups")
  void adminCallsRacingProbesAndEjectionsLeaveConsistentStateAndEvents(
      HealthCheck.InitialState initialState, ProbeCompletion completion)
      throws InterruptedException {
    LoadBalancer lb = build(initialState);
    asyncProbes.set(completion == ProbeCompletion.LATER_FROM_TRAFFIC_THREADS);
    Map<String, BackendStatus> initial = new HashMap<>();
    for (BackendStats b : lb.stats().pool(POOL).backends()) {
      initial.put(b.id(), b.status());
    }
    assertThat(initial.values()).as("all serving before the race").allMatch(BackendStatus::isServing);
    lb.addHealthListener(events);

    CountDownLatch gate = new CountDownLatch(1);
    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    Queue<String> violations = new ConcurrentLinkedQueue<>();
    boolean[] finallyDisabled = new boolean[ADMIN_THREADS];
    boolean[] finallyDrained = new boolean[ADMIN_THREADS];
    AtomicInteger workersLeft = new AtomicInteger(ADMIN_THREADS + TRAFFIC_THREADS);
    AtomicBoolean clockDone = new AtomicBoolean();
    AtomicLong leases = new AtomicLong();
    AtomicLong ownerChecks = new AtomicLong();

    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < ADMIN_THREADS; t++) {
      int owner = t;
      workers.add(start("admin-" + t, gate, errors, () -> {
        try {
          Random random = new Random(1_000 + owner);
          String own = id(owner);
          boolean disabled = false;
          boolean drained = false;
          for (int op = 0; op < OPS; op++) {
            int dice = random.nextInt(20);
            if (dice < 3) {
              lb.admin().drain(POOL, own);
              drained = true;
              ownerChecks.addAndGet(neverOn(lb, own, "drain", op, violations));
            } else if (dice < 6) {
              lb.admin().undrain(POOL, own);
              drained = false;
            } else if (dice < 8) {
              lb.admin().disable(POOL, own);
              disabled = true;
              ownerChecks.addAndGet(neverOn(lb, own, "disable", op, violations));
            } else if (dice < 11) {
              lb.admin().enable(POOL, own);
              disabled = false;
            } else if (dice < 13) {
              lb.admin().setWeight(POOL, id(random.nextInt(BACKENDS)), 1 + random.nextInt(5));
            } else if (dice < 14) {
              List<BackendSpec> specs = new ArrayList<>();
              for (int i = 0; i < BACKENDS; i++) {
                specs.add(BackendSpec.builder(uri(i)).weight(1 + random.nextInt(5)).build());
              }
              lb.admin().setBackends(POOL, specs);
            } else if (dice < 16) {
              failing.put(id(random.nextInt(BACKENDS)), "connection refused");
            } else if (dice < 18) {
              failing.remove(id(random.nextInt(BACKENDS)));
            } else if (lb.select(GET) instanceof Lease lease) {
              leases.incrementAndGet();
              lease.complete(random.nextBoolean() ? 503 : 200);
            }
            if (disabled || drained) {
              // out of service by this thread's own call: no lease of this thread may land there
              ownerChecks.addAndGet(neverOn(lb, own, disabled ? "disable" : "drain", op, violations));
            }
          }
          finallyDisabled[owner] = disabled;
          finallyDrained[owner] = drained;
        } finally {
          workersLeft.decrementAndGet();
        }
      }));
    }
    for (int t = 0; t < TRAFFIC_THREADS; t++) {
      int seed = t;
      workers.add(start("traffic-" + t, gate, errors, () -> {
        try {
          Random random = new Random(2_000 + seed);
          List<Lease> open = new ArrayList<>();
          for (int op = 0; op < OPS; op++) {
            if (random.nextBoolean()) {
              completeOneProbe();
            }
            Selection selection = lb.select(GET);
            if (selection instanceof Lease lease) {
              leases.incrementAndGet();
              open.add(lease);
            }
            // keep up to three leases open at once, so releases interleave with admin changes
            while (open.size() > random.nextInt(4)) {
              Lease lease = open.remove(random.nextInt(open.size()));
              int dice = random.nextInt(10);
              if (dice < 5) {
                lease.complete(503);
              } else if (dice < 8) {
                lease.complete(200);
              } else if (dice < 9) {
                lease.fail(ErrorKind.CONNECT);
              } else {
                lease.close();
              }
            }
          }
          open.forEach(lease -> lease.complete(200));
        } finally {
          workersLeft.decrementAndGet();
        }
      }));
    }
    Thread clockThread = start("clock", gate, errors, () -> {
      try {
        for (int i = 0; i < MAX_CLOCK_STEPS && workersLeft.get() > 0; i++) {
          clock.advance(CLOCK_STEP); // runs probes, ejection ends and ramp ends on this thread
        }
      } finally {
        clockDone.set(true);
      }
    });

    gate.countDown();
    for (Thread t : workers) {
      t.join(TimeUnit.SECONDS.toMillis(120));
      assertThat(t.isAlive()).as("%s finished its bounded loop", t.getName()).isFalse();
    }
    clockThread.join(TimeUnit.SECONDS.toMillis(120));
    assertThat(clockDone).as("the clock thread finished").isTrue();

    assertThat(errors).as("exceptions that escaped a thread").isEmpty();
    assertThat(violations).as("leases on a backend the same thread had taken out of service")
        .isEmpty();
    assertThat(leases.get()).as("leases taken during the race").isPositive();
    assertThat(ownerChecks.get()).as("selections checked after an owner's drain or disable")
        .isPositive();
    Set<BackendStatus> reached = EnumSet.noneOf(BackendStatus.class);
    events.statusChanges().forEach(e -> reached.add(e.to()));
    assertThat(reached).as("states the race went through (%d changes, clock at %s)",
            events.statusChanges().size(), Duration.ofNanos(clock.nanoTime()))
        .contains(BackendStatus.DISABLED, BackendStatus.DRAINING, BackendStatus.EJECTED,
            BackendStatus.UNHEALTHY);
    if (completion == ProbeCompletion.AT_ONCE_ON_THE_CLOCK_THREAD) {
      // with late results many probes time out, and a backend rarely gets back into service
      assertThat(reached).as("a backend came back into service and ramped")
          .contains(BackendStatus.WARMING);
    }

    // Right after the race: the admin flags decide every administered backend's state.
    PoolStats raced = lb.stats().pool(POOL);
    for (int i = 0; i < BACKENDS; i++) {
      BackendStatus status = raced.backend(id(i)).status();
      if (i < ADMIN_THREADS && finallyDisabled[i]) {
        assertThat(status).as("%s: left disabled by its owner", id(i))
            .isEqualTo(BackendStatus.DISABLED);
      } else if (i < ADMIN_THREADS && finallyDrained[i]) {
        assertThat(status).as("%s: left drained (and enabled) by its owner", id(i))
            .isEqualTo(BackendStatus.DRAINING);
      } else {
        assertThat(status.isAdminState()).as("%s: left enabled and undrained, but %s", id(i), status)
            .isFalse();
      }
    }
    assertNoLeaseOpen(lb, "after the race");
    assertEventChains(lb, initial, "after the race");

    for (int i = 0; i < BACKENDS; i++) {
      assertThat(probe.maxInFlight(id(i))).as("probes of %s in flight at once", id(i))
          .isLessThanOrEqualTo(1);
    }

    // Every signal back to normal: enabled, undrained, passing, past every ejection and ramp.
    failing.clear();
    asyncProbes.set(false);
    while (!waiting.isEmpty()) {
      completeOneProbe();
    }
    for (int i = 0; i < ADMIN_THREADS; i++) {
      lb.admin().enable(POOL, id(i));
      lb.admin().undrain(POOL, id(i));
    }
    clock.advance(OutlierDetection.DEFAULT_MAX_EJECTION_TIME.plus(SLOW_START).plusSeconds(10));

    for (BackendStats b : lb.stats().pool(POOL).backends()) {
      assertThat(b.status()).as("%s once every signal is back to normal (%s)", b.id(),
          b.statusReason()).isEqualTo(BackendStatus.HEALTHY);
    }
    assertThat(lb.stats().pool(POOL).panic()).as("panic mode over").isFalse();
    for (int i = 0; i < BACKENDS; i++) {
      assertThat(probe.inFlight(id(i))).as("probes of %s in flight at the end", id(i)).isZero();
      assertThat(probe.maxInFlight(id(i))).as("probes of %s in flight at once", id(i))
          .isLessThanOrEqualTo(1);
    }
    assertNoLeaseOpen(lb, "at the end");
    assertEventChains(lb, initial, "at the end");
  }

  /**
   * Selects a few times right after this thread took {@code own} out of service; returns how many
   * leases it checked and records any on {@code own}.
   */
  private static int neverOn(
      LoadBalancer lb, String own, String call, int op, Queue<String> violations) {
    int checked = 0;
    for (int i = 0; i < 3; i++) {
      if (lb.select(GET) instanceof Lease lease) {
        checked++;
        if (lease.backend().id().equals(own)) {
          violations.add("op " + op + ": a lease on " + own + " after its owner's " + call
              + " returned (status now " + lb.stats().pool(POOL).backend(own).status() + ")");
        }
        lease.complete(200);
      }
    }
    return checked;
  }

  private static void assertNoLeaseOpen(LoadBalancer lb, String when) {
    PoolStats pool = lb.stats().pool(POOL);
    assertThat(pool.inFlight()).as("%s: leases open in the pool", when).isZero();
    for (BackendStats b : pool.backends()) {
      assertThat(b.inFlight()).as("%s: leases open on %s", when, b.id()).isZero();
    }
  }

  /**
   * Each backend's status changes chain: the first starts from its initial state, each starts where
   * the one before ended, none is a non-change, and the last ends in the state the stats show. The
   * member list never changed (setBackends only changed weights), so no backend came or went.
   */
  private void assertEventChains(LoadBalancer lb, Map<String, BackendStatus> initial, String when) {
    List<HealthEvent> all = events.all();
    assertThat(all).as("%s: no backend added or removed", when)
        .noneMatch(e -> e instanceof HealthEvent.BackendAdded
            || e instanceof HealthEvent.BackendRemoved);
    PoolStats pool = lb.stats().pool(POOL);
    for (int i = 0; i < BACKENDS; i++) {
      String id = id(i);
      BackendStatus at = initial.get(id);
      int n = 0;
      for (HealthEvent.StatusChanged e : events.statusChanges(id)) {
        assertThat(e.pool()).isEqualTo(POOL);
        assertThat(e.from()).as("%s: %s's change #%d (%s) starts where the previous ended", when,
            id, n, e).isEqualTo(at);
        assertThat(e.to()).as("%s: %s's change #%d is a change", when, id, n).isNotEqualTo(e.from());
        at = e.to();
        n++;
      }
      assertThat(pool.backend(id).status()).as("%s: %s's last event matches the stats (%d events)",
          when, id, n).isEqualTo(at);
    }
  }
}
