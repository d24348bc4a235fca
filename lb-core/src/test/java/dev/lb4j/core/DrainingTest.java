package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Draining and removing backends while leases are open on them. */
class DrainingTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");
  private static final String A = "a:80";
  private static final String B = "b:80";
  private static final String C = "c:80";

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final LoadBalancer lb =
      engine.pool(
          "api",
          pool ->
              pool.backend("http://a")
                  .backend("http://b")
                  .backend("http://c")
                  .algorithm(Algorithms.roundRobin()));
  private final Pool pool = lb.pool("api");
  private final Admin admin = lb.admin();

  /** Opens leases until one is on {@code id}; round robin reaches it within one cycle. */
  private Lease leaseOn(String id, List<Lease> others) {
    for (int i = 0; i < 3; i++) {
      Lease lease = pool.select(REQUEST).leaseOrThrow();
      if (lease.backend().id().equals(id)) {
        return lease;
      }
      others.add(lease);
    }
    throw new AssertionError("round robin did not reach " + id + " in one cycle");
  }

  /** Selects {@code count} times, closing each lease at once, and returns the ids picked. */
  private Set<String> pickedIds(int count) {
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < count; i++) {
      try (Lease lease = pool.select(REQUEST).leaseOrThrow()) {
        ids.add(lease.backend().id());
      }
    }
    return ids;
  }

  private BackendStats stats(String id) {
    return lb.stats().pool("api").backend(id);
  }

  @Test
  void drainedBackendGetsNoNewPicksWhileItsOpenLeasesCompleteNormally() {
    List<Lease> others = new ArrayList<>();
    Lease onB = leaseOn(B, others);
    try {
      admin.drain("api", B);

      assertThat(stats(B).status()).isEqualTo(BackendStatus.DRAINING);
      assertThat(stats(B).inFlight()).isEqualTo(1);
      long picksBefore = stats(B).picks();
      assertThat(pickedIds(300)).containsExactlyInAnyOrder(A, C);
      assertThat(stats(B).picks()).isEqualTo(picksBefore);
      assertThat(pool.backends()).extracting(Backend::id).containsExactly(A, B, C);

      assertThat(onB.isOpen()).isTrue();
      assertThat(onB.complete(503)).isTrue();
      BackendStats b = stats(B);
      assertThat(b.inFlight()).isZero();
      assertThat(b.completed()).isEqualTo(1);
      assertThat(b.failures()).isEqualTo(1);
      assertThat(b.status()).isEqualTo(BackendStatus.DRAINING);
    } finally {
      onB.close();
      others.forEach(Lease::close);
    }
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void undrainRestoresPicks() {
    admin.drain("api", A);
    assertThat(pickedIds(30)).doesNotContain(A);

    admin.undrain("api", A);

    assertThat(stats(A).status()).isEqualTo(BackendStatus.HEALTHY);
    assertThat(pickedIds(3)).as("one round-robin cycle").containsExactlyInAnyOrder(A, B, C);
  }

  @Test
  void drainAndUndrainAreIdempotent() {
    admin.drain("api", A);
    admin.drain("api", A);
    assertThat(stats(A).status()).isEqualTo(BackendStatus.DRAINING);

    admin.undrain("api", A);
    admin.undrain("api", A);
    admin.undrain("api", B);
    assertThat(lb.stats().pool("api").backends())
        .extracting(BackendStats::status)
        .containsOnly(BackendStatus.HEALTHY);
  }

  @Test
  void drainingEveryBackendGivesNoneAvailableAndCountsIt() {
    admin.drain("api", A);
    admin.drain("api", B);
    admin.drain("api", C);

    Selection selection = pool.select(REQUEST);

    assertThat(selection).isInstanceOf(NoBackend.class);
    NoBackend none = (NoBackend) selection;
    assertThat(none.reason()).isEqualTo(NoBackend.Reason.NONE_AVAILABLE);
    assertThat(none.pool()).isEqualTo("api");
    assertThat(none.message()).contains("'api'").contains("draining");
    assertThat(lb.stats().pool("api").noBackend()).isEqualTo(1);

    admin.undrain("api", C);
    assertThat(pickedIds(5)).containsExactly(C);
  }

  @Test
  void removedBackendsOpenLeasesStillCompleteAndPoolInFlightReturnsToZero() {
    List<Lease> others = new ArrayList<>();
    Lease onB = leaseOn(B, others);
    try {
      Backend b = onB.backend();
      admin.removeBackend("api", B);

      assertThat(pool.backends()).extracting(Backend::id).containsExactly(A, C);
      assertThat(lb.stats().pool("api").backends())
          .extracting(BackendStats::id)
          .containsExactly(A, C);
      assertThat(pickedIds(30)).containsExactlyInAnyOrder(A, C);
      assertThat(lb.stats().pool("api").inFlight())
          .as("the removed backend's lease still counts in the pool")
          .isEqualTo(1L + others.size());

      assertThat(onB.complete(200)).isTrue();
      assertThat(b.inFlight()).isZero();
      assertThat(onB.backend()).isSameAs(b);
    } finally {
      onB.close();
      others.forEach(Lease::close);
    }
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void removingEveryBackendGivesNoBackendsAndAddingOneBackRestoresSelection() {
    List<Lease> open = new ArrayList<>();
    try {
      open.add(pool.select(REQUEST).leaseOrThrow());
      admin.removeBackend("api", A);
      admin.removeBackend("api", B);
      admin.removeBackend("api", C);

      Selection selection = pool.select(REQUEST);
      assertThat(selection).isInstanceOf(NoBackend.class);
      NoBackend none = (NoBackend) selection;
      assertThat(none.reason()).isEqualTo(NoBackend.Reason.NO_BACKENDS);
      assertThat(none.message()).isEqualTo("pool 'api' has no backends");
      assertThat(pool.backends()).isEmpty();
      assertThat(lb.stats().pool("api").backends()).isEmpty();

      open.forEach(Lease::close);
      assertThat(lb.stats().pool("api").inFlight()).isZero();

      admin.addBackend("api", BackendSpec.of("http://d"));
      try (Lease lease = pool.select(REQUEST).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("d:80");
      }
    } finally {
      open.forEach(Lease::close);
    }
  }

  @Test
  void reAddedBackendStartsWithFreshCounters() {
    pickedIds(9);
    assertThat(stats(A).picks()).isEqualTo(3);

    admin.removeBackend("api", A);
    admin.addBackend("api", BackendSpec.of("http://a"));

    assertThat(stats(A).picks()).isZero();
    assertThat(pool.backends()).extracting(Backend::id).containsExactly(B, C, A);
  }

  @Test
  void drainedBackendOfAHashingPoolGetsNoKeysAndGetsThemBackWhenUndrained() {
    try (LoadBalancer hashing =
        LoadBalancer.builder()
            .pool(
                "h",
                p ->
                    p.backend("http://a")
                        .backend("http://b")
                        .backend("http://c")
                        .algorithm(Algorithms.maglev())
                        .hashKey(HashKey.header("X-User")))
            .build()) {
      Pool h = hashing.pool("h");
      List<String> owners = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        try (Lease lease =
            h.select(RequestView.builder().header("X-User", "u" + i).build()).leaseOrThrow()) {
          owners.add(lease.backend().id());
        }
      }
      assertThat(owners).contains(A);

      hashing.admin().drain("h", A);
      for (int i = 0; i < 200; i++) {
        try (Lease lease =
            h.select(RequestView.builder().header("X-User", "u" + i).build()).leaseOrThrow()) {
          assertThat(lease.backend().id()).as("key u%d", i).isNotEqualTo(A);
        }
      }

      hashing.admin().undrain("h", A);
      for (int i = 0; i < 200; i++) {
        try (Lease lease =
            h.select(RequestView.builder().header("X-User", "u" + i).build()).leaseOrThrow()) {
          assertThat(lease.backend().id()).as("key u%d goes home", i).isEqualTo(owners.get(i));
        }
      }
    }
  }
}
