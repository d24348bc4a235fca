package dev.lb4j.core.policy;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.internal.XxHash64;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A token-bucket rate limit: {@code permits} per {@code period} on average, with bursts of up to
 * {@code burst} requests. Rejected requests get 429 with {@code Retry-After} (whole seconds, rounded
 * up) and the {@code RateLimit-Limit}, {@code RateLimit-Remaining} and {@code RateLimit-Reset}
 * headers of the IETF HTTPAPI rate-limit-headers draft. Immutable configuration, thread-safe state;
 * admitting a request allocates nothing (with {@link Builder#perKey}: for a key seen before). Build
 * one with {@link #builder(String)}.
 *
 * <p><b>Scope.</b> Without a key, one bucket is shared by every request the policy sees: attach the
 * policy globally for a global limit, to one route for a per-route limit. With {@link
 * Builder#perKey(HashKey)} each key (a client address, an API key header, anything a {@link HashKey}
 * extracts) has its own bucket; requests without a key share one bucket of their own.
 *
 * <p><b>Bounded memory.</b> Per-key state lives in a fixed table sized for {@link
 * Builder#maxKeys(int)} keys (allocated when the policy is built): a key whose bucket has refilled
 * holds no state that matters, so its slot is reused; a key that finds every slot it may use held by
 * keys still in debt shares one overflow bucket with all such keys. A flood of distinct (spoofed)
 * keys therefore cannot grow memory; it is limited as one.
 *
 * <p><b>Keys.</b> A key's bucket is found by the key's XXH64 hash and confirmed by comparing the key
 * itself, so two keys never share a bucket because their hashes collide (keys of up to 128 chars;
 * longer keys are told apart by their 64-bit hash alone). A key seen before allocates nothing; a new
 * key keeps a reference to the key (a copy when the {@link HashKey} returns a {@code CharSequence}
 * other than a {@code String}).
 *
 * <p>The algorithm is GCRA (the generic cell rate algorithm), exactly equivalent to a token bucket
 * refilled continuously at {@code permits / period}.
 *
 * @since 0.1.0
 */
public final class RateLimit implements Policy {

  private final String name;
  private final long permits;
  private final Duration period;
  private final int burst;
  private final long emission;
  private final long tolerance;
  private final @Nullable HashKey key;
  private final Ticker ticker;
  private final Gcra global;
  private final @Nullable KeyedBuckets keyed;
  private final Gcra keyless;

  private RateLimit(Builder b) {
    this.name = b.name;
    this.permits = b.permits;
    this.period = b.period;
    this.burst = b.burst;
    this.emission = Math.max(1, b.period.toNanos() / b.permits);
    this.tolerance = (b.burst - 1) * emission;
    this.key = b.key;
    this.ticker = b.ticker;
    this.global = new Gcra(emission, tolerance);
    this.keyed = b.key == null ? null : new KeyedBuckets(b.maxKeys, emission, tolerance, XxHash64::hash);
    this.keyless = new Gcra(emission, tolerance);
  }

  /**
   * Starts building a rate limit.
   *
   * @param name the policy's name, for stats and explain traces
   * @return a builder; {@link Builder#rate} is required
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PolicyDecision onRequest(RequestView request) {
    return decide(request, true);
  }

  /** Whether the request would be admitted now, without spending a permit. */
  @Override
  public PolicyDecision preview(RequestView request) {
    return decide(request, false);
  }

  private PolicyDecision decide(RequestView request, boolean take) {
    long now = ticker.nanoTime();
    long wait;
    HashKey source = key;
    KeyedBuckets buckets = keyed;
    if (source == null || buckets == null) {
      wait = take ? global.acquire(now) : global.peek(now);
    } else {
      CharSequence k = source.key(request);
      if (k == null) {
        wait = take ? keyless.acquire(now) : keyless.peek(now);
      } else {
        wait = take ? buckets.acquire(k, now, emission, tolerance) : buckets.peek(k, now, tolerance);
      }
    }
    if (wait <= 0) {
      return PolicyDecision.proceed();
    }
    long retryAfterSeconds = (wait + 999_999_999L) / 1_000_000_000L;
    long resetSeconds = (wait + tolerance + 999_999_999L) / 1_000_000_000L; // until the bucket is full
    return PolicyDecision.reject(
        429,
        "rate limit '" + name + "': more than " + permits + " per " + period + " (burst " + burst
            + ")" + (source == null ? "" : " for this " + source),
        HeaderChanges.builder()
            .set("Retry-After", Long.toString(retryAfterSeconds))
            .set("RateLimit-Limit", Integer.toString(burst))
            .set("RateLimit-Remaining", "0")
            .set("RateLimit-Reset", Long.toString(resetSeconds))
            .build());
  }

  /**
   * How many keys hold state that matters now (their bucket is not full); at most the table's
   * capacity. Scans the whole table under its locks: for tests and occasional stats, not per
   * request.
   *
   * @return the number of keys in debt, 0 without {@link Builder#perKey}
   */
  public int trackedKeys() {
    KeyedBuckets buckets = keyed;
    return buckets == null ? 0 : buckets.tracked(ticker.nanoTime());
  }

  /**
   * The number of keys the per-key table can hold.
   *
   * @return the capacity in keys, 0 without {@link Builder#perKey}
   */
  public int keyCapacity() {
    KeyedBuckets buckets = keyed;
    return buckets == null ? 0 : buckets.capacity();
  }

  @Override
  public String toString() {
    return "rate limit '" + name + "': " + permits + " per " + period + ", burst " + burst
        + (key == null ? "" : ", per " + key);
  }

  /**
   * Builds a {@link RateLimit}. Messages name the field ({@code policies.<name>.rate}), the value and
   * what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private long permits;
    private Duration period = Duration.ZERO;
    private int burst;
    private @Nullable HashKey key;
    private int maxKeys = 65_536;
    private Ticker ticker = Ticker.system();

    private Builder(String name) {
      this.name = PolicyNames.check(name);
    }

    private String field(String f) {
      return "policies." + name + "." + f;
    }

    /**
     * Sets the average rate.
     *
     * @param permits requests per period, 1 to 1,000,000,000
     * @param period 1 ms to 1 day; the emission interval {@code period / permits} must be at least
     *     1 ns
     * @return this builder
     */
    public Builder rate(long permits, Duration period) {
      Objects.requireNonNull(period, "period");
      if (permits < 1 || permits > 1_000_000_000L) {
        throw new IllegalArgumentException(
            field("rate") + ": " + permits + " permits (expected: 1..1000000000 per period)");
      }
      if (period.compareTo(Duration.ofMillis(1)) < 0 || period.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException(
            field("rate") + ": period " + period + " (expected: PT0.001S..P1D)");
      }
      long periodNanos = period.toNanos();
      if (periodNanos / permits < 1) {
        throw new IllegalArgumentException(
            field("rate") + ": " + permits + " per " + period
                + " (expected: at most one permit per nanosecond)");
      }
      if (periodNanos % permits != 0 && periodNanos / permits < 1_000) {
        // The interval between permits is kept in whole nanoseconds; below a microsecond the
        // rounding would change the rate by more than 0.1%.
        throw new IllegalArgumentException(
            field("rate") + ": " + permits + " per " + period
                + " (expected: a rate whose interval between permits, period / permits, is a whole"
                + " number of nanoseconds or at least 1 microsecond)");
      }
      this.permits = permits;
      this.period = period;
      return this;
    }

    /**
     * Sets the burst: how many requests may arrive at once after a quiet spell. Default: the rate's
     * permits (a full period's worth).
     *
     * @param burst 1 to 1,000,000,000
     * @return this builder
     */
    public Builder burst(int burst) {
      if (burst < 1 || burst > 1_000_000_000) {
        throw new IllegalArgumentException(
            field("burst") + ": " + burst + " (expected: 1..1000000000)");
      }
      this.burst = burst;
      return this;
    }

    /**
     * Gives each key its own bucket.
     *
     * @param key where the key comes from: {@code HashKey.clientAddress()}, {@code
     *     HashKey.header("X-Api-Key")}, {@code HashKey.of(...)}
     * @return this builder
     */
    public Builder perKey(HashKey key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * Sets how many keys the per-key table holds before keys share the overflow bucket. Default
     * 65,536. The table has the smallest power-of-two number of slots that is at least {@code
     * maxKeys} and at least 1,024; each slot costs 20 bytes (24 without compressed references),
     * plus the key it holds: keys of up to 128 chars are kept to tell keys apart (at most about 300
     * bytes each). 65,536 keys: 1.25 MiB, and at most about 20 MiB when every slot holds a
     * 128-char key.
     *
     * @param maxKeys 16 to 16,777,216
     * @return this builder
     */
    public Builder maxKeys(int maxKeys) {
      if (maxKeys < 16 || maxKeys > 1 << 24) {
        throw new IllegalArgumentException(
            field("maxKeys") + ": " + maxKeys + " (expected: 16..16777216)");
      }
      this.maxKeys = maxKeys;
      return this;
    }

    /**
     * Sets the time source. Default: {@link Ticker#system()}; tests pass a fake one.
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * Checks the settings and builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if the rate is missing
     */
    public RateLimit build() {
      if (permits == 0) {
        throw new IllegalArgumentException(
            field("rate") + ": not set (expected: rate(permits, period), such as rate(100,"
                + " Duration.ofSeconds(1)))");
      }
      if (burst == 0) {
        burst = (int) Math.min(Integer.MAX_VALUE, Math.min(permits, 1_000_000_000L));
      }
      long emission = period.toNanos() / permits;
      if ((burst - 1) > (Long.MAX_VALUE / 4) / emission) {
        throw new IllegalArgumentException(
            field("burst") + ": " + burst + " at " + permits + " per " + period
                + " (expected: a burst that refills within about 73 years: burst * period /"
                + " permits below 2^61 ns)");
      }
      return new RateLimit(this);
    }
  }
}
