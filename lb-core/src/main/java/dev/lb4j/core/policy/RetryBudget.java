package dev.lb4j.core.policy;

import dev.lb4j.core.Ticker;
import java.time.Duration;
import java.util.Objects;

/**
 * A retry budget, as in Finagle and Envoy: retries may add at most {@code percent}% to the requests
 * of the last {@code window}, plus a floor of {@code minPerSecond} retries per second so that a
 * quiet service can still retry. When a backend fails, retries then cannot multiply the load on the
 * others (a retry storm). Thread-safe; share one budget between everything that calls one service.
 *
 * <p>The window is kept as 10 slots; deposits and retries older than the window no longer count.
 * Defaults: 20%, 10 per second, 10 seconds (Finagle's).
 *
 * @since 0.1.0
 */
public final class RetryBudget {

  private static final int SLOTS = 10;

  private final double ratio;
  private final int minPerSecond;
  private final long windowNanos;
  private final long slotNanos;
  private final Ticker ticker;
  private final long[] slotStart = new long[SLOTS];
  private final long[] deposits = new long[SLOTS];
  private final long[] withdrawals = new long[SLOTS];

  private RetryBudget(double percent, int minPerSecond, Duration window, Ticker ticker) {
    this.ratio = percent / 100.0;
    this.minPerSecond = minPerSecond;
    this.windowNanos = window.toNanos();
    this.slotNanos = Math.max(1, windowNanos / SLOTS);
    this.ticker = ticker;
    long now = ticker.nanoTime();
    for (int i = 0; i < SLOTS; i++) {
      slotStart[i] = Long.MIN_VALUE;
    }
    slot(now);
  }

  /**
   * A budget with Finagle's defaults: 20% of requests, at least 10 retries per second, over 10 s.
   *
   * @param ticker the time source
   * @return the budget
   */
  public static RetryBudget defaults(Ticker ticker) {
    return of(20, 10, Duration.ofSeconds(10), ticker);
  }

  /**
   * A budget.
   *
   * @param percent 0 to 1,000: retries allowed per 100 requests
   * @param minPerSecond 0 to 1,000,000 retries per second allowed regardless
   * @param window 1 s to 1 hour
   * @param ticker the time source
   * @return the budget
   */
  public static RetryBudget of(double percent, int minPerSecond, Duration window, Ticker ticker) {
    if (!(percent >= 0 && percent <= 1000)) {
      throw new IllegalArgumentException(
          "retry.budget.percent: " + percent + " (expected: 0..1000)");
    }
    if (minPerSecond < 0 || minPerSecond > 1_000_000) {
      throw new IllegalArgumentException(
          "retry.budget.minPerSecond: " + minPerSecond + " (expected: 0..1000000)");
    }
    Objects.requireNonNull(window, "window");
    if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException(
          "retry.budget.window: " + window + " (expected: PT1S..PT1H)");
    }
    if (percent == 0 && minPerSecond == 0) {
      throw new IllegalArgumentException(
          "retry.budget: 0 percent and 0 per second (expected: a budget that allows some retries;"
              + " use maxAttempts(1) for none)");
    }
    return new RetryBudget(percent, minPerSecond, window, Objects.requireNonNull(ticker, "ticker"));
  }

  /** The slot for {@code now}, cleared if it last served an older period. Under the lock. */
  private int slot(long now) {
    long period = Math.floorDiv(now, slotNanos);
    int i = Math.floorMod(period, SLOTS);
    long start = period * slotNanos;
    if (slotStart[i] != start) {
      slotStart[i] = start;
      deposits[i] = 0;
      withdrawals[i] = 0;
    }
    return i;
  }

  /** Records one request (not a retry): it earns {@code percent / 100} of a retry. */
  public synchronized void deposit() {
    deposits[slot(ticker.nanoTime())]++;
  }

  /**
   * Takes one retry from the budget if there is one.
   *
   * @return whether the retry may go ahead
   */
  public synchronized boolean tryWithdraw() {
    long now = ticker.nanoTime();
    int current = slot(now);
    if (balance(now) < 1.0) {
      return false;
    }
    withdrawals[current]++;
    return true;
  }

  /**
   * Gives back a retry taken by {@link #tryWithdraw()} that was never sent (no backend was
   * available for it). A withdrawal already outside the current time slot is not given back.
   */
  public synchronized void refund() {
    int current = slot(ticker.nanoTime());
    if (withdrawals[current] > 0) {
      withdrawals[current]--;
    }
  }

  /**
   * Retries the budget allows now.
   *
   * @return the balance, possibly fractional
   */
  public synchronized double balance() {
    long now = ticker.nanoTime();
    slot(now);
    return balance(now);
  }

  private double balance(long now) {
    long d = 0;
    long w = 0;
    for (int i = 0; i < SLOTS; i++) {
      if (slotStart[i] != Long.MIN_VALUE && now - slotStart[i] < windowNanos) {
        d += deposits[i];
        w += withdrawals[i];
      }
    }
    return minPerSecond * (windowNanos / 1e9) + ratio * d - w;
  }

  @Override
  public String toString() {
    return "retry budget " + (ratio * 100) + "% + " + minPerSecond + "/s over "
        + Duration.ofNanos(windowNanos);
  }
}
