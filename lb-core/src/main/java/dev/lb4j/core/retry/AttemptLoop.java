package dev.lb4j.core.retry;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.HedgingPolicy;
import dev.lb4j.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The attempt loop's configuration, shared by every call of one adapter: the load balancer that
 * picks backends for retries and hedges, the retry and hedging policies, and where time comes from.
 * Each request gets its own {@link Execution} from {@link #begin}. Immutable and thread-safe.
 *
 * <p>Canonical use by an adapter, blocking:
 *
 * <pre>{@code
 * AttemptLoop loop = AttemptLoop.builder(lb).retryPolicy(policy).build();
 * if (lb.select(request) instanceof Lease lease) {
 *   CallResult<MyResponse> result =
 *       loop.<MyResponse>begin(request, lease, true, timeout).runBlocking(attempt -> send(attempt));
 *   // answer with result.result(), or fail with result.failureMessage(...)
 * }
 * }</pre>
 *
 * <p>or asynchronous, with {@link Execution#runAsync}: back-offs and hedge delays then run on the
 * {@link Builder#scheduler scheduler}, the retries and hedges they start on the {@link
 * Builder#executor executor}.
 *
 * @since 0.1.0
 */
public final class AttemptLoop {

  private final LoadBalancer lb;
  private final @Nullable RetryPolicy retryPolicy;
  private final @Nullable HedgingPolicy hedging;
  final Ticker ticker;
  final Scheduler scheduler;
  final Executor executor;
  final Sleeper sleeper;

  private AttemptLoop(Builder b) {
    this.lb = b.lb;
    this.retryPolicy = b.retryPolicy;
    this.hedging = b.hedging;
    this.ticker = b.ticker;
    this.scheduler = b.scheduler != null ? b.scheduler : AttemptLoop::delayed;
    this.executor = b.executor;
    this.sleeper = b.sleeper;
  }

  /**
   * Starts configuring a loop over a load balancer.
   *
   * @param loadBalancer picks the backends of retries and hedges ({@link LoadBalancer#retry})
   * @return a builder
   */
  public static Builder builder(LoadBalancer loadBalancer) {
    return new Builder(loadBalancer);
  }

  /**
   * Starts the attempts of one request whose first lease the adapter selected. Deposits into the
   * retry budget and starts the request's deadline.
   *
   * @param request the request, as the load balancer saw it
   * @param first the lease of the first attempt; the execution owns it from now on
   * @param replayableBody whether the request's body (if any) can be sent again; without it the
   *     request is never retried nor hedged
   * @param timeout the request's own timeout, bounding every attempt and back-off together, or
   *     {@code null} for none
   * @param <R> what the adapter keeps of an attempt
   * @return the execution, to run once
   */
  public <R> Execution<R> begin(
      RequestView request, Lease first, boolean replayableBody, @Nullable Duration timeout) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(first, "first");
    return new Execution<>(this, request, first, replayableBody, timeout);
  }

  /**
   * Whether {@link Execution#runAsync} would hedge this request: a hedging policy is set, the
   * method is idempotent and the body replayable.
   *
   * @param request the request
   * @param replayableBody whether its body can be sent again
   * @return {@code true} if it may be hedged
   */
  public boolean hedges(RequestView request, boolean replayableBody) {
    return hedging != null && retryPolicy != null && replayableBody
        && RetryPolicy.IDEMPOTENT_METHODS.contains(request.method());
  }

  LoadBalancer loadBalancer() {
    return lb;
  }

  @Nullable RetryPolicy retryPolicy() {
    return retryPolicy;
  }

  @Nullable HedgingPolicy hedging() {
    return hedging;
  }

  /** The default scheduler: the JDK's shared delayed executor, no thread of our own. */
  private static Scheduler.Cancellable delayed(Runnable task, long delayNanos) {
    CompletableFuture<Void> f =
        CompletableFuture.runAsync(
            task, CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS));
    return () -> f.cancel(false); // a cancelled runAsync never runs its task
  }

  @Override
  public String toString() {
    return "AttemptLoop{" + (retryPolicy == null ? "no retries" : retryPolicy)
        + (hedging == null ? "" : ", " + hedging) + "}";
  }

  /** Sleeps the back-off of a blocking execution. */
  @FunctionalInterface
  public interface Sleeper {
    /**
     * Waits this long (by the loop's ticker) on the calling thread.
     *
     * @param nanos the time to wait, {@code > 0}
     * @throws InterruptedException when interrupted
     */
    void sleep(long nanos) throws InterruptedException;
  }

  /** Builds an {@link AttemptLoop}. Each setting may be set once. Not thread-safe. */
  public static final class Builder {
    private final LoadBalancer lb;
    private @Nullable RetryPolicy retryPolicy;
    private boolean retryPolicySet;
    private @Nullable HedgingPolicy hedging;
    private Ticker ticker = Ticker.system();
    private boolean tickerSet;
    private @Nullable Scheduler scheduler;
    private Executor executor = Runnable::run;
    private boolean executorSet;
    private Sleeper sleeper = TimeUnit.NANOSECONDS::sleep;
    private boolean sleeperSet;

    private Builder(LoadBalancer lb) {
      this.lb = Objects.requireNonNull(lb, "loadBalancer");
    }

    private static void requireUnset(boolean set, String setting, @Nullable Object value) {
      if (set) {
        throw new IllegalStateException(setting + " was already set to " + value);
      }
    }

    /**
     * Retries per this policy. Default: none, every request gets one attempt.
     *
     * @param policy the policy, or {@code null} for no retries
     * @return this builder
     */
    public Builder retryPolicy(@Nullable RetryPolicy policy) {
      requireUnset(retryPolicySet, "retryPolicy", retryPolicy);
      this.retryPolicy = policy;
      this.retryPolicySet = true;
      return this;
    }

    /**
     * Hedges idempotent requests per this policy, drawing hedges from the retry policy's budget.
     * Default: no hedging.
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder hedging(HedgingPolicy policy) {
      requireUnset(hedging != null, "hedging", hedging);
      this.hedging = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Reads time for the request's deadline from this ticker. Default: {@link Ticker#system()}.
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      requireUnset(tickerSet, "ticker", this.ticker);
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      this.tickerSet = true;
      return this;
    }

    /**
     * Waits out back-offs and hedge delays of asynchronous executions on this scheduler, in the
     * ticker's nanoseconds. Default: the JDK's shared delayed executor.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(Scheduler scheduler) {
      requireUnset(this.scheduler != null, "scheduler", this.scheduler);
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Starts the retries and hedges of asynchronous executions on this executor when their delay
     * is over. When it refuses (shut down), the call ends with the last attempt's result and the
     * retry's budget token is given back. Default: on the scheduler's thread.
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder executor(Executor executor) {
      requireUnset(executorSet, "executor", this.executor);
      this.executor = Objects.requireNonNull(executor, "executor");
      this.executorSet = true;
      return this;
    }

    /**
     * Sleeps the back-offs of blocking executions. Default: {@link TimeUnit#sleep}.
     *
     * @param sleeper the sleeper
     * @return this builder
     */
    public Builder sleeper(Sleeper sleeper) {
      requireUnset(sleeperSet, "sleeper", this.sleeper);
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      this.sleeperSet = true;
      return this;
    }

    /**
     * Builds the loop; the builder stays usable.
     *
     * @return the loop
     * @throws IllegalStateException when hedging is set without a retry policy (its budget)
     */
    public AttemptLoop build() {
      if (hedging != null && retryPolicy == null) {
        throw new IllegalStateException(
            "hedging: set without a retry policy (expected: a retry policy, whose budget hedges"
                + " draw from)");
      }
      return new AttemptLoop(this);
    }
  }
}
