package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.admitted;
import static dev.lb4j.core.policy.PolicyTestSupport.assertProceeds;
import static dev.lb4j.core.policy.PolicyTestSupport.assertRejected;
import static dev.lb4j.core.policy.PolicyTestSupport.fromClient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link RateLimit.Builder#perKey}: each key has its own bucket, requests without a key share one
 * bucket of their own, and the per-key table stays within its fixed capacity however many distinct
 * keys arrive; keys that find no slot are limited together in one overflow bucket.
 */
class RateLimitKeysTest {

  private static final long MS = 1_000_000L;

  private final ManualClock clock = new ManualClock();

  private static RequestView withApiKey(String key) {
    return RequestView.builder().header("X-Api-Key", key).clientAddress("192.0.2.1").build();
  }

  private RateLimit.Builder perApiKey(long permits, Duration period) {
    return RateLimit.builder("per-key")
        .rate(permits, period)
        .perKey(HashKey.header("X-Api-Key"))
        .ticker(clock);
  }

  // ------------------------------------------------------------------ isolation

  @Test
  void oneKeyExhaustedDoesNotLimitAnother() {
    RateLimit limit = perApiKey(2, Duration.ofSeconds(1)).build();
    RequestView a = withApiKey("key-a");
    RequestView b = withApiKey("key-b");

    assertThat(admitted(limit, a, 5)).isEqualTo(2);
    assertThat(admitted(limit, b, 5)).isEqualTo(2);
    assertRejected(limit.onRequest(a), 429);

    // Header names are case-insensitive: the same key arriving as x-api-key is the same bucket.
    RequestView lowerCaseA = RequestView.builder().header("x-api-key", "key-a").build();
    assertRejected(limit.onRequest(lowerCaseA), 429);

    clock.advance(Duration.ofMillis(500)); // one token each
    assertThat(admitted(limit, a, 5)).isEqualTo(1);
    assertThat(admitted(limit, b, 5)).isEqualTo(1);
  }

  @Test
  void requestsWithoutTheKeyShareABucketOfTheirOwn() {
    RateLimit limit = perApiKey(2, Duration.ofSeconds(1)).build();
    RequestView noKey1 = fromClient("192.0.2.1");
    RequestView noKey2 = fromClient("198.51.100.7");

    // Keyed buckets exhausted first: the keyless bucket is still full.
    assertThat(admitted(limit, withApiKey("key-a"), 3)).isEqualTo(2);
    assertThat(admitted(limit, withApiKey("key-b"), 3)).isEqualTo(2);
    assertProceeds(limit.onRequest(noKey1));
    assertProceeds(limit.onRequest(noKey2)); // a different client, but the same (keyless) bucket
    assertRejected(limit.onRequest(noKey1), 429);
    assertRejected(limit.onRequest(noKey2), 429);

    // The exhausted keyless bucket does not limit a new key.
    assertThat(admitted(limit, withApiKey("key-c"), 3)).isEqualTo(2);
    // Keyless requests are not keys in the table.
    assertThat(limit.trackedKeys()).isEqualTo(3);
  }

  @Test
  void perClientAddress() {
    RateLimit limit =
        RateLimit.builder("per-client")
            .rate(3, Duration.ofSeconds(1))
            .perKey(HashKey.clientAddress())
            .ticker(clock)
            .build();
    assertThat(admitted(limit, fromClient("192.0.2.1"), 5)).isEqualTo(3);
    assertThat(admitted(limit, fromClient("192.0.2.2"), 5)).isEqualTo(3);
    assertThat(admitted(limit, fromClient("2001:db8::1"), 5)).isEqualTo(3);
    // No client address: the keyless bucket.
    assertThat(admitted(limit, fromClient(null), 5)).isEqualTo(3);
    assertRejected(limit.onRequest(fromClient("192.0.2.1")), 429);
    assertThat(limit.trackedKeys()).isEqualTo(3);
  }

  @Test
  void reasonNamesTheKeySource() {
    RateLimit limit = perApiKey(1, Duration.ofSeconds(1)).build();
    assertProceeds(limit.onRequest(withApiKey("k")));
    String reason = assertRejected(limit.onRequest(withApiKey("k")), 429);
    assertThat(reason).contains("'per-key'").contains("1 per PT1S").contains("X-Api-Key");
  }

  @Test
  void trackedKeysCountsKeysInDebtOnly() {
    RateLimit limit = perApiKey(10, Duration.ofSeconds(1)).maxKeys(1024).build();
    assertThat(limit.keyCapacity()).isGreaterThanOrEqualTo(1024);
    assertThat(limit.trackedKeys()).isZero();

    assertProceeds(limit.onRequest(withApiKey("once"))); // in debt for 100 ms
    assertThat(admitted(limit, withApiKey("ten"), 10)).isEqualTo(10); // in debt for 1 s
    assertThat(limit.trackedKeys()).isEqualTo(2);

    clock.advanceNanos(100 * MS - 1);
    assertThat(limit.trackedKeys()).isEqualTo(2);
    clock.advanceNanos(1);
    assertThat(limit.trackedKeys()).isEqualTo(1);
    clock.advanceNanos(900 * MS);
    assertThat(limit.trackedKeys()).isZero();
  }

  // ------------------------------------------------------------------ bounded memory

  /** A reusable request whose X-Api-Key is changed between calls, so a flood allocates little. */
  private static final class MutableKeyView implements RequestView {
    private String key = "";

    MutableKeyView key(String key) {
      this.key = key;
      return this;
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public @Nullable String query() {
      return null;
    }

    @Override
    public @Nullable String host() {
      return null;
    }

    @Override
    public @Nullable String header(String name) {
      return name.equalsIgnoreCase("X-Api-Key") ? key : null;
    }

    @Override
    public @Nullable String clientAddress() {
      return null;
    }
  }

  private static final int MILLION = 1_000_000;
  private static final int BURST = 10;

  private RateLimit floodTarget() {
    return perApiKey(BURST, Duration.ofSeconds(1)).maxKeys(1024).build();
  }

  /**
   * {@code keys} distinct keys at one instant, each sending {@code requestsPerKey} requests. A key
   * with a slot has its own bucket of {@code BURST >= requestsPerKey} tokens; once every slot a key
   * may use holds a key in debt (nothing refills while time stands still) it goes to the overflow
   * bucket, whose {@code BURST} tokens every such key shares. So exactly {@code slotted *
   * requestsPerKey + BURST} requests get through, with {@code slotted <= capacity}.
   */
  private void floodAtOneInstant(int keys, int requestsPerKey) {
    RateLimit limit = floodTarget();
    int capacity = limit.keyCapacity();
    MutableKeyView view = new MutableKeyView();
    long admitted = 0;
    for (int i = 0; i < keys; i++) {
      view.key("flood-" + i);
      for (int r = 0; r < requestsPerKey; r++) {
        if (limit.onRequest(view) instanceof PolicyDecision.Proceed) {
          admitted++;
        }
      }
      if ((i & 0xffff) == 0) {
        assertThat(limit.trackedKeys()).isLessThanOrEqualTo(capacity);
        assertThat(limit.keyCapacity()).isEqualTo(capacity);
      }
    }
    int tracked = limit.trackedKeys();
    assertThat(limit.keyCapacity()).isEqualTo(capacity);
    // So many keys fill every slot.
    assertThat(tracked).isEqualTo(capacity);
    assertThat(admitted).isEqualTo((long) tracked * requestsPerKey + BURST);
    assertThat(admitted).isLessThanOrEqualTo((long) capacity * requestsPerKey + BURST);

    // Overflow is exhausted: a key that never had a slot is limited with the flood...
    assertRejected(limit.onRequest(view.key("late-comer")), 429);
    // ...while the first key, which got a slot in the empty table, keeps its own bucket.
    assertThat(admitted(limit, view.key("flood-0"), BURST))
        .isEqualTo(BURST - requestsPerKey);
  }

  @Test
  void millionDistinctKeysOneRequestEach() {
    floodAtOneInstant(MILLION, 1);
  }

  @Test
  void distinctKeysTwoRequestsEach() {
    floodAtOneInstant(MILLION / 5, 2); // fewer keys: every rejection allocates its response
  }

  /**
   * A flood of 250,000 distinct keys spread over one second (a request every 4 microseconds). A slot is only ever
   * handed to a new key when its bucket is full, which is the state a new bucket starts in, so each
   * of the {@code capacity} slots and the overflow bucket behaves as one token bucket over the
   * whole second: at most {@code burst + elapsed / T} admissions each (T = 100 ms).
   */
  @Test
  void distinctKeysOverOneSecond() {
    int flood = MILLION / 4;
    RateLimit limit = floodTarget();
    int capacity = limit.keyCapacity();
    MutableKeyView view = new MutableKeyView();
    long start = clock.nanoTime();
    long admitted = 0;
    for (int i = 0; i < flood; i++) {
      if (limit.onRequest(view.key("spread-" + i)) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
      clock.advanceNanos(4_000);
      if ((i & 0xffff) == 0) {
        assertThat(limit.trackedKeys()).isLessThanOrEqualTo(capacity);
      }
    }
    long elapsed = clock.nanoTime() - start;
    long emission = 100 * MS;
    long perBucket = BURST + (elapsed + emission - 1) / emission;
    long bound = (capacity + 1L) * perBucket;
    assertThat(admitted).isLessThanOrEqualTo(bound);
    assertThat(bound).isLessThan(flood / 10); // the bound is meaningful: most were limited
    assertThat(limit.keyCapacity()).isEqualTo(capacity);
  }

  @Test
  void afterRefillNewKeysGetTheirOwnSlotsAgain() {
    RateLimit limit = floodTarget();
    int capacity = limit.keyCapacity();
    MutableKeyView view = new MutableKeyView();
    for (int i = 0; i < 100_000; i++) {
      limit.onRequest(view.key("flood-" + i));
    }
    assertThat(limit.trackedKeys()).isEqualTo(capacity);
    assertRejected(limit.onRequest(view.key("newcomer")), 429);

    // One request took one token: every bucket (and the overflow bucket) is full after 100 ms.
    clock.advanceNanos(100 * MS);
    assertThat(limit.trackedKeys()).isZero();

    assertThat(admitted(limit, view.key("newcomer"), BURST + 1)).isEqualTo(BURST);
    assertThat(limit.trackedKeys()).isEqualTo(1);
    assertThat(admitted(limit, view.key("another"), BURST + 1)).isEqualTo(BURST);
    assertThat(limit.trackedKeys()).isEqualTo(2);
    assertThat(limit.keyCapacity()).isEqualTo(capacity);
  }

  @Test
  void capacityCoversMaxKeys() {
    for (int maxKeys : new int[] {16, 1024, 1025, 5000, 65_536}) {
      RateLimit limit = perApiKey(1, Duration.ofSeconds(1)).maxKeys(maxKeys).build();
      assertThat(limit.keyCapacity()).as("maxKeys %s", maxKeys).isGreaterThanOrEqualTo(maxKeys);
    }
    RateLimit byDefault = perApiKey(1, Duration.ofSeconds(1)).build();
    assertThat(byDefault.keyCapacity()).isGreaterThanOrEqualTo(65_536);
  }
}
