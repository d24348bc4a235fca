package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Keys whose hashes collide (XXH64 collisions can be crafted) must never share a bucket: the table
 * confirms a hash match by comparing the key. Here every key is forced to one hash.
 */
class KeyedBucketsCollisionTest {

  private static final long SECOND = 1_000_000_000L;
  private static final long EMISSION = SECOND; // one permit per second
  private static final long TOLERANCE = 0; // burst 1

  private static KeyedBuckets everyKeyHashingTo(long hash) {
    return new KeyedBuckets(16, EMISSION, TOLERANCE, key -> hash);
  }

  private static boolean admitted(KeyedBuckets buckets, CharSequence key) {
    return buckets.acquire(key, 0, EMISSION, TOLERANCE) <= 0;
  }

  @Test
  void twoKeysWithOneHashGetSeparateBuckets() {
    KeyedBuckets buckets = everyKeyHashingTo(42);

    assertThat(admitted(buckets, "alice")).isTrue();
    assertThat(admitted(buckets, "alice")).as("alice's one permit is spent").isFalse();
    assertThat(buckets.peek("mallory", 0, TOLERANCE)).as("mallory's bucket is full").isLessThanOrEqualTo(0);
    assertThat(admitted(buckets, "mallory")).as("same hash, another key: its own bucket").isTrue();
    assertThat(admitted(buckets, "mallory")).isFalse();
    assertThat(buckets.peek("bob", 0, TOLERANCE)).isLessThanOrEqualTo(0);
    assertThat(buckets.peek("alice", 0, TOLERANCE)).isPositive();
    assertThat(buckets.tracked(0)).isEqualTo(2);
  }

  @Test
  @SuppressWarnings("UnnecessaryStringBuilder") // a StringBuilder is the CharSequence under test
  void theSameKeyAsAnotherCharSequenceFindsItsBucket() {
    KeyedBuckets buckets = everyKeyHashingTo(42);
    assertThat(admitted(buckets, new StringBuilder("alice"))).isTrue();
    assertThat(admitted(buckets, "alice")).isFalse();
    assertThat(admitted(buckets, java.nio.CharBuffer.wrap("alice"))).isFalse();
  }

  @Test
  void aZeroHashIsAHashLikeAnyOther() {
    KeyedBuckets buckets = everyKeyHashingTo(0); // 0 marks an empty slot inside the table
    assertThat(admitted(buckets, "a")).isTrue();
    assertThat(admitted(buckets, "a")).isFalse();
    assertThat(admitted(buckets, "b")).isTrue();
  }

  @Test
  void collidingKeysBeyondTheProbeSequenceShareTheOverflowBucket() {
    KeyedBuckets buckets = everyKeyHashingTo(7);
    for (int k = 0; k < 8; k++) { // the probe sequence has 8 slots, all on one home slot here
      assertThat(admitted(buckets, "key-" + k)).as("key-%d", k).isTrue();
    }
    assertThat(admitted(buckets, "key-8")).as("no slot left: the overflow bucket").isTrue();
    assertThat(admitted(buckets, "key-9")).as("the overflow bucket is shared").isFalse();
    assertThat(admitted(buckets, "key-3")).as("key-3 still has its own, spent bucket").isFalse();
    assertThat(buckets.acquire("key-0", SECOND, EMISSION, TOLERANCE))
        .as("a second later key-0's bucket has a permit again")
        .isLessThanOrEqualTo(0);
  }

  @Test
  void aRefilledSlotOfACollidingKeyIsReusedByAnother() {
    KeyedBuckets buckets = everyKeyHashingTo(7);
    for (int k = 0; k < 8; k++) {
      assertThat(admitted(buckets, "key-" + k)).isTrue();
    }
    // At one second every bucket is full again: a new key takes a slot rather than the overflow.
    assertThat(buckets.acquire("newcomer", SECOND, EMISSION, TOLERANCE)).isLessThanOrEqualTo(0);
    assertThat(buckets.acquire("another", SECOND, EMISSION, TOLERANCE)).isLessThanOrEqualTo(0);
    assertThat(buckets.acquire("newcomer", SECOND, EMISSION, TOLERANCE)).isPositive();
  }

  @Test
  void keysLongerThanTheStoredLimitAreToldApartByHashAlone() {
    KeyedBuckets buckets = everyKeyHashingTo(42);
    String longA = "a".repeat(KeyedBuckets.MAX_STORED_KEY_CHARS + 1);
    String longB = "b".repeat(KeyedBuckets.MAX_STORED_KEY_CHARS + 1);
    String shortest = "c".repeat(KeyedBuckets.MAX_STORED_KEY_CHARS);
    assertThat(admitted(buckets, longA)).isTrue();
    assertThat(admitted(buckets, longB))
        .as("long keys are not kept (bounded memory): one hash, one bucket, as documented")
        .isFalse();
    assertThat(admitted(buckets, shortest)).as("a key at the limit is kept and compared").isTrue();
  }
}
