package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.testing.FakeBackend;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * Shared helpers for the hashing-algorithm tests: fake backends, backend sets and pick contexts
 * that drive an {@link Algorithm}'s picker with a chosen 64-bit hash (the way Envoy's tests hand a
 * hash to {@code chooseHost}), and one-liners around {@link LoadBalancer} keyed by the {@code
 * X-Key} header.
 */
final class HashingFixtures {

  static final String POOL = "p";
  static final String KEY_HEADER = "X-Key";

  private HashingFixtures() {}

  /** A backend for direct picker tests; only the id and the weight matter to hashing. */
  static Backend backend(String id) {
    return FakeBackend.of(id, 1);
  }

  static Backend backend(String id, int weight) {
    return FakeBackend.of(id, weight);
  }

  /** Backends {@code 127.0.0.1:<port>} for each port, weight 1: Envoy's test hosts. */
  static Backend[] loopback(int... ports) {
    return Arrays.stream(ports).mapToObj(p -> backend("127.0.0.1:" + p)).toArray(Backend[]::new);
  }

  /** An idle backend set (nothing in flight) over the given backends, in the given order. */
  static BackendSet set(Backend... backends) {
    List<Backend> list = List.of(backends);
    return new BackendSet() {
      @Override
      public List<Backend> backends() {
        return list;
      }

      @Override
      public long poolInFlight() {
        return 0;
      }

      @Override
      public long nanoTime() {
        return 0;
      }

      @Override
      public long latencyDecayNanos() {
        return 1;
      }
    };
  }

  /** A pick context carrying exactly {@code hash}, excluding backends by id. */
  static PickContext context(long hash, String... excludedIds) {
    Set<String> excluded = Set.of(excludedIds);
    RequestView request = RequestView.of("GET", "/");
    return new PickContext() {
      @Override
      public RequestView request() {
        return request;
      }

      @Override
      public boolean hasHash() {
        return true;
      }

      @Override
      public long hash() {
        return hash;
      }

      @Override
      public boolean isExcluded(Backend backend) {
        return excluded.contains(backend.id());
      }

      @Override
      public boolean hasExclusions() {
        return !excluded.isEmpty();
      }
    };
  }

  /** The id the picker returns for {@code hash}, or {@code null} when it returns none. */
  static @Nullable String pickId(Picker picker, long hash, String... excludedIds) {
    Backend b = picker.pick(context(hash, excludedIds));
    return b == null ? null : b.id();
  }

  /** The id the picker returns for {@code hash}; fails the test when it returns none. */
  static String owner(Picker picker, long hash, String... excludedIds) {
    String id = pickId(picker, hash, excludedIds);
    if (id == null) {
      throw new AssertionError(
          "picker returned no backend for hash " + Long.toUnsignedString(hash));
    }
    return id;
  }

  /** The port of an id {@code host:port}. */
  static int port(String id) {
    return Integer.parseInt(id.substring(id.lastIndexOf(':') + 1));
  }

  /** A one-pool load balancer whose key is the {@code X-Key} header. */
  static LoadBalancer hashingLb(Algorithm algorithm, Consumer<PoolBuilder> backends) {
    return LoadBalancer.builder()
        .pool(
            POOL,
            p -> {
              backends.accept(p);
              p.algorithm(algorithm).hashKey(HashKey.header(KEY_HEADER));
            })
        .build();
  }

  /** {@code count} backends {@code http://10.0.0.<i+1>:8080}, weight 1. */
  static Consumer<PoolBuilder> numbered(int count) {
    return p -> {
      for (int i = 1; i <= count; i++) {
        p.backend("http://10.0.0." + i + ":8080");
      }
    };
  }

  static RequestView keyed(String key) {
    return RequestView.builder().header(KEY_HEADER, key).build();
  }

  /** Selects once for {@code key}, closes the lease at once, and returns the backend id. */
  static String pickAndRelease(LoadBalancer lb, String key) {
    try (Lease lease = lb.select(keyed(key)).leaseOrThrow()) {
      return lease.backend().id();
    }
  }

  /** Like {@link #pickAndRelease(LoadBalancer, String)}, avoiding the given backends. */
  static String pickAndRelease(LoadBalancer lb, String key, Collection<? extends Backend> exclude) {
    try (Lease lease = lb.select(keyed(key), exclude).leaseOrThrow()) {
      return lease.backend().id();
    }
  }

  /** The backend id of every key {@code user-0 .. user-(n-1)}, leases closed at once. */
  static String[] placeAll(LoadBalancer lb, int n) {
    String[] placed = new String[n];
    for (int i = 0; i < n; i++) {
      placed[i] = pickAndRelease(lb, "user-" + i);
    }
    return placed;
  }

  /** How many entries of {@code ids} equal each id. */
  static Map<String, Long> histogram(String[] ids) {
    return Arrays.stream(ids).collect(Collectors.groupingBy(s -> s, Collectors.counting()));
  }
}
