package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.internal.XxHash64;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Hash-key sources: where each built-in finds the key, that the engine hashes the key text with
 * XXH64 (seed 0, UTF-8), and what happens when a request has no key or the key function throws.
 */
class HashKeyTest {

  /** An algorithm that hashes and records what the engine handed its picker. */
  private static final class Recording implements Algorithm {
    final AtomicBoolean hasHash = new AtomicBoolean();
    final AtomicLong hash = new AtomicLong();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public boolean usesHashKey() {
      return true;
    }

    @Override
    public Picker newPicker(BackendSet set) {
      return context -> {
        hasHash.set(context.hasHash());
        hash.set(context.hash());
        return set.backends().get(0);
      };
    }
  }

  /** What one selection showed: the picker's view of the hash, and the pool's miss counter. */
  private record Seen(boolean hasHash, long hash, long misses) {}

  /** Selects once through a recording pool whose key source is {@code key}. */
  private static Seen record(HashKey key, RequestView request) {
    Recording algorithm = new Recording();
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("p", p -> p.backend("http://10.0.0.1:8080").algorithm(algorithm).hashKey(key))
            .build()) {
      try (Lease lease = lb.select(request).leaseOrThrow()) {
        assertThat(lease.backend().id()).isEqualTo("10.0.0.1:8080");
      }
      return new Seen(
          algorithm.hasHash.get(), algorithm.hash.get(), lb.stats().pool("p").hashKeyMisses());
    }
  }

  private static void assertKey(HashKey key, RequestView request, String expectedKey) {
    Seen seen = record(key, request);
    assertThat(seen.misses()).as("%s found a key in %s", key, request).isZero();
    assertThat(seen.hasHash()).as("%s: context has a hash", key).isTrue();
    assertThat(seen.hash())
        .as("%s hashed '%s'", key, expectedKey)
        .isEqualTo(XxHash64.hash(expectedKey));
  }

  private static void assertNoKey(HashKey key, RequestView request) {
    assertThat(record(key, request).misses())
        .as("%s found no key in %s", key, request)
        .isEqualTo(1);
  }

  /**
   * {@link dev.lb4j.api.PickContext#hasHash()}: "true exactly when the pool's algorithm hashes and
   * the request had a key". On a miss the pick still gets a (random) hash, but an algorithm must be
   * able to tell it from a key's.
   */
  @Test
  void pickContextHasNoHashWhenTheRequestHasNoKey() {
    Seen seen = record(HashKey.header("X-User"), RequestView.of("GET", "/"));

    assertThat(seen.misses()).isEqualTo(1);
    assertThat(seen.hasHash()).isFalse();
  }

  @Test
  void headerKeyIsTheFirstValueMatchedCaseInsensitively() {
    RequestView request =
        RequestView.builder().header("X-User", "u123").header("x-user", "second").build();

    assertKey(HashKey.header("X-User"), request, "u123");
    assertKey(HashKey.header("x-user"), request, "u123");
    assertKey(HashKey.header("X-USER"), request, "u123");
    assertNoKey(HashKey.header("X-Other"), request);
  }

  @Test
  void cookieKeyIsTheNamedCookieAsSent() {
    RequestView request =
        RequestView.builder().header("Cookie", "theme=dark; session=abc%20def; lang=en").build();

    assertKey(HashKey.cookie("session"), request, "abc%20def");
    assertKey(HashKey.cookie("lang"), request, "en");
    assertNoKey(HashKey.cookie("Session"), request); // cookie names are case-sensitive
    assertNoKey(HashKey.cookie("missing"), request);
    assertNoKey(HashKey.cookie("session"), RequestView.of("GET", "/"));
  }

  @Test
  void queryParameterKeyIsTheFirstValueAsSent() {
    RequestView request = RequestView.builder().path("/search?u=a%2Fb&u=second&flag").build();

    assertKey(HashKey.queryParameter("u"), request, "a%2Fb");
    assertKey(HashKey.queryParameter("flag"), request, ""); // present without '=': empty value
    assertNoKey(HashKey.queryParameter("U"), request);
    assertNoKey(HashKey.queryParameter("u"), RequestView.of("GET", "/search"));
  }

  @Test
  void clientAddressKeyIsTheClientIp() {
    assertKey(
        HashKey.clientAddress(),
        RequestView.builder().clientAddress("192.0.2.7").build(),
        "192.0.2.7");
    assertKey(
        HashKey.clientAddress(),
        RequestView.builder().clientAddress("2001:db8::1").build(),
        "2001:db8::1");
    assertNoKey(HashKey.clientAddress(), RequestView.of("GET", "/"));
  }

  @Test
  void pathKeyIsThePathWithoutTheQuery() {
    assertKey(HashKey.path(), RequestView.builder().path("/users/42?tab=1").build(), "/users/42");
    assertKey(HashKey.path(), RequestView.of("GET", "/"), "/");
  }

  @Test
  void userFunctionKeyIsWhateverItReturns() {
    HashKey tenant =
        HashKey.of(
            "tenant and path",
            r -> {
              String t = r.header("X-Tenant");
              return t == null ? null : CharBuffer.wrap(t + "|" + r.path()); // any CharSequence
            });

    assertKey(
        tenant, RequestView.builder().header("X-Tenant", "acme").path("/a").build(), "acme|/a");
    assertNoKey(tenant, RequestView.builder().path("/a").build());
  }

  @Test
  void keysAreHashedWithXxh64OfTheirUtf8Bytes() {
    // Published XXH64 vectors (seed 0), as Envoy's hash policies compute them.
    assertThat(record(HashKey.header("K"), RequestView.builder().header("K", "foo").build()).hash())
        .isEqualTo(0x33bf00a859c4ba3fL);
    assertThat(
            record(HashKey.header("K"), RequestView.builder().header("K", "lyft").build()).hash())
        .isEqualTo(0x3d129870ca369420L);
    // A non-ASCII key is hashed as its UTF-8 bytes.
    String key = "caf\u00e9-\u65e5\u672c";
    byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
    assertThat(record(HashKey.header("K"), RequestView.builder().header("K", key).build()).hash())
        .isEqualTo(XxHash64.hash(utf8, 0, utf8.length, 0));
  }

  @Test
  void sameKeyTextFromDifferentSourcesLandsOnTheSameBackend() {
    try (LoadBalancer byHeader = maglevLb(HashKey.header("X-User"));
        LoadBalancer byCookie = maglevLb(HashKey.cookie("user"));
        LoadBalancer byQuery = maglevLb(HashKey.queryParameter("user"))) {
      Map<String, Integer> spread = new HashMap<>();
      for (int i = 0; i < 200; i++) {
        String user = "u" + i;
        String a = pick(byHeader, RequestView.builder().header("X-User", user).build());
        String b =
            pick(byCookie, RequestView.builder().header("Cookie", "x=1; user=" + user).build());
        String c = pick(byQuery, RequestView.builder().path("/p?user=" + user).build());
        assertThat(b).as(user).isEqualTo(a);
        assertThat(c).as(user).isEqualTo(a);
        spread.merge(a, 1, Integer::sum);
      }
      assertThat(spread).hasSize(4);
    }
  }

  private static LoadBalancer maglevLb(HashKey key) {
    return LoadBalancer.builder()
        .pool(
            "p",
            p ->
                p.backend("http://10.0.0.1:8080")
                    .backend("http://10.0.0.2:8080")
                    .backend("http://10.0.0.3:8080")
                    .backend("http://10.0.0.4:8080")
                    .algorithm(Algorithms.maglev())
                    .hashKey(key))
        .build();
  }

  private static String pick(LoadBalancer lb, RequestView request) {
    try (Lease lease = lb.select(request).leaseOrThrow()) {
      return lease.backend().id();
    }
  }

  /**
   * 4000 requests without a key on four backends: each is placed with a random hash, so each
   * backend's count is Binomial(4000, 1/4): mean 1000, sigma sqrt(4000 * 0.25 * 0.75) = 27.4. The
   * test accepts 6 sigma, 1000 +- 165 (ThreadLocalRandom cannot be seeded).
   */
  @Test
  void requestWithoutKeyIsBalancedRandomlyAndCountedAsAMiss() {
    try (LoadBalancer lb = maglevLb(HashKey.header("X-User"))) {
      Map<String, Integer> counts = new HashMap<>();
      for (int i = 0; i < 4000; i++) {
        counts.merge(pick(lb, RequestView.of("GET", "/")), 1, Integer::sum);
      }
      assertThat(counts).hasSize(4);
      counts.forEach((id, n) -> assertThat(n).as(id).isBetween(1000 - 165, 1000 + 165));

      // Keyed requests are not misses.
      pick(lb, RequestView.builder().header("X-User", "u1").build());
      PoolStats stats = lb.stats().pool("p");
      assertThat(stats.hashKeyMisses()).isEqualTo(4000);
      assertThat(stats.algorithmErrors()).isZero();
      assertThat(stats.noBackend()).isZero();
      assertThat(stats.inFlight()).isZero();
    }
  }

  @Test
  void keyFunctionThatThrowsIsContainedAndCounted() {
    HashKey broken =
        HashKey.of(
            "broken",
            r -> {
              throw new IllegalStateException("no tenant in " + r.path());
            });
    try (LoadBalancer lb = maglevLb(broken)) {
      List<Lease> leases = new ArrayList<>();
      try {
        for (int i = 0; i < 10; i++) {
          Selection selection = lb.select(RequestView.of("GET", "/t/" + i));
          assertThat(selection).as("selection %d", i).isInstanceOf(Lease.class);
          leases.add((Lease) selection);
        }
        assertThat(lb.stats().pool("p").inFlight()).isEqualTo(10);
      } finally {
        leases.forEach(Lease::close);
      }
      PoolStats stats = lb.stats().pool("p");
      assertThat(stats.algorithmErrors()).isEqualTo(10);
      // HashKey's contract: a throwing key source is "treated the same way" as a missing key.
      assertThat(stats.hashKeyMisses()).isEqualTo(10);
      assertThat(stats.noBackend()).isZero();
      assertThat(stats.inFlight()).isZero();
    }
  }

  @Test
  void keySourcesDescribeThemselves() {
    assertThat(HashKey.header("X-User")).hasToString("header(X-User)");
    assertThat(HashKey.cookie("session")).hasToString("cookie(session)");
    assertThat(HashKey.queryParameter("u")).hasToString("queryParameter(u)");
    assertThat(HashKey.clientAddress()).hasToString("clientAddress");
    assertThat(HashKey.path()).hasToString("path");
    assertThat(HashKey.of("tenant id", r -> r.header("X-Tenant"))).hasToString("tenant id");
  }

  @Test
  void blankOrNullNamesAreRefused() {
    assertThatThrownBy(() -> HashKey.header(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("header");
    assertThatThrownBy(() -> HashKey.cookie(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cookie");
    assertThatThrownBy(() -> HashKey.queryParameter("\t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("queryParameter");
    assertThatThrownBy(() -> HashKey.header(nullString())).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> HashKey.of(nullString(), r -> "k"))
        .isInstanceOf(NullPointerException.class);
  }

  @SuppressWarnings("NullAway") // deliberately passes null to a non-null parameter
  private static String nullString() {
    @Nullable String none = null;
    return none;
  }
}
