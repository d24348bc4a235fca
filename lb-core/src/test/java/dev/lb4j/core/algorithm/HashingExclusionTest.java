package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.POOL;
import static dev.lb4j.core.algorithm.HashingFixtures.backend;
import static dev.lb4j.core.algorithm.HashingFixtures.hashingLb;
import static dev.lb4j.core.algorithm.HashingFixtures.keyed;
import static dev.lb4j.core.algorithm.HashingFixtures.numbered;
import static dev.lb4j.core.algorithm.HashingFixtures.pickAndRelease;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import dev.lb4j.core.internal.XxHash64;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Retries under the hashing algorithms: a request that excludes the backends it already tried goes
 * to a backend that is stable (the same key and the same excluded set give the same backend, in any
 * instance) and never excluded; with every backend excluded the answer is {@link
 * NoBackend.Reason#ALL_EXCLUDED}.
 */
class HashingExclusionTest {

  private static final int BACKENDS = 10;
  private static final int KEYS = 1000;

  static Stream<Arguments> hashingAlgorithms() {
    return Stream.of(
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash),
        Arguments.of("maglev", (Supplier<Algorithm>) Algorithms::maglev),
        Arguments.of("rendezvous", (Supplier<Algorithm>) Algorithms::rendezvous),
        Arguments.of("bounded_load", (Supplier<Algorithm>) Algorithms::boundedLoad));
  }

  /** The backend objects of {@code lb} with these ids, as a retrying adapter would hold them. */
  private static List<Backend> backendsOf(LoadBalancer lb, Set<String> ids) {
    List<Backend> out = new ArrayList<>();
    for (Backend b : lb.pool(POOL).backends()) {
      if (ids.contains(b.id())) {
        out.add(b);
      }
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void retryTargetIsStableAndNeverAnExcludedBackend(String name, Supplier<Algorithm> algorithm) {
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS));
        LoadBalancer other = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      for (int i = 0; i < KEYS; i++) {
        String key = "user-" + i;
        Set<String> tried = new HashSet<>();
        tried.add(pickAndRelease(lb, key));
        // Three attempts after the first, each excluding every backend tried so far.
        for (int attempt = 1; attempt <= 3; attempt++) {
          List<Backend> exclude = backendsOf(lb, tried);
          String retry = pickAndRelease(lb, key, exclude);
          assertThat(tried).as("%s attempt %d", key, attempt).doesNotContain(retry);
          assertThat(pickAndRelease(lb, key, exclude))
              .as("%s attempt %d again", key, attempt)
              .isEqualTo(retry);
          // Another instance agrees, even when handed the first instance's backend objects:
          // exclusion goes by id.
          assertThat(pickAndRelease(other, key, exclude))
              .as("%s attempt %d in another instance", key, attempt)
              .isEqualTo(retry);
          tried.add(retry);
        }
      }
      assertThat(lb.stats().pool(POOL).inFlight()).isZero();
      assertThat(lb.stats().pool(POOL).noBackend()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void excludingEveryBackendAnswersAllExcluded(String name, Supplier<Algorithm> algorithm) {
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      List<Backend> all = lb.pool(POOL).backends();
      for (int i = 0; i < 20; i++) {
        Selection selection = lb.select(keyed("user-" + i), all);
        assertThat(selection).as("key %d", i).isInstanceOf(NoBackend.class);
        assertThat(((NoBackend) selection).reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      }
      // A request without a key (random hash) is refused the same way.
      Selection keyless = lb.select(RequestView.of("GET", "/"), all);
      assertThat(keyless).isInstanceOf(NoBackend.class);
      assertThat(((NoBackend) keyless).reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      assertThat(lb.stats().pool(POOL).noBackend()).isEqualTo(21);
      assertThat(lb.stats().pool(POOL).algorithmErrors()).isZero();
      assertThat(lb.stats().pool(POOL).inFlight()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hashingAlgorithms")
  void allButOneExcludedLeavesThatOne(String name, Supplier<Algorithm> algorithm) {
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      List<Backend> all = lb.pool(POOL).backends();
      for (Backend survivor : all) {
        List<Backend> exclude = new ArrayList<>(all);
        exclude.remove(survivor);
        for (int i = 0; i < 20; i++) {
          try (Lease lease = lb.select(keyed("user-" + i), exclude).leaseOrThrow()) {
            assertThat(lease.backend().id()).isEqualTo(survivor.id());
          }
        }
      }
      assertThat(lb.stats().pool(POOL).algorithmErrors()).isZero();
    }
  }

  /**
   * Ring hash retries walk clockwise to the next point of a backend not yet tried, as Envoy's retry
   * host predicate does ({@code RingHashLoadBalancerTest.BasicWithRetryHostPredicate}: "Second
   * attempt chooses the next host in the ring"). Bounded load, idle, walks the same way.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("ringAlgorithms")
  void ringRetryGoesToTheNextBackendClockwise(String name, Supplier<Algorithm> algorithm) {
    Backend[] fakes = new Backend[BACKENDS];
    for (int i = 0; i < BACKENDS; i++) {
      fakes[i] = backend("10.0.0." + (i + 1) + ":8080");
    }
    Ring ring = Ring.envoy(fakes, Algorithms.DEFAULT_MIN_RING_SIZE, Algorithms.DEFAULT_MAX_RING_SIZE);
    try (LoadBalancer lb = hashingLb(algorithm.get(), numbered(BACKENDS))) {
      for (int i = 0; i < KEYS; i++) {
        String key = "user-" + i;
        int at = ring.indexOf(XxHash64.hash(key));
        String owner = fakes[ring.owners[at]].id();
        String expected = owner;
        for (int k = 1; expected.equals(owner); k++) {
          expected = fakes[ring.owners[(at + k) % ring.size()]].id();
        }
        assertThat(pickAndRelease(lb, key)).as(key).isEqualTo(owner);
        assertThat(pickAndRelease(lb, key, backendsOf(lb, Set.of(owner))))
            .as(key)
            .isEqualTo(expected);
      }
    }
  }

  static Stream<Arguments> ringAlgorithms() {
    return Stream.of(
        Arguments.of("ring_hash", (Supplier<Algorithm>) Algorithms::ringHash),
        Arguments.of("bounded_load", (Supplier<Algorithm>) Algorithms::boundedLoad));
  }

  /**
   * Maglev retries re-hash as Envoy's retry attempts do: attempt {@code a} looks at slot {@code (h
   * XOR -a) mod M}, the first owner that is not excluded wins.
   */
  @Test
  void maglevRetryReHashesAsEnvoyDoes() {
    Backend[] fakes = new Backend[BACKENDS];
    for (int i = 0; i < BACKENDS; i++) {
      fakes[i] = backend("10.0.0." + (i + 1) + ":8080");
    }
    int m = Algorithms.DEFAULT_MAGLEV_TABLE_SIZE;
    Backend[] table = Maglev.build(fakes, m);
    try (LoadBalancer lb = hashingLb(Algorithms.maglev(), numbered(BACKENDS))) {
      for (int i = 0; i < KEYS; i++) {
        String key = "user-" + i;
        int slot = (int) Long.remainderUnsigned(XxHash64.hash(key), m);
        String owner = table[slot].id();
        long hash = XxHash64.hash(key);
        String expected = owner;
        for (long a = 1; expected.equals(owner); a++) {
          expected = table[(int) Long.remainderUnsigned(hash ^ -a, m)].id();
        }
        assertThat(pickAndRelease(lb, key)).as(key).isEqualTo(owner);
        assertThat(pickAndRelease(lb, key, backendsOf(lb, Set.of(owner))))
            .as(key)
            .isEqualTo(expected);
      }
    }
  }

  /**
   * Rendezvous ranks every backend per key, so a retry that excludes the winner goes to the runner
   * up: exactly where the key would land if the winner were not in the pool at all.
   */
  @Test
  void rendezvousRetryGoesWhereTheKeyWouldLandWithoutTheExcludedBackend() {
    try (LoadBalancer lb = hashingLb(Algorithms.rendezvous(), numbered(BACKENDS))) {
      for (int removed = 1; removed <= 3; removed++) {
        String id = "10.0.0." + removed + ":8080";
        try (LoadBalancer without = hashingLb(Algorithms.rendezvous(), numbered(BACKENDS))) {
          without.admin().removeBackend(POOL, id);
          for (int i = 0; i < KEYS; i++) {
            String key = "user-" + i;
            assertThat(pickAndRelease(lb, key, backendsOf(lb, Set.of(id))))
                .as("%s without %s", key, id)
                .isEqualTo(pickAndRelease(without, key));
          }
        }
      }
    }
  }
}
