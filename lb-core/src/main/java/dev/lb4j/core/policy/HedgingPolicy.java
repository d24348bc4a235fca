package dev.lb4j.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * When to hedge a request, as in gRPC's hedging policy: when no response arrived {@link #delay()}
 * after an attempt was sent, another attempt goes to a backend not yet tried, while the first keeps
 * running; the first final response wins and the other attempts are cancelled (their leases count
 * as cancelled, not as failures of their backends). At most {@link #maxAttempts()} attempts in all,
 * the first one and retries included. Opt-in; immutable and thread-safe; build one with {@link
 * #builder(Duration)}.
 *
 * <p>Only requests that are safe to send twice are hedged: idempotent methods ({@link
 * RetryPolicy#IDEMPOTENT_METHODS}) with a body that can be sent again. Each hedge is drawn from the
 * {@link RetryPolicy}'s {@link RetryBudget}, like a retry, so hedging cannot multiply the load on a
 * struggling service. An attempt that fails with a retryable outcome while another is in flight
 * sends the next hedge at once instead of waiting for the delay.
 *
 * @since 0.1.0
 */
public final class HedgingPolicy {

  /** The default attempt limit, the first attempt included: one hedge. */
  public static final int DEFAULT_MAX_ATTEMPTS = 2;

  private final Duration delay;
  private final int maxAttempts;

  private HedgingPolicy(Builder b) {
    this.delay = b.delay;
    this.maxAttempts = b.maxAttempts;
  }

  /**
   * Starts building a hedging policy.
   *
   * @param delay how long to wait for a response before sending the next hedge: 1 ms to 1 hour
   * @return a builder
   */
  public static Builder builder(Duration delay) {
    return new Builder(delay);
  }

  /**
   * How long an attempt may go without a response before the next hedge is sent.
   *
   * @return the delay
   */
  public Duration delay() {
    return delay;
  }

  /**
   * The most attempts a hedged request makes, the first one, hedges and retries included.
   *
   * @return 2 to 10
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  @Override
  public String toString() {
    return "hedging after " + delay + ", at most " + maxAttempts + " attempts";
  }

  /** Builds a {@link HedgingPolicy}. Not thread-safe. */
  public static final class Builder {
    private final Duration delay;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private boolean maxAttemptsSet;

    private Builder(Duration delay) {
      Objects.requireNonNull(delay, "delay");
      if (delay.compareTo(Duration.ofMillis(1)) < 0 || delay.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "hedging.delay: " + delay + " (expected: PT0.001S..PT1H)");
      }
      this.delay = delay;
    }

    /**
     * Sets the most attempts, the first one included. Default: {@value #DEFAULT_MAX_ATTEMPTS}.
     *
     * @param attempts 2 to 10
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder maxAttempts(int attempts) {
      if (maxAttemptsSet) {
        throw new IllegalStateException(
            "hedging.maxAttempts was already set to " + maxAttempts);
      }
      if (attempts < 2 || attempts > 10) {
        throw new IllegalArgumentException(
            "hedging.maxAttempts: " + attempts + " (expected: 2..10, the first attempt included)");
      }
      this.maxAttempts = attempts;
      this.maxAttemptsSet = true;
      return this;
    }

    /**
     * Builds the policy; the builder stays usable.
     *
     * @return the policy
     */
    public HedgingPolicy build() {
      return new HedgingPolicy(this);
    }
  }
}
