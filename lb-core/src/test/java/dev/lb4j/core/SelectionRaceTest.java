package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Many threads select and release concurrently; afterwards every counter must add up and nothing
 * may be left in flight. Each thread keeps a small window of open leases and ends them in a seeded
 * random order with a random ending, so releases interleave with picks on every backend.
 */
class SelectionRaceTest {

  private static final int THREADS = 8;
  private static final int SELECTIONS_PER_THREAD = 100_000;
  private static final int WINDOW = 8;
  private static final String[] BACKENDS = {
    "http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://10.0.0.4:8080"
  };

  /** Requests with 64 distinct keys, built up front so the hot loop allocates only leases. */
  private static final RequestView[] REQUESTS = new RequestView[64];

  static {
    for (int i = 0; i < REQUESTS.length; i++) {
      REQUESTS[i] = RequestView.builder().path("/r/" + i).header("X-Key", "user-" + i).build();
    }
  }

  static Stream<Arguments> algorithms() {
    return Stream.of(
        Arguments.of("least_request", Algorithms.leastRequest()),
        Arguments.of("round_robin", Algorithms.roundRobin()),
        Arguments.of("maglev", Algorithms.maglev()));
  }

  private static LoadBalancer build(Algorithm algorithm) {
    return LoadBalancer.builder()
        .pool(
            "race",
            pool -> {
              for (String uri : BACKENDS) {
                pool.backend(uri);
              }
              pool.algorithm(algorithm);
              if (algorithm.usesHashKey()) {
                pool.hashKey(HashKey.header("X-Key"));
              }
            })
        .build();
  }

  /** Ends a lease one of four ways; returns whether it counts as completed (not cancelled). */
  private static boolean end(Lease lease, Random random) {
    return switch (random.nextInt(4)) {
      case 0 -> lease.complete(200);
      case 1 -> lease.fail(ErrorKind.RESET);
      case 2 -> lease.complete(Outcome.response(503, 1_000));
      default -> {
        lease.close();
        yield false;
      }
    };
  }

  /** Per-thread tallies. */
  private static final class Tally {
    long leases;
    long completed;
    long noBackend;
    final Set<Backend> seen = Collections.newSetFromMap(new IdentityHashMap<>());
  }

  /**
   * Selects {@code count} times keeping at most {@link #WINDOW} leases open, closing a random one
   * when the window is full; closes the rest at the end.
   */
  private static Tally run(Pool pool, int count, long seed) {
    Random random = new Random(seed);
    Tally tally = new Tally();
    List<Lease> window = new ArrayList<>(WINDOW);
    try {
      for (int i = 0; i < count; i++) {
        Selection selection = pool.select(REQUESTS[random.nextInt(REQUESTS.length)]);
        if (selection instanceof Lease lease) {
          tally.leases++;
          tally.seen.add(lease.backend());
          window.add(lease);
        } else {
          tally.noBackend++;
        }
        if (window.size() == WINDOW) {
          Lease victim = window.remove(random.nextInt(WINDOW));
          if (end(victim, random)) {
            tally.completed++;
          }
        }
      }
      while (!window.isEmpty()) {
        if (end(window.remove(random.nextInt(window.size())), random)) {
          tally.completed++;
        }
      }
    } finally {
      window.forEach(Lease::close);
    }
    return tally;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("algorithms")
  void countersAddUpAndNothingStaysInFlightAfterConcurrentSelections(
      String name, Algorithm algorithm) throws Exception {
    try (LoadBalancer lb = build(algorithm)) {
      Pool pool = lb.pool("race");
      ExecutorService executor = Executors.newFixedThreadPool(THREADS);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Tally>> futures = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          long seed = 1_000L + t;
          futures.add(
              executor.submit(
                  () -> {
                    start.await();
                    return run(pool, SELECTIONS_PER_THREAD, seed);
                  }));
        }
        start.countDown();
        long leases = 0;
        long completed = 0;
        for (Future<Tally> f : futures) {
          Tally tally = f.get(60, TimeUnit.SECONDS);
          assertThat(tally.noBackend).as("%s: selections without a backend", name).isZero();
          leases += tally.leases;
          completed += tally.completed;
        }

        PoolStats stats = lb.stats().pool("race");
        assertThat(stats.inFlight()).as("%s: pool in flight", name).isZero();
        assertThat(stats.noBackend()).as("%s: noBackend", name).isZero();
        assertThat(stats.algorithmErrors()).as("%s: algorithmErrors", name).isZero();
        long picks = 0;
        long completedStats = 0;
        for (BackendStats b : stats.backends()) {
          assertThat(b.inFlight()).as("%s: %s in flight", name, b.id()).isZero();
          assertThat(b.picks())
              .as("%s: %s picks == completed + cancelled", name, b.id())
              .isEqualTo(b.completed() + b.cancelled());
          assertThat(b.picks()).as("%s: %s was picked at all", name, b.id()).isPositive();
          picks += b.picks();
          completedStats += b.completed();
        }
        assertThat(leases).as("%s: leases", name).isEqualTo((long) THREADS * SELECTIONS_PER_THREAD);
        assertThat(picks).as("%s: picks", name).isEqualTo(leases);
        assertThat(completedStats).as("%s: completed", name).isEqualTo(completed);
      } finally {
        executor.shutdownNow();
      }
    }
  }

  static Stream<Arguments> weightedAlgorithms() {
    return Stream.of(
        Arguments.of("least_request", Algorithms.leastRequest()),
        Arguments.of("maglev", Algorithms.maglev(1021)));
  }

  /**
   * Selection races with a stream of admin changes: a backend added and removed again (with leases
   * still open on it), another drained and undrained, a third re-weighted. Never all drained, so
   * every selection must succeed.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("weightedAlgorithms")
  void adminChangesDuringSelectionLoseNothing(String name, Algorithm algorithm) throws Exception {
    int selectors = 4;
    int perSelector = 25_000;
    int maxAdminRounds = 500;
    try (LoadBalancer lb = build(algorithm)) {
      Pool pool = lb.pool("race");
      Admin admin = lb.admin();
      AtomicBoolean done = new AtomicBoolean();
      ExecutorService executor = Executors.newFixedThreadPool(selectors + 1);
      try {
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger rounds = new AtomicInteger();
        List<Future<Tally>> futures = new ArrayList<>();
        for (int t = 0; t < selectors; t++) {
          long seed = 2_000L + t;
          futures.add(
              executor.submit(
                  () -> {
                    start.await();
                    return run(pool, perSelector, seed);
                  }));
        }
        Future<?> adminLoop =
            executor.submit(
                () -> {
                  start.await();
                  Random random = new Random(7);
                  for (int i = 0; i < maxAdminRounds && !done.get(); i++) {
                    admin.addBackend(
                        "race", BackendSpec.builder("http://10.0.1.1:8080").id("extra").build());
                    admin.drain("race", "10.0.0.1:8080");
                    admin.setWeight("race", "10.0.0.2:8080", 1 + random.nextInt(10));
                    admin.undrain("race", "10.0.0.1:8080");
                    admin.removeBackend("race", "extra");
                    rounds.incrementAndGet();
                  }
                  return null;
                });
        start.countDown();
        long leases = 0;
        long noBackend = 0;
        Set<Backend> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
          for (Future<Tally> f : futures) {
            Tally tally = f.get(60, TimeUnit.SECONDS);
            leases += tally.leases;
            noBackend += tally.noBackend;
            seen.addAll(tally.seen);
          }
        } finally {
          done.set(true);
        }
        adminLoop.get(60, TimeUnit.SECONDS);

        assertThat(rounds.get()).as("%s: admin rounds ran during selection", name).isPositive();
        assertThat(noBackend).as("%s: selections without a backend", name).isZero();
        assertThat(leases).as("%s: leases", name).isEqualTo((long) selectors * perSelector);
        PoolStats stats = lb.stats().pool("race");
        assertThat(stats.inFlight()).as("%s: pool in flight", name).isZero();
        assertThat(stats.algorithmErrors()).as("%s: algorithmErrors", name).isZero();
        assertThat(stats.backends()).extracting(BackendStats::id).doesNotContain("extra");
        assertThat(stats.backend("10.0.0.1:8080").status()).isEqualTo(BackendStatus.HEALTHY);
        for (BackendStats b : stats.backends()) {
          assertThat(b.inFlight()).as("%s: %s in flight", name, b.id()).isZero();
          assertThat(b.picks())
              .as("%s: %s picks == completed + cancelled", name, b.id())
              .isEqualTo(b.completed() + b.cancelled());
        }
        for (Backend b : seen) {
          assertThat(b.inFlight()).as("%s: %s (possibly removed) in flight", name, b.id()).isZero();
        }
      } finally {
        done.set(true);
        executor.shutdownNow();
      }
    }
  }
}
