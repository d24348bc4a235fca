package dev.lb4j.core.policy;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Ticker;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;
import org.jspecify.annotations.Nullable;

/**
 * When to retry a request, decided by the engine and carried out by an adapter: which methods,
 * statuses and error kinds are retryable, how many attempts, per-try and total timeouts, exponential
 * back-off with full jitter, and a {@link RetryBudget}. Adapters pick a different backend for each
 * attempt with {@code select(request, triedBackends)}. Immutable and thread-safe; build one with
 * {@link #builder()}.
 *
 * <p>Safe by default: only idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE, TRACE; RFC 9110
 * section 9.2.2) are retried, on 502/503/504, on connection-level failures (connect, reset,
 * timeout) and on a backend's protocol violations (a response that is not valid HTTP: counted
 * against the backend like a 5xx, as a proxy answers it with a 502); at most 2 attempts; back-off
 * from 25 ms up to 250 ms (Envoy's defaults); Finagle's budget (20% plus 10 per second over 10 s).
 * Without a per-try timeout, the request's own timeout is split between the attempts that may
 * follow ({@link Builder#splitRequestTimeout}), so a backend that never answers leaves room for a
 * retry on another.
 *
 * <p>Use: {@code Attempts a = policy.begin(request)} before the first attempt (it deposits into the
 * budget and starts the total timeout), then after each failed attempt {@code a.next(outcome)}: retry
 * after {@code delayNanos()}, or stop for the given reason.
 *
 * @since 0.1.0
 */
public final class RetryPolicy {

  /**
   * The error kinds retried by default: the connection failed ({@link ErrorKind#CONNECT}), was
   * reset or closed before a complete response ({@link ErrorKind#RESET}), the attempt timed out
   * ({@link ErrorKind#TIMEOUT}), or the backend answered something that is not valid HTTP ({@link
   * ErrorKind#PROTOCOL}: an unparseable status line or headers, a body shorter than its {@code
   * Content-Length}). Each is the backend's failure; none is retried once part of the response
   * reached the caller.
   *
   * @since 0.1.0
   */
  public static final Set<ErrorKind> DEFAULT_ERRORS =
      java.util.Collections.unmodifiableSet(
          EnumSet.of(ErrorKind.CONNECT, ErrorKind.RESET, ErrorKind.TIMEOUT, ErrorKind.PROTOCOL));

  /** The methods RFC 9110 defines as idempotent. */
  public static final Set<String> IDEMPOTENT_METHODS =
      Set.of("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE");

  private final int maxAttempts;
  private final Set<String> methods;
  private final boolean anyMethod;
  private final boolean[] statuses = new boolean[600];
  private final Set<ErrorKind> errors;
  private final @Nullable Duration perTryTimeout;
  private final @Nullable Duration totalTimeout;
  private final long baseBackoffNanos;
  private final long maxBackoffNanos;
  private final RetryBudget budget;
  private final Ticker ticker;
  private final boolean splitRequestTimeout;
  private final @Nullable RandomGenerator random;

  private RetryPolicy(Builder b) {
    this.maxAttempts = b.maxAttempts;
    this.methods = Set.copyOf(b.methods);
    this.anyMethod = b.anyMethod;
    for (int s : b.statuses) {
      statuses[s] = true;
    }
    this.errors = Set.copyOf(b.errors);
    this.perTryTimeout = b.perTryTimeout;
    this.totalTimeout = b.totalTimeout;
    this.baseBackoffNanos = b.baseBackoff.toNanos();
    this.maxBackoffNanos = b.maxBackoff.toNanos();
    this.ticker = b.ticker;
    this.splitRequestTimeout = b.splitRequestTimeout;
    this.random = b.random;
    this.budget = b.budget != null ? b.budget : RetryBudget.defaults(b.ticker);
  }

  /**
   * Starts building a retry policy with the safe defaults.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the attempts of one request: deposits into the budget and starts the total timeout.
   *
   * @param request the request
   * @return its attempts; not thread-safe (one request is retried by one caller at a time)
   */
  public Attempts begin(RequestView request) {
    budget.deposit();
    return new Attempts(request.method(), ticker.nanoTime());
  }

  /**
   * The budget retries draw from.
   *
   * @return the budget
   */
  public RetryBudget budget() {
    return budget;
  }

  /**
   * What to do after an attempt.
   *
   * @param retry whether to retry
   * @param delayNanos how long to wait before the retry, {@code >= 0}
   * @param reason why, for logs and stats
   */
  public record Decision(boolean retry, long delayNanos, String reason) {

    /**
     * Checks the components.
     *
     * @param retry whether to retry
     * @param delayNanos how long to wait first, {@code >= 0}
     * @param reason why, for logs and stats
     */
    public Decision {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** The attempts of one request. Not thread-safe. */
  public final class Attempts {
    private final String method;
    private final long startNanos;
    private int attempts = 1;

    private Attempts(String method, long startNanos) {
      this.method = method;
      this.startNanos = startNanos;
    }

    /**
     * Attempts made so far, including the first.
     *
     * @return at least 1
     */
    public int attempts() {
      return attempts;
    }

    /**
     * The most attempts this request may make, the first included.
     *
     * @return the policy's {@code maxAttempts}
     * @since 0.1.0
     */
    public int maxAttempts() {
      return maxAttempts;
    }

    /**
     * The share of what is left of the request's own timeout that the next attempt may take when
     * the policy sets no per-try timeout: what is left, split evenly over the attempts that may
     * still be made (this one included), so that an attempt that never ends leaves room for the
     * retries after it. With the defaults (2 attempts) the first attempt gets half of the
     * request's timeout and the retry all that is left. The last attempt, a request that cannot be
     * retried (its method or body), a policy with a per-try timeout or with {@link
     * Builder#splitRequestTimeout splitting} off get no share ({@code null}): the request's
     * deadline alone bounds them.
     *
     * @param requestTimeLeft what is left of the request's own timeout
     * @param replayableBody whether the request's body (if any) can be sent again
     * @return the share, or {@code null} when the request's timeout is not split
     * @since 0.1.0
     */
    public @Nullable Duration requestTimeoutShare(Duration requestTimeLeft, boolean replayableBody) {
      Objects.requireNonNull(requestTimeLeft, "requestTimeLeft");
      int left = maxAttempts - attempts + 1;
      // Only a retry of an idempotent method is worth the room: a non-idempotent one is retried
      // only after a connection failure, which the connect timeout bounds.
      if (left <= 1 || !splitsRequestTimeout(replayableBody)) {
        return null;
      }
      return requestTimeLeft.dividedBy(left);
    }

    /**
     * Whether this request's own timeout is split between its attempts ({@link
     * #requestTimeoutShare}): splitting is on, no per-try timeout is set, and the request can be
     * retried (idempotent method, replayable body).
     *
     * @param replayableBody whether the request's body (if any) can be sent again
     * @return {@code true} if split
     * @since 0.1.0
     */
    public boolean splitsRequestTimeout(boolean replayableBody) {
      return splitRequestTimeout && perTryTimeout == null && replayableBody
          && methods.contains(method);
    }

    /**
     * How long the next attempt may take: the per-try timeout, cut to what is left of the total.
     *
     * @return the timeout, or {@code null} when neither is set
     */
    public @Nullable Duration tryTimeout() {
      Duration perTry = perTryTimeout;
      Duration total = totalTimeout;
      if (total == null) {
        return perTry;
      }
      long left = Math.max(0, total.toNanos() - (ticker.nanoTime() - startNanos));
      return perTry == null || perTry.toNanos() > left ? Duration.ofNanos(left) : perTry;
    }

    /**
     * Decides about a retry after a failed attempt.
     *
     * @param outcome the attempt's outcome
     * @return retry after a delay, or stop with the reason
     */
    public Decision next(Outcome outcome) {
      return next(outcome, false);
    }

    /**
     * Decides about a retry after a failed attempt.
     *
     * @param outcome the attempt's outcome
     * @param replayableBody whether a request with a body can be sent again; a non-idempotent method
     *     is retried only on a connection failure before anything was sent ({@link
     *     ErrorKind#CONNECT}) when this is true and the policy allows every method
     * @return retry after a delay, or stop with the reason
     */
    public Decision next(Outcome outcome, boolean replayableBody) {
      String whyNot = whyNot(outcome, replayableBody);
      if (whyNot != null) {
        return stop(whyNot);
      }
      long backoff = backoff(attempts);
      Duration total = totalTimeout;
      if (total != null && ticker.nanoTime() - startNanos + backoff >= total.toNanos()) {
        return stop("total timeout " + total + " would pass before the retry");
      }
      if (!budget.tryWithdraw()) {
        return stop("retry budget exhausted (" + budget + ")");
      }
      attempts++;
      return new Decision(true, backoff, "retry " + (attempts - 1) + " of " + (maxAttempts - 1)
          + " after " + Duration.ofNanos(backoff));
    }

    /**
     * Undoes the last retry {@link #next} granted, because it could not be sent (no backend was
     * available): the attempt does not count and its budget token is given back.
     *
     * @throws IllegalStateException if no retry was granted
     */
    public void retryNotSent() {
      if (attempts <= 1) {
        throw new IllegalStateException("retryNotSent: no retry was granted");
      }
      attempts--;
      budget.refund();
    }

    /**
     * Whether {@link #next(Outcome, boolean)} could retry after this outcome: the outcome and the
     * method are retryable and attempts are left. Spends nothing and changes nothing; the budget
     * and the total timeout are checked by {@code next} only. Adapters use it to decide, when a
     * response's status arrives, whether to keep its body aside in case the retry does not happen.
     *
     * @param outcome the attempt's outcome
     * @param replayableBody whether a request with a body can be sent again
     * @return {@code true} when a retry is possible
     */
    public boolean mayRetry(Outcome outcome, boolean replayableBody) {
      return attempts < maxAttempts && isRetryable(outcome, replayableBody);
    }

    /**
     * Whether this outcome is one the policy retries for this request's method, whatever the
     * attempts left: while other attempts of the request are still in flight (hedging), such an
     * outcome is not final yet. Spends nothing and changes nothing.
     *
     * @param outcome the attempt's outcome
     * @param replayableBody whether a request with a body can be sent again
     * @return {@code true} when the outcome and the method are retryable
     * @since 0.1.0
     */
    public boolean isRetryable(Outcome outcome, boolean replayableBody) {
      // The same checks as whyNot, without building a reason: this runs for every response.
      boolean retryable =
          outcome.error() == ErrorKind.NONE
              ? outcome.status() < statuses.length && statuses[outcome.status()]
              : errors.contains(outcome.error());
      if (!retryable) {
        return false;
      }
      return methods.contains(method)
          || (anyMethod && outcome.error() == ErrorKind.CONNECT && replayableBody);
    }

    /**
     * Takes a hedge (an extra attempt sent while earlier ones are still in flight) if fewer than
     * {@code maxAttempts} attempts were made and the budget has a retry left: a hedge counts as an
     * attempt and against the budget, like a retry. Undo with {@link #retryNotSent()} when the
     * hedge could not be sent.
     *
     * @param maxAttempts the hedging policy's attempt limit, the first attempt included
     * @return whether the hedge may be sent
     * @since 0.1.0
     */
    public boolean tryHedge(int maxAttempts) {
      if (attempts >= maxAttempts || !budget.tryWithdraw()) {
        return false;
      }
      attempts++;
      return true;
    }

    private @Nullable String whyNot(Outcome outcome, boolean replayableBody) {
      boolean retryable =
          outcome.error() == ErrorKind.NONE
              ? outcome.status() < statuses.length && statuses[outcome.status()]
              : errors.contains(outcome.error());
      if (!retryable) {
        if (!outcome.isFailure()) {
          return outcome.error() == ErrorKind.NONE
              ? "status " + outcome.status() + " is not a failure"
              : "error " + outcome.error() + " is not a backend failure";
        }
        return (outcome.error() == ErrorKind.NONE ? "status " + outcome.status() : "error "
            + outcome.error()) + " is not retryable";
      }
      boolean idempotent = methods.contains(method);
      if (!idempotent) {
        if (!anyMethod) {
          return "method " + method + " is not retried (not idempotent)";
        }
        if (outcome.error() != ErrorKind.CONNECT) {
          return "method " + method + " is retried only when the connection failed (the"
              + " backend never saw it), not after " + (outcome.error() == ErrorKind.NONE
                  ? "status " + outcome.status() : "error " + outcome.error());
        }
        if (!replayableBody) {
          return "method " + method + " is not retried without a replayable body";
        }
      }
      if (attempts >= maxAttempts) {
        return "attempts exhausted (" + attempts + " of " + maxAttempts + ")";
      }
      return null;
    }

    private Decision stop(String reason) {
      return new Decision(false, 0, reason);
    }
  }

  /**
   * The back-off before retry {@code n} (1 for the first): uniformly random in {@code [0, min(max,
   * base * 2^(n-1))]} (full jitter).
   *
   * @param n the retry number, {@code >= 1}
   * @return the delay in nanoseconds
   */
  public long backoff(int n) {
    long cap = maxBackoffNanos;
    int shift = Math.max(0, n - 1);
    long ceiling =
        shift >= 63 || baseBackoffNanos > (cap >>> shift) ? cap : baseBackoffNanos << shift;
    if (ceiling == 0) {
      return 0;
    }
    RandomGenerator r = random;
    return r != null ? r.nextLong(ceiling + 1) : ThreadLocalRandom.current().nextLong(ceiling + 1);
  }

  @Override
  public String toString() {
    return "retry policy: " + maxAttempts + " attempts, methods "
        + (anyMethod ? "any (non-idempotent only with a replayable body)" : methods) + ", errors "
        + errors + (perTryTimeout != null ? ", per try " + perTryTimeout
            : splitRequestTimeout ? ", request timeout split over the attempts" : "")
        + (totalTimeout != null ? ", total " + totalTimeout : "") + ", " + budget;
  }

  /**
   * Builds a {@link RetryPolicy}. Messages name the field ({@code retry.maxAttempts}), the value and
   * what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private int maxAttempts = 2;
    private final Set<String> methods = new LinkedHashSet<>(IDEMPOTENT_METHODS);
    private boolean anyMethod;
    private final Set<Integer> statuses = new LinkedHashSet<>(Set.of(502, 503, 504));
    private final Set<ErrorKind> errors = EnumSet.copyOf(DEFAULT_ERRORS);
    private @Nullable Duration perTryTimeout;
    private @Nullable Duration totalTimeout;
    private Duration baseBackoff = Duration.ofMillis(25);
    private Duration maxBackoff = Duration.ofMillis(250);
    private @Nullable RetryBudget budget;
    private Ticker ticker = Ticker.system();
    private boolean splitRequestTimeout = true;
    private boolean splitSet;
    private @Nullable RandomGenerator random;

    private Builder() {}

    /**
     * Sets the attempts, the first one included.
     *
     * @param attempts 1 (no retries) to 10
     * @return this builder
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1 || attempts > 10) {
        throw new IllegalArgumentException(
            "retry.maxAttempts: " + attempts + " (expected: 1..10, the first attempt included)");
      }
      this.maxAttempts = attempts;
      return this;
    }

    /**
     * Replaces the methods that are retried.
     *
     * @param methods HTTP methods
     * @return this builder
     */
    public Builder methods(String... methods) {
      Objects.requireNonNull(methods, "methods");
      this.methods.clear();
      for (String m : methods) {
        if (m == null || !m.matches("[A-Za-z0-9_-]{1,32}")) {
          throw new IllegalArgumentException(
              "retry.methods: '" + m + "' (expected: an HTTP method such as GET)");
        }
        this.methods.add(m.toUpperCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * Also retries non-idempotent methods (POST, PATCH), but only when the caller says the body can
     * be replayed and the attempt failed to connect (so the backend never saw the request).
     *
     * @return this builder
     */
    public Builder retryNonIdempotentOnConnectFailure() {
      this.anyMethod = true;
      return this;
    }

    /**
     * Replaces the statuses that are retried. A listed status is retried even below 500 (such as
     * 429 Too Many Requests).
     *
     * @param statuses HTTP statuses, 100..599
     * @return this builder
     */
    public Builder statuses(int... statuses) {
      Objects.requireNonNull(statuses, "statuses");
      for (int s : statuses) {
        if (s < 100 || s > 599) {
          throw new IllegalArgumentException(
              "retry.statuses: " + s + " (expected: HTTP statuses 100..599)");
        }
      }
      this.statuses.clear();
      for (int s : statuses) {
        this.statuses.add(s);
      }
      return this;
    }

    /**
     * Replaces the error kinds that are retried. Default: {@link #DEFAULT_ERRORS} (connect,
     * reset, timeout, protocol).
     *
     * @param errors kinds that blame the backend (not NONE or CANCELLED)
     * @return this builder
     */
    public Builder errors(Set<ErrorKind> errors) {
      Objects.requireNonNull(errors, "errors");
      for (ErrorKind e : errors) {
        if (!Objects.requireNonNull(e, "errors contains null").isBackendFailure()) {
          throw new IllegalArgumentException(
              "retry.errors: " + e + " (expected: kinds that blame the backend, not NONE or"
                  + " CANCELLED)");
        }
      }
      this.errors.clear();
      this.errors.addAll(errors);
      return this;
    }

    /**
     * Sets how long each attempt may take. Default: none; the request's own timeout is then split
     * between the attempts ({@link #splitRequestTimeout}).
     *
     * @param timeout 1 ms to 1 hour
     * @return this builder
     */
    public Builder perTryTimeout(Duration timeout) {
      this.perTryTimeout = check("retry.perTryTimeout", timeout);
      return this;
    }

    /**
     * Sets how long all attempts together, back-offs included, may take.
     *
     * @param timeout 1 ms to 1 hour
     * @return this builder
     */
    public Builder totalTimeout(Duration timeout) {
      this.totalTimeout = check("retry.totalTimeout", timeout);
      return this;
    }

    /**
     * Sets the back-off: retry n waits a random time up to {@code min(max, base * 2^(n-1))}.
     *
     * @param base 0 to 1 minute
     * @param max at least {@code base}, at most 1 hour
     * @return this builder
     */
    public Builder backoff(Duration base, Duration max) {
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(max, "max");
      if (base.isNegative() || base.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException(
            "retry.backoff.base: " + base + " (expected: PT0S..PT1M)");
      }
      if (max.compareTo(base) < 0 || max.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(
            "retry.backoff.max: " + max + " (expected: at least the base " + base + ", at most"
                + " PT1H)");
      }
      this.baseBackoff = base;
      this.maxBackoff = max;
      return this;
    }

    /**
     * Sets the budget. Default: {@link RetryBudget#defaults} on this builder's ticker.
     *
     * @param budget the budget; share one between the callers of one service
     * @return this builder
     */
    public Builder budget(RetryBudget budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    /**
     * Whether, when no {@link #perTryTimeout per-try timeout} is set, an attempt of a retryable
     * request (idempotent method, replayable body) gets only its share of what is left of the
     * request's own timeout: what is left divided by the attempts that may still be made, this
     * one included ({@link Attempts#requestTimeoutShare}). With the default 2 attempts, the first
     * gets half of the request's timeout and the retry the rest, so a backend that accepts and
     * never answers leaves room for a retry on another, as Envoy and gRPC advise for retried calls
     * (a per-try timeout below the overall one). The price: a first attempt that would have
     * answered in 60% of the timeout times out and is retried. Turn it off to give the first
     * attempt the whole timeout. The split bounds an attempt until its response headers arrive;
     * once a response is the call's answer its body is bounded by the request's timeout. Default:
     * {@code true}.
     *
     * @param split {@code false} to let every attempt use all that is left of the request's
     *     timeout
     * @return this builder
     * @throws IllegalStateException if already set
     * @since 0.1.0
     */
    public Builder splitRequestTimeout(boolean split) {
      if (splitSet) {
        throw new IllegalStateException(
            "splitRequestTimeout was already set to " + splitRequestTimeout);
      }
      this.splitRequestTimeout = split;
      this.splitSet = true;
      return this;
    }

    /**
     * Draws the back-off's jitter from this generator, for tests that need a known back-off.
     * Default: {@link ThreadLocalRandom}.
     *
     * @param random a thread-safe generator
     * @return this builder
     * @throws IllegalStateException if already set
     * @since 0.1.0
     */
    public Builder random(RandomGenerator random) {
      Objects.requireNonNull(random, "random");
      if (this.random != null) {
        throw new IllegalStateException("random was already set to " + this.random);
      }
      this.random = random;
      return this;
    }

    /**
     * Sets the time source. Default: {@link Ticker#system()}.
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    private static Duration check(String field, Duration d) {
      Objects.requireNonNull(d, field);
      if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException(field + ": " + d + " (expected: PT0.001S..PT1H)");
      }
      return d;
    }

    /**
     * Checks the settings and builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException when settings contradict each other
     */
    public RetryPolicy build() {
      if (perTryTimeout != null && totalTimeout != null
          && perTryTimeout.compareTo(totalTimeout) > 0) {
        throw new IllegalArgumentException(
            "retry.perTryTimeout: " + perTryTimeout + " (expected: at most retry.totalTimeout, "
                + totalTimeout + ")");
      }
      if (maxAttempts > 1 && statuses.isEmpty() && errors.isEmpty()) {
        throw new IllegalArgumentException(
            "retry: " + maxAttempts + " attempts but no retryable status or error (expected:"
                + " statuses(...) or errors(...), or maxAttempts(1))");
      }
      if (maxAttempts > 1 && methods.isEmpty() && !anyMethod) {
        throw new IllegalArgumentException(
            "retry.methods: none (expected: at least one method, or maxAttempts(1))");
      }
      return new RetryPolicy(this);
    }
  }
}
