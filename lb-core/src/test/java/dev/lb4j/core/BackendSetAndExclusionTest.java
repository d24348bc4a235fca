package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** What algorithms are handed (the backend set and its live values) and retry exclusions. */
class BackendSetAndExclusionTest {

  private static final RequestView REQUEST = RequestView.of("GET", "/");

  /** Records the last backend set it built a picker for; picks the first backend. */
  private static final class Capturing implements Algorithm {
    final AtomicReference<@Nullable BackendSet> last = new AtomicReference<>();

    @Override
    public String name() {
      return "capturing";
    }

    @Override
    public boolean usesWeights() {
      return true;
    }

    @Override
    public Picker newPicker(BackendSet backends) {
      last.set(backends);
      Backend first = backends.backends().get(0);
      return context -> first;
    }

    BackendSet set() {
      return Objects.requireNonNull(last.get(), "no picker built yet");
    }
  }

  @Test
  void backendSetHoldsTheAvailableBackendsInConfigurationOrderWithLiveValues() {
    AtomicLong now = new AtomicLong(5_000);
    Capturing capturing = new Capturing();
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                p ->
                    p.backend("http://c")
                        .backend(
                            BackendSpec.builder("http://a:8080")
                                .weight(3)
                                .zone("z1")
                                .metadata("rack", "r1")
                                .build())
                        .backend("http://b")
                        .algorithm(capturing))
            .ticker(now::get)
            .latencyDecay(Duration.ofMillis(250))
            .build()) {
      BackendSet set = capturing.set();
      assertThat(set.backends()).extracting(Backend::id).containsExactly("c:80", "a:8080", "b:80");
      Backend a = set.backends().get(1);
      assertThat(a.uri()).hasToString("http://a:8080");
      assertThat(a.weight()).isEqualTo(3);
      assertThat(a.zone()).isEqualTo("z1");
      assertThat(a.metadata()).isEqualTo(Map.of("rack", "r1"));
      assertThat(set.latencyDecayNanos()).isEqualTo(250_000_000L);
      assertThat(set.nanoTime()).isEqualTo(5_000);
      now.set(9_000);
      assertThat(set.nanoTime()).as("read live from the ticker").isEqualTo(9_000);
      assertThatThrownBy(() -> set.backends().clear())
          .isInstanceOf(UnsupportedOperationException.class);

      try (Lease onC = lb.select(REQUEST).leaseOrThrow()) {
        lb.admin().drain("api", "c:80");
        BackendSet drained = capturing.set();
        assertThat(drained.backends()).extracting(Backend::id).containsExactly("a:8080", "b:80");
        assertThat(drained.poolInFlight())
            .as("counts the lease on the drained backend, which is not in the set")
            .isEqualTo(1);
        assertThat(onC.backend().id()).isEqualTo("c:80");
      }
      assertThat(capturing.set().poolInFlight()).isZero();
    }
  }

  @Test
  void latencyStampIsTheTickerReadingOfTheLastCompletion() {
    AtomicLong now = new AtomicLong(100);
    try (LoadBalancer lb =
        LoadBalancer.builder().pool("api", p -> p.backend("http://a")).ticker(now::get).build()) {
      Backend a = lb.pool("api").backends().get(0);
      assertThat(a.latencyEwmaNanos()).isZero();
      try (Lease lease = lb.select(REQUEST).leaseOrThrow()) {
        now.set(600);
        lease.complete(200);
      }

      assertThat(a.latencyEwmaNanos()).isEqualTo(500);
      assertThat(a.latencyStampNanos()).isEqualTo(600);
    }
  }

  private static LoadBalancer roundRobin() {
    return LoadBalancer.builder()
        .pool(
            "api",
            p ->
                p.backend("http://a")
                    .backend("http://b")
                    .backend("http://c")
                    .algorithm(Algorithms.roundRobin()))
        .build();
  }

  private static List<String> retryIds(LoadBalancer lb, Collection<? extends Backend> exclude) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      try (Lease lease = lb.select(REQUEST, exclude).leaseOrThrow()) {
        ids.add(lease.backend().id());
      }
    }
    return ids;
  }

  @Test
  void retryAvoidsExcludedBackendsWhateverTheCollectionType() {
    try (LoadBalancer lb = roundRobin()) {
      List<Backend> backends = lb.pool("api").backends();
      Backend a = backends.get(0);
      Backend b = backends.get(1);

      assertThat(retryIds(lb, List.of(a, b))).containsOnly("c:80");
      assertThat(retryIds(lb, new ArrayDeque<>(List.of(a, b)))).containsOnly("c:80");
      Set<Backend> set = new HashSet<>(List.of(a, b));
      assertThat(retryIds(lb, set)).containsOnly("c:80");
      assertThat(retryIds(lb, List.of())).containsOnly("a:80", "b:80", "c:80");
      assertThat(lb.stats().pool("api").algorithmErrors()).isZero();
    }
  }

  @Test
  void retryComparesBackendsByIdSoViewsFromAnotherBuildWork() {
    try (LoadBalancer lb = roundRobin();
        LoadBalancer other = roundRobin()) {
      Backend foreignA = other.pool("api").backends().get(0);

      assertThat(retryIds(lb, List.of(foreignA))).containsOnly("b:80", "c:80");
    }
  }

  @Test
  void retryAfterTheExcludedBackendWasRemovedStillWorks() {
    try (LoadBalancer lb = roundRobin()) {
      Backend a = lb.pool("api").backends().get(0);
      lb.admin().removeBackend("api", "a:80");

      assertThat(retryIds(lb, List.of(a))).containsOnly("b:80", "c:80");
    }
  }

  @Test
  void nullRequestIsRejectedByName() {
    try (LoadBalancer lb = roundRobin()) {
      assertThatThrownBy(() -> lb.select(nullRequest()))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("request");
    }
  }

  @SuppressWarnings("NullAway") // deliberately breaks the contract
  private static RequestView nullRequest() {
    return null;
  }
}
