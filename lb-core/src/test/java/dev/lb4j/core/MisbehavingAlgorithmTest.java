package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.internal.XxHash64;
import dev.lb4j.core.testing.FakeBackend;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * User algorithms and key sources that break their contracts: the engine contains the damage,
 * counts it, and never throws from selection or leaves a pool half-changed.
 */
class MisbehavingAlgorithmTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");

  /** A user algorithm named {@code name} whose pickers {@code newPicker} makes. */
  private static Algorithm algorithm(String name, Function<BackendSet, Picker> newPicker) {
    return new Algorithm() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Picker newPicker(BackendSet backends) {
        return newPicker.apply(backends);
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  private static LoadBalancer threeBackends(Algorithm algorithm) {
    return LoadBalancer.builder()
        .pool(
            "api",
            p -> p.backend("http://a").backend("http://b").backend("http://c").algorithm(algorithm))
        .build();
  }

  private static NoBackend noBackend(Selection selection) {
    assertThat(selection).isInstanceOf(NoBackend.class);
    return (NoBackend) selection;
  }

  private static void assertNothingInFlightOrPicked(LoadBalancer lb) {
    PoolStats stats = lb.stats().pool("api");
    assertThat(stats.inFlight()).isZero();
    for (BackendStats b : stats.backends()) {
      assertThat(b.picks()).as(b.id()).isZero();
      assertThat(b.inFlight()).as(b.id()).isZero();
    }
  }

  // ---------------------------------------------------------------- picks

  @Test
  void pickerThatThrowsGivesAlgorithmFailedAndIsCounted() {
    Algorithm broken =
        algorithm(
            "broken",
            set ->
                context -> {
                  throw new IllegalStateException("boom");
                });
    try (LoadBalancer lb = threeBackends(broken)) {
      for (int i = 0; i < 5; i++) {
        NoBackend none = noBackend(lb.select(REQUEST));
        assertThat(none.reason())
            .as("selection %d", i)
            .isEqualTo(NoBackend.Reason.ALGORITHM_FAILED);
        assertThat(none.message()).isEqualTo("pool 'api': algorithm 'broken' failed; see the logs");
      }

      PoolStats stats = lb.stats().pool("api");
      assertThat(stats.algorithmErrors()).isEqualTo(5);
      assertThat(stats.noBackend()).isEqualTo(5);
      assertNothingInFlightOrPicked(lb);
    }
  }

  /** Lets a checked exception escape a lambda, as Kotlin or Lombok's {@code @SneakyThrows} can. */
  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable e) throws E {
    throw (E) e;
  }

  @Test
  void pickerThatThrowsACheckedExceptionGivesAlgorithmFailed() {
    Algorithm sneaky =
        algorithm(
            "sneaky",
            set ->
                context -> {
                  sneakyThrow(new IOException("disk on fire"));
                  return null;
                });
    try (LoadBalancer lb = threeBackends(sneaky)) {
      assertThatCode(() -> lb.select(REQUEST)).doesNotThrowAnyException();
      assertThat(noBackend(lb.select(REQUEST)).reason())
          .isEqualTo(NoBackend.Reason.ALGORITHM_FAILED);
      assertThat(lb.stats().pool("api").algorithmErrors()).isEqualTo(2);
    }
  }

  @Test
  void pickerReturningABackendObjectItWasNotGivenGivesAlgorithmFailed() {
    Backend impostor = foreignBackend("a:80");
    try (LoadBalancer lb = threeBackends(algorithm("impostor", set -> context -> impostor))) {
      NoBackend none = noBackend(lb.select(REQUEST));

      assertThat(none.reason()).isEqualTo(NoBackend.Reason.ALGORITHM_FAILED);
      assertThat(lb.stats().pool("api").algorithmErrors()).isEqualTo(1);
      assertThat(lb.stats().pool("api").noBackend()).isEqualTo(1);
      assertNothingInFlightOrPicked(lb);
    }
  }

  @Test
  void pickerReturningABackendOfAnotherPoolGivesAlgorithmFailed() {
    AtomicReference<@Nullable Backend> firstSeen = new AtomicReference<>();
    Algorithm leaky =
        algorithm(
            "leaky",
            set -> {
              firstSeen.compareAndSet(null, set.backends().get(0));
              Backend remembered = firstSeen.get();
              return context -> remembered;
            });
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("first", p -> p.backend("http://a").algorithm(leaky))
            .pool("second", p -> p.backend("http://b").algorithm(leaky))
            .defaultPool("first")
            .build()) {
      try (Lease lease = lb.pool("first").select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("a:80");
      }

      NoBackend none = noBackend(lb.pool("second").select(REQUEST));

      assertThat(none.reason()).isEqualTo(NoBackend.Reason.ALGORITHM_FAILED);
      assertThat(none.pool()).isEqualTo("second");
      assertThat(lb.stats().pool("second").algorithmErrors()).isEqualTo(1);
      assertThat(lb.stats().pool("first").backend("a:80").picks()).isEqualTo(1);
      assertThat(lb.stats().pool("first").inFlight()).isZero();
    }
  }

  /** Remembers the first backend it was ever given and always returns it: a stale-snapshot bug. */
  private static Algorithm stale() {
    AtomicReference<@Nullable Backend> firstSeen = new AtomicReference<>();
    return algorithm(
        "stale",
        set -> {
          firstSeen.compareAndSet(null, set.backends().get(0));
          Backend remembered = firstSeen.get();
          return context -> remembered;
        });
  }

  @Test
  void pickerReturningADrainedOrRemovedBackendOfTheSamePoolGivesAlgorithmFailed() {
    try (LoadBalancer lb = threeBackends(stale())) {
      lb.admin().drain("api", "a:80");

      Selection drained = lb.select(REQUEST);
      if (drained instanceof Lease lease) {
        lease.close();
      }
      assertThat(drained).isInstanceOf(NoBackend.class);
      assertThat(lb.stats().pool("api").backend("a:80").picks()).isZero();

      lb.admin().removeBackend("api", "a:80");
      Selection removed = lb.select(REQUEST);
      if (removed instanceof Lease lease) {
        lease.close();
      }
      assertThat(removed).isInstanceOf(NoBackend.class);
      assertThat(lb.stats().pool("api").algorithmErrors()).isEqualTo(2);
    }
  }

  @Test
  void pickerReturningAnExcludedBackendFallsBackToAnotherAndIsCounted() {
    Algorithm stubborn =
        algorithm("stubborn", set -> context -> set.backends().get(0)); // ignores exclusions
    try (LoadBalancer lb = threeBackends(stubborn)) {
      List<Backend> tried = List.of(foreignBackend("a:80")); // compared by id
      for (int i = 0; i < 20; i++) {
        try (Lease lease = lb.select(REQUEST, tried).leaseOrThrow()) {
          assertThat(lease.backend().id()).as("retry %d", i).isIn("b:80", "c:80");
          lease.complete(200);
        }
      }

      PoolStats stats = lb.stats().pool("api");
      assertThat(stats.algorithmErrors()).isEqualTo(20);
      assertThat(stats.noBackend()).isZero();
      assertThat(stats.backend("a:80").picks()).isZero();
      assertThat(stats.backend("b:80").picks() + stats.backend("c:80").picks()).isEqualTo(20);
      assertThat(stats.inFlight()).isZero();
    }
  }

  @Test
  void excludingEveryBackendGivesAllExcluded() {
    try (LoadBalancer lb = threeBackends(Algorithms.roundRobin())) {
      List<Backend> all = lb.pool("api").backends();

      NoBackend none = noBackend(lb.select(REQUEST, all));

      assertThat(none.reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      assertThat(none.message()).contains("'api'").contains("excluded");
      assertThat(lb.stats().pool("api").noBackend()).isEqualTo(1);
      assertThat(lb.stats().pool("api").algorithmErrors()).isZero();
    }
  }

  @Test
  void pickerReturningAnExcludedBackendWhenAllAreExcludedGivesAllExcluded() {
    Algorithm stubborn = algorithm("stubborn", set -> context -> set.backends().get(0));
    try (LoadBalancer lb = threeBackends(stubborn)) {
      NoBackend none = noBackend(lb.select(REQUEST, lb.pool("api").backends()));

      assertThat(none.reason()).isEqualTo(NoBackend.Reason.ALL_EXCLUDED);
      assertNothingInFlightOrPicked(lb);
    }
  }

  @Test
  void pickerReturningAnExcludedBackendIsCountedEvenWhenAllAreExcluded() {
    Algorithm stubborn = algorithm("stubborn", set -> context -> set.backends().get(0));
    try (LoadBalancer lb = threeBackends(stubborn)) {
      noBackend(lb.select(REQUEST, lb.pool("api").backends()));

      assertThat(lb.stats().pool("api").algorithmErrors()).isEqualTo(1);
    }
  }

  @Test
  void pickerReturningNullWithoutExclusionsGivesNoneAvailable() {
    try (LoadBalancer lb = threeBackends(algorithm("picky", set -> context -> null))) {
      NoBackend none = noBackend(lb.select(REQUEST));

      assertThat(none.reason()).isEqualTo(NoBackend.Reason.NONE_AVAILABLE);
      assertThat(none.message())
          .isEqualTo("pool 'api': algorithm 'picky' found no acceptable backend");
      assertThat(lb.stats().pool("api").noBackend()).isEqualTo(1);
      assertThat(lb.stats().pool("api").algorithmErrors()).isZero();
    }
  }

  // ---------------------------------------------------------------- newPicker

  /** Builds pickers for at most {@code max} backends and throws for more. */
  private static Algorithm atMost(int max) {
    return algorithm(
        "at_most_" + max,
        set -> {
          if (set.backends().size() > max) {
            throw new IllegalStateException("too many backends: " + set.backends().size());
          }
          Backend first = set.backends().get(0);
          return context -> first;
        });
  }

  @Test
  void newPickerThrowingDuringAdminAddGivesIllegalStateAndLeavesThePoolUnchanged() {
    try (LoadBalancer lb = threeBackends(atMost(3))) {
      List<Backend> before = lb.pool("api").backends();

      assertThatThrownBy(() -> lb.admin().addBackend("api", BackendSpec.of("http://d")))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("pool 'api': algorithm 'at_most_3' failed to build a picker: ")
          .hasMessageContaining("too many backends: 4")
          .hasCauseInstanceOf(IllegalStateException.class);

      assertThat(lb.pool("api").backends()).isEqualTo(before);
      assertThat(lb.stats().pool("api").backends())
          .extracting(BackendStats::id)
          .containsExactly("a:80", "b:80", "c:80");
      try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).as("the old picker still serves").isEqualTo("a:80");
      }
      assertThatThrownBy(() -> lb.admin().addBackend("api", BackendSpec.of("http://d")))
          .as("the failed add left no trace: the id is still free")
          .isInstanceOf(IllegalStateException.class)
          .hasMessageNotContaining("unique");
    }
  }

  @Test
  void newPickerThrowingDuringDrainOrWeightChangeRollsBack() {
    // Builds only for exactly three backends with equal weights, so any change fails.
    Algorithm rigid =
        new Algorithm() {
          @Override
          public String name() {
            return "rigid";
          }

          @Override
          public boolean usesWeights() {
            return true;
          }

          @Override
          public Picker newPicker(BackendSet set) {
            List<Backend> backends = set.backends();
            if (backends.size() != 3 || backends.stream().anyMatch(b -> b.weight() != 1)) {
              throw new IllegalStateException("rigid");
            }
            return context -> backends.get(0);
          }
        };
    try (LoadBalancer lb = threeBackends(rigid)) {
      assertThatThrownBy(() -> lb.admin().drain("api", "b:80"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'rigid' failed to build a picker");
      assertThat(lb.stats().pool("api").backend("b:80").status()).isEqualTo(BackendStatus.HEALTHY);

      assertThatThrownBy(() -> lb.admin().setWeight("api", "b:80", 7))
          .isInstanceOf(IllegalStateException.class);
      assertThat(lb.stats().pool("api").backend("b:80").weight()).isEqualTo(1);
      assertThat(lb.pool("api").backends().get(1).weight()).isEqualTo(1);

      assertThatThrownBy(() -> lb.admin().removeBackend("api", "c:80"))
          .isInstanceOf(IllegalStateException.class);
      assertThat(lb.pool("api").backends()).hasSize(3);

      try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("a:80");
      }
    }
  }

  @Test
  void newPickerReturningNullIsRejectedNamingTheAlgorithm() {
    assertThatThrownBy(() -> threeBackends(algorithm("lazy", set -> nullPicker())))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("pool 'api': algorithm 'lazy' built no picker (null)");
  }

  @SuppressWarnings("NullAway") // deliberately breaks the contract
  private static Picker nullPicker() {
    return null;
  }

  @Test
  void newPickerThrowingAtBuildTimeFailsTheBuildNamingPoolAndAlgorithm() {
    assertThatThrownBy(() -> threeBackends(atMost(2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("pool 'api': algorithm 'at_most_2' failed to build a picker: ")
        .hasMessageContaining("too many backends: 3");
  }

  @Test
  void maglevTableSmallerThanThePoolIsRefusedAtBuildAndOnAdd() {
    assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool(
                        "api",
                        p -> {
                          for (int i = 0; i < 8; i++) {
                            p.backend("http://b" + i);
                          }
                          p.algorithm(Algorithms.maglev(7)).hashKey(HashKey.path());
                        })
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pools.api.algorithm: maglev tableSize: 7 is smaller than the 8 backends");

    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p -> {
                  for (int i = 0; i < 7; i++) {
                    p.backend("http://b" + i);
                  }
                  p.algorithm(Algorithms.maglev(7)).hashKey(HashKey.path());
                })
            .build()) {
      assertThatThrownBy(() -> lb.admin().addBackend("api", BackendSpec.of("http://b7")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("pools.api.algorithm: maglev tableSize: 7 is smaller than the 8 backends");
      assertThat(lb.pool("api").backends()).hasSize(7);
      try (Lease lease = lb.select(RequestView.of("GET", "/k")).leaseOrThrow()) {
        assertThat(lease.backend().id()).startsWith("b");
      }
    }
  }

  // ---------------------------------------------------------------- hash keys and the pick context

  /** A hashing algorithm that records the context of the last pick and picks the first backend. */
  private static final class Recording implements Algorithm {
    final List<Boolean> hasHash = new ArrayList<>();
    final List<Long> hashes = new ArrayList<>();
    final List<RequestView> requests = new ArrayList<>();
    private final boolean hashes0;

    Recording(boolean hashes) {
      this.hashes0 = hashes;
    }

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public boolean usesHashKey() {
      return hashes0;
    }

    @Override
    public Picker newPicker(BackendSet set) {
      Backend first = set.backends().get(0);
      return context -> record(context, first);
    }

    private Backend record(PickContext context, Backend first) {
      hasHash.add(context.hasHash());
      hashes.add(context.hash());
      requests.add(context.request());
      return first;
    }
  }

  private static LoadBalancer hashing(Algorithm algorithm, HashKey key) {
    return LoadBalancer.builder()
        .pool("api", p -> p.backend("http://a").algorithm(algorithm).hashKey(key))
        .build();
  }

  @Test
  void pickerSeesTheRequestAndTheXxHash64OfItsKey() {
    Recording recording = new Recording(true);
    try (LoadBalancer lb = hashing(recording, HashKey.header("X-User"))) {
      RequestView request = RequestView.builder().header("X-User", "alice").build();
      lb.select(request).leaseOrThrow().close();
      lb.select(request).leaseOrThrow().close();

      assertThat(recording.requests).containsExactly(request, request);
      assertThat(recording.hasHash).containsExactly(true, true);
      assertThat(recording.hashes).containsExactly(XxHash64.hash("alice"), XxHash64.hash("alice"));
      assertThat(lb.stats().pool("api").hashKeyMisses()).isZero();
    }
  }

  @Test
  void requestWithoutKeyIsBalancedAndCountedAsAHashKeyMiss() {
    Recording recording = new Recording(true);
    try (LoadBalancer lb = hashing(recording, HashKey.header("X-User"))) {
      try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("a:80");
      }

      assertThat(lb.stats().pool("api").hashKeyMisses()).isEqualTo(1);
      assertThat(lb.stats().pool("api").algorithmErrors()).isZero();
    }
  }

  @Test
  void pickerSeesNoHashWhenTheRequestHasNoKey() {
    Recording recording = new Recording(true);
    try (LoadBalancer lb = hashing(recording, HashKey.header("X-User"))) {
      lb.select(REQUEST).leaseOrThrow().close();

      assertThat(recording.hasHash).containsExactly(false);
    }
  }

  @Test
  void nonHashingPoolGivesPickersNoHash() {
    Recording recording = new Recording(false);
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a").algorithm(recording))
            .build()) {
      lb.select(RequestView.builder().header("X-User", "alice").build()).leaseOrThrow().close();

      assertThat(recording.hasHash).containsExactly(false);
      assertThat(lb.stats().pool("api").hashKeyMisses()).isZero();
    }
  }

  @Test
  void hashKeySourceThatThrowsIsCountedAndSelectionStillSucceeds() {
    HashKey broken =
        HashKey.of(
            "broken key",
            request -> {
              throw new IllegalStateException("key boom");
            });
    try (LoadBalancer lb = hashing(Algorithms.maglev(), broken)) {
      for (int i = 0; i < 3; i++) {
        try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
          assertThat(lease.backend().id()).isEqualTo("a:80");
        }
      }

      PoolStats stats = lb.stats().pool("api");
      assertThat(stats.algorithmErrors()).isEqualTo(3);
      assertThat(stats.hashKeyMisses()).isEqualTo(3);
      assertThat(stats.noBackend()).isZero();
      assertThat(stats.inFlight()).isZero();
    }
  }

  /** A backend the engine did not make, with a chosen id. */
  private static Backend foreignBackend(String id) {
    return new FakeBackend(id, 1, URI.create("http://" + id));
  }
}
