package dev.lb4j.core.retry;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.Outcome;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import dev.lb4j.core.policy.HedgingPolicy;
import dev.lb4j.core.policy.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/**
 * The attempts of one request: an explicit state machine that sends the first attempt on the lease
 * the adapter selected, records each attempt's outcome on its lease (complete, fail or close,
 * exactly once), decides whether to retry ({@link RetryPolicy.Attempts}), waits the back-off,
 * draws on and refunds the retry budget, keeps to the request's deadline, picks each retry's
 * backend with {@link dev.lb4j.core.LoadBalancer#retry} (never a backend twice while another is
 * left), and, when hedging is on, sends hedges and cancels the losers.
 *
 * <pre>
 * FIRST_ATTEMPT --send--> AWAITING_OUTCOME | HEDGING (a hedge timer runs)
 * HEDGING --delay over, no answer--> HEDGING | AWAITING_OUTCOME (another attempt in flight)
 * AWAITING_OUTCOME | HEDGING --an attempt ended--> DECIDING
 * DECIDING --final result (or committed)--> DONE
 * DECIDING --retryable, others in flight--> HEDGING | AWAITING_OUTCOME
 * DECIDING --retry granted--> BACKING_OFF --delay over--> RETRYING --lease--> AWAITING_OUTCOME
 * RETRYING --no backend, deadline passed--> DONE (budget token refunded; the last result stands)
 * any state --cancel()--> DONE (every lease in flight closed, exchanges cancelled)
 * </pre>
 *
 * <p>Run it once, either way: {@link #runBlocking} sends every attempt and sleeps every back-off
 * on the calling thread (it never hedges: that needs two attempts in flight at once); {@link
 * #runAsync} lets the transport send attempts asynchronously and waits back-offs and hedge delays
 * on the loop's scheduler. Both drive the same transitions.
 *
 * <p>Thread-safe: the state is guarded by this object's lock; transports, lease callbacks of other
 * threads and {@link #cancel()} may race, and the lock is never held while a transport sends or a
 * future completes.
 *
 * @param <R> what the adapter keeps of an attempt
 * @since 0.1.0
 */
public final class Execution<R> {

  /** Where an execution stands. */
  public enum State {
    /** Created; the first attempt is not sent yet. */
    FIRST_ATTEMPT,
    /** Attempts are in flight and no hedge will follow. */
    AWAITING_OUTCOME,
    /** Attempts are in flight and a hedge timer runs. */
    HEDGING,
    /** An attempt ended; its outcome is being recorded and a retry decided (under the lock). */
    DECIDING,
    /** Nothing in flight; a retry waits for its back-off. */
    BACKING_OFF,
    /** The back-off is over; the retry's backend is being selected and the retry sent. */
    RETRYING,
    /** The call has its result, or was cancelled. */
    DONE
  }

  private static final System.Logger LOG = System.getLogger(Execution.class.getName());
  private static final long WAIT = -1;

  private final AttemptLoop loop;
  private final RequestView request;
  private final RetryPolicy.@Nullable Attempts attempts;
  private final @Nullable HedgingPolicy hedging;
  private final boolean replayable;
  private final boolean hasDeadline;
  private final long deadline; // ticker reading when the request's own timeout ends
  private final long timeoutNanos;

  // Guarded by this. (Not Error Prone's @GuardedBy as in the engine's internal classes: this class
  // is exported, and a class-retention annotation from a compile-only jar makes javac warn in every
  // user's -Xlint build that reads it.)
  private State state = State.FIRST_ATTEMPT;
  private @Nullable Lease first;
  private final List<Attempt<R>> inFlight = new ArrayList<>(2);
  private final List<Backend> tried = new ArrayList<>(2);
  private final List<Throwable> failures = new ArrayList<>(2);
  private int sent;
  private @Nullable Attempt<R> last;
  private @Nullable AttemptResult<R> lastResult;
  private Scheduler.@Nullable Cancellable timer;
  private boolean tokenHeld; // a retry the budget granted is not sent yet
  private @Nullable Attempt<R> committed;
  private @Nullable CallResult<R> result;
  private @Nullable AsyncTransport<R> transport;
  private @Nullable Attempt<R> pendingLaunch; // a hedge settle() decided on, launched by onDone
  private final List<Scheduler.Cancellable> toCancel = new ArrayList<>(1); // by onDone, unlocked
  private final CompletableFuture<CallResult<R>> future = new CompletableFuture<>();

  Execution(
      AttemptLoop loop,
      RequestView request,
      Lease first,
      boolean replayableBody,
      @Nullable Duration timeout) {
    this.loop = loop;
    this.request = request;
    this.first = first;
    RetryPolicy policy = loop.retryPolicy();
    this.attempts = policy == null ? null : policy.begin(request);
    this.replayable = policy != null && replayableBody;
    this.hedging = loop.hedges(request, replayableBody) ? loop.hedging() : null;
    long t = Long.MAX_VALUE;
    if (timeout != null) {
      try {
        t = timeout.toNanos();
      } catch (ArithmeticException beyondNanos) {
        t = Long.MAX_VALUE;
      }
    }
    // A timeout of more than ~146 years is none (and would overflow the arithmetic).
    this.hasDeadline = t < Long.MAX_VALUE / 2;
    this.timeoutNanos = t;
    this.deadline = hasDeadline ? loop.ticker.nanoTime() + t : 0;
  }

  /**
   * Where the execution stands now.
   *
   * @return the state
   */
  public synchronized State state() {
    return state;
  }

  // ------------------------------------------------------------------ the two ways to run

  /**
   * Runs the call on the calling thread: each attempt through {@code transport}, each back-off
   * slept. Never hedges.
   *
   * @param transport sends one attempt
   * @return the call's result
   * @throws InterruptedException when interrupted; the lease in flight is released (as cancelled)
   *     and a granted retry's budget token given back
   * @throws IllegalStateException if the execution was already run
   */
  public CallResult<R> runBlocking(BlockingTransport<R> transport) throws InterruptedException {
    Objects.requireNonNull(transport, "transport");
    Attempt<R> next;
    synchronized (this) {
      next = firstAttempt(false);
    }
    while (next != null) {
      AttemptResult<R> r;
      try {
        r = transport.send(next);
      } catch (InterruptedException | RuntimeException | Error e) {
        cancel();
        throw e;
      }
      long delay;
      synchronized (this) {
        delay = settle(next, Objects.requireNonNull(r, "transport returned null"));
        toCancel.clear(); // nothing else is in flight: a blocking execution never hedges
      }
      if (delay == WAIT) {
        break;
      }
      if (delay > 0) {
        try {
          loop.sleeper.sleep(delay);
        } catch (InterruptedException e) {
          cancel();
          throw e;
        }
      }
      synchronized (this) {
        next = state == State.DONE ? null : retryAttempt(false);
      }
    }
    synchronized (this) {
      CallResult<R> done = result;
      if (done == null) {
        throw new CancellationException("the call was cancelled");
      }
      return done;
    }
  }

  /**
   * Starts the call: each attempt through {@code transport}, back-offs and hedge delays on the
   * loop's scheduler. Cancelling the returned future does not cancel the call; {@link #cancel()}
   * does.
   *
   * @param transport starts one attempt
   * @return the call's result; fails with a {@link CancellationException} when cancelled
   * @throws IllegalStateException if the execution was already run
   */
  public CompletableFuture<CallResult<R>> runAsync(AsyncTransport<R> transport) {
    Objects.requireNonNull(transport, "transport");
    Attempt<R> a;
    synchronized (this) {
      this.transport = transport;
      a = firstAttempt(true);
    }
    launch(a);
    return future;
  }

  /**
   * Cancels the call: every attempt in flight is cancelled and its lease released (counted as
   * cancelled), a pending back-off or hedge stops, a granted retry's budget token goes back.
   * Idempotent; does nothing once the call has its result.
   *
   * @return {@code true} if this call cancelled it
   */
  public boolean cancel() {
    List<Scheduler.Cancellable> exchanges;
    synchronized (this) {
      if (state == State.DONE) {
        return false;
      }
      Lease unsent = first;
      if (unsent != null) {
        first = null;
        unsent.close();
      }
      exchanges = stopAll(null);
      state = State.DONE;
    }
    exchanges.forEach(Execution::cancelQuietly);
    future.completeExceptionally(new CancellationException("the call was cancelled"));
    return true;
  }

  // ------------------------------------------------------------------ transitions (under the lock)

  private Attempt<R> firstAttempt(boolean async) {
    if (state == State.DONE && sent == 0) {
      throw new CancellationException("the call was cancelled before its first attempt");
    }
    if (state != State.FIRST_ATTEMPT || first == null) {
      throw new IllegalStateException("the execution was already run (state " + state + ")");
    }
    Lease lease = first;
    first = null;
    Attempt<R> a = newAttempt(lease, false, false);
    state = async && armHedge() ? State.HEDGING : State.AWAITING_OUTCOME;
    return a;
  }

  private Attempt<R> newAttempt(Lease lease, boolean hedge, boolean usedToken) {
    tokenHeld = false; // this attempt is the retry the token was granted for
    sent++;
    tried.add(lease.backend());
    RetryPolicy.Attempts a = attempts;
    Duration perTry = a == null ? null : a.tryTimeout();
    String expired = null;
    boolean cut = false;
    if (perTry != null && (perTry.isZero() || perTry.isNegative())) {
      expired = "total timeout of the retry policy passed";
    }
    if (hasDeadline) { // the request's own timeout bounds the whole call, retries included
      long left = deadline - loop.ticker.nanoTime();
      // Hedged requests are not split: their attempts overlap instead of following each other.
      Duration share = a == null || hedging != null ? null
          : a.requestTimeoutShare(Duration.ofNanos(Math.max(0, left)), replayable);
      if (left <= 0) {
        expired = expired != null ? expired : "request timed out";
        perTry = Duration.ZERO;
      } else if (share != null && a != null) {
        // No per-try timeout: this attempt's share of what is left, so that one that never ends
        // leaves room for a retry. It is cut short only when the share is under half of what an
        // even split of the whole timeout gives each attempt.
        Duration shareTimeout = share.isZero() ? Duration.ofNanos(1) : share;
        if (perTry == null || perTry.compareTo(shareTimeout) > 0) { // else the total's rest
          perTry = shareTimeout;
          cut = share.toNanos() < timeoutNanos / a.maxAttempts() / 2;
        }
      } else if (perTry == null || perTry.toNanos() > left) {
        perTry = Duration.ofNanos(left);
        // Less than half of the request's timeout left (or of an even split of it over the
        // attempts, when the policy splits it): the call's deadline, not the backend, is what
        // this attempt's timeout will mostly measure.
        long due = a != null && hedging == null && a.splitsRequestTimeout(replayable)
            ? timeoutNanos / a.maxAttempts()
            : timeoutNanos;
        cut = left < due / 2;
      }
    }
    Attempt<R> attempt =
        new Attempt<>(this, sent, lease, perTry, expired, cut, hedge, usedToken);
    inFlight.add(attempt);
    return attempt;
  }

  /**
   * Records an attempt's result on its lease and decides what follows.
   *
   * @return {@link #WAIT} when the call is over or waits for another attempt in flight, else the
   *     back-off before the retry the budget granted ({@code 0}: retry at once)
   */
  private long settle(Attempt<R> a, AttemptResult<R> r) {
    if (a.done || a.cancelled || !inFlight.remove(a)) {
      a.lease().close(); // cancelled meanwhile: released already
      return WAIT;
    }
    a.done = true;
    if (inFlight.isEmpty()) {
      cancelTimer(); // a hedge timer of this attempt: a retry (if any) arms its own
    }
    state = State.DECIDING;
    Lease lease = a.lease();
    if (r.kind() == AttemptResult.Kind.NOT_SENT) {
      lease.close();
      sent--;
      int i = tried.lastIndexOf(lease.backend());
      if (i >= 0) {
        tried.remove(i); // never tried after all
      }
      if (a.usedToken) {
        Objects.requireNonNull(attempts).retryNotSent();
      }
      log(a, r, "not sent");
      if (!inFlight.isEmpty()) { // a hedge that could not be sent: the others may still answer
        state = timer != null ? State.HEDGING : State.AWAITING_OUTCOME;
        return WAIT;
      }
      return finish(a, r);
    }
    last = a;
    lastResult = r;
    Throwable error = r.error();
    if (error != null) {
      failures.add(error);
    }
    Outcome outcome = record(a, r);
    if (outcome == null || committed == a || attempts == null || !replayable) {
      log(a, r, outcome != null && attempts != null && !replayable && outcome.isFailure()
          ? "the request body cannot be sent again" : null);
      return finish(a, r);
    }
    RetryPolicy.Attempts at = attempts;
    if (!inFlight.isEmpty()) {
      // Hedging: another attempt may still answer. A retryable failure sends the next hedge now.
      if (at.isRetryable(outcome, true)) {
        log(a, r, "another attempt is in flight");
        cancelTimer();
        pendingLaunch = hedge();
        if (state == State.DECIDING) {
          state = timer != null ? State.HEDGING : State.AWAITING_OUTCOME;
        }
        return WAIT;
      }
      log(a, r, null);
      return finish(a, r);
    }
    HedgingPolicy h = hedging;
    if (h != null && at.attempts() >= h.maxAttempts()) {
      log(a, r, "attempts exhausted (" + at.attempts() + " of " + h.maxAttempts() + ")");
      return finish(a, r);
    }
    RetryPolicy.Decision d = at.next(outcome, true);
    if (d.retry() && deadlinePassesIn(d.delayNanos())) {
      at.retryNotSent();
      d = new RetryPolicy.Decision(false, 0, "the request's timeout would pass before the retry");
    }
    log(a, r, d.reason());
    if (!d.retry()) {
      return finish(a, r);
    }
    tokenHeld = true;
    state = State.BACKING_OFF;
    return d.delayNanos();
  }

  /**
   * Records the result on the lease.
   *
   * @return the outcome when it may be retried, {@code null} when it is final
   */
  private @Nullable Outcome record(Attempt<R> a, AttemptResult<R> r) {
    Lease lease = a.lease();
    switch (r.kind()) {
      case RESPONSE -> {
        int status = r.status();
        if (status < 100 || status > 599) {
          lease.fail(ErrorKind.PROTOCOL);
          return null;
        }
        lease.complete(status);
        return Outcome.response(status, 0);
      }
      case CALLER_FAILURE -> {
        int status = r.status();
        if (status >= 100 && status <= 599) {
          lease.complete(status);
        } else {
          lease.close();
        }
        return null;
      }
      case FAILURE -> {
        ErrorKind kind = r.errorKind();
        if (kind == ErrorKind.CANCELLED) {
          lease.close();
          return null;
        }
        if (kind == ErrorKind.TIMEOUT && a.cutByDeadline()) {
          // The call's own deadline, not the backend, left this attempt too little time.
          lease.close();
          return null;
        }
        lease.fail(kind);
        return r.responseStarted() ? null : Outcome.error(kind, 0);
      }
      case NOT_SENT -> {
        lease.close();
        return null;
      }
    }
    throw new AssertionError(r.kind());
  }

  /** The back-off is over: a lease for the retry, or the call ends with the last result. */
  private @Nullable Attempt<R> retryAttempt(boolean async) {
    if (state != State.BACKING_OFF) {
      return null; // cancelled meanwhile
    }
    timer = null;
    state = State.RETRYING;
    Attempt<R> previous = Objects.requireNonNull(last);
    Lease lease = nextLease(previous.lease(), "retry");
    if (lease == null) {
      tokenHeld = false;
      Objects.requireNonNull(attempts).retryNotSent();
      finish(previous, Objects.requireNonNull(lastResult));
      return null;
    }
    Attempt<R> a = newAttempt(lease, false, true);
    state = async && armHedge() ? State.HEDGING : State.AWAITING_OUTCOME;
    return a;
  }

  /** A lease on another backend, or {@code null} (logged) when the deadline passed or none. */
  private @Nullable Lease nextLease(Lease previous, String what) {
    RetryPolicy.Attempts a = Objects.requireNonNull(attempts);
    Duration left = a.tryTimeout();
    if ((left != null && left.isZero()) || deadlinePassesIn(0)) {
      debug(() -> request + ": the timeout passed before the " + what
          + "; the last attempt's result stands");
      return null;
    }
    Selection s;
    try {
      s = loop.loadBalancer().retry(request, previous, tried);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, request + ": selecting a backend for the " + what
          + " failed", e);
      return null;
    }
    if (s instanceof Lease lease) {
      return lease;
    }
    String why =
        s instanceof NoBackend none ? none.reason() + ": " + none.message()
            : s instanceof Rejected rejected ? "rejected by policy '" + rejected.policy() + "'"
            : String.valueOf(s);
    debug(() -> request + ": no backend for the " + what + " (" + why
        + "); the last attempt's result stands");
    return null;
  }

  /** Schedules the next hedge if one may follow. */
  private boolean armHedge() {
    HedgingPolicy h = hedging;
    RetryPolicy.Attempts a = attempts;
    if (h == null || a == null || committed != null || a.attempts() >= h.maxAttempts()) {
      return false;
    }
    timer = loop.scheduler.schedule(() -> later(this::hedgeDue), h.delay().toNanos());
    return true;
  }

  private void hedgeDue() {
    Attempt<R> a;
    synchronized (this) {
      if (state != State.HEDGING) {
        return;
      }
      timer = null;
      a = hedge();
      if (state == State.HEDGING && timer == null) {
        state = State.AWAITING_OUTCOME;
      }
    }
    if (a != null) {
      launch(a);
    }
  }

  /**
   * Sends a hedge if the policy and the budget allow one: under the lock; the caller launches it
   * (from settle, it is launched by {@link #onDone}).
   */
  private @Nullable Attempt<R> hedge() {
    HedgingPolicy h = hedging;
    RetryPolicy.Attempts at = attempts;
    if (h == null || at == null || committed != null || inFlight.isEmpty()) {
      return null;
    }
    if (!at.tryHedge(h.maxAttempts())) {
      debug(() -> request + ": no hedge (attempts or retry budget exhausted)");
      return null;
    }
    Attempt<R> latest = inFlight.get(inFlight.size() - 1);
    Lease lease = nextLease(latest.lease(), "hedge");
    if (lease == null) {
      at.retryNotSent();
      return null;
    }
    Attempt<R> a = newAttempt(lease, true, true);
    state = armHedge() ? State.HEDGING : State.AWAITING_OUTCOME;
    return a;
  }

  private long finish(Attempt<R> a, AttemptResult<R> r) {
    List<Scheduler.Cancellable> exchanges = stopAll(a);
    List<Throwable> earlier = new ArrayList<>(failures);
    earlier.remove(r.error());
    result = new CallResult<>(a, r, sent, tried, earlier);
    state = State.DONE;
    toCancel.addAll(exchanges);
    return WAIT;
  }

  /** Stops everything but {@code keep}: timer, token held, attempts in flight (leases closed). */
  private List<Scheduler.Cancellable> stopAll(@Nullable Attempt<R> keep) {
    cancelTimer();
    if (tokenHeld) {
      tokenHeld = false;
      Objects.requireNonNull(attempts).retryNotSent();
    }
    List<Scheduler.Cancellable> exchanges = new ArrayList<>(inFlight.size());
    for (Attempt<R> other : inFlight) {
      if (other == keep) {
        continue;
      }
      other.cancelled = true;
      other.lease().close();
      Scheduler.Cancellable c = other.exchange;
      if (c != null) {
        exchanges.add(c);
      }
    }
    inFlight.removeIf(o -> o != keep);
    return exchanges;
  }

  private void cancelTimer() {
    Scheduler.Cancellable t = timer;
    if (t != null) {
      timer = null;
      t.cancel();
    }
  }

  private boolean deadlinePassesIn(long nanos) {
    return hasDeadline && loop.ticker.nanoTime() + nanos - deadline >= 0;
  }

  // ------------------------------------------------------------------ events from attempts

  boolean mayRetry(Attempt<R> a, int status) {
    if (status < 100 || status > 599) {
      return false;
    }
    synchronized (this) {
      RetryPolicy.Attempts at = attempts;
      if (at == null || !replayable || committed != null || a.cancelled) {
        return false;
      }
      Outcome o = Outcome.response(status, 0);
      // While another attempt is in flight a retryable status is not final either way.
      return inFlight.size() > 1 ? at.isRetryable(o, true) : at.mayRetry(o, true);
    }
  }

  boolean commit(Attempt<R> a) {
    List<Scheduler.Cancellable> exchanges;
    synchronized (this) {
      if (committed != null) {
        return committed == a;
      }
      if (a.cancelled || a.done || !inFlight.contains(a)) {
        return false;
      }
      committed = a;
      exchanges = stopAll(a);
      if (state == State.HEDGING) {
        state = State.AWAITING_OUTCOME;
      }
    }
    exchanges.forEach(Execution::cancelQuietly);
    return true;
  }

  void onDone(Attempt<R> a, AttemptResult<R> r) {
    Objects.requireNonNull(r, "result");
    long delay;
    Attempt<R> hedge;
    List<Scheduler.Cancellable> exchanges;
    CallResult<R> done;
    synchronized (this) {
      delay = settle(a, r);
      hedge = pendingLaunch;
      pendingLaunch = null;
      exchanges = new ArrayList<>(toCancel);
      toCancel.clear();
      done = state == State.DONE ? result : null;
      if (delay > 0) {
        timer = loop.scheduler.schedule(() -> later(this::retryDue), delay);
      }
    }
    exchanges.forEach(Execution::cancelQuietly);
    if (hedge != null) {
      launch(hedge);
    }
    if (delay == 0) {
      retryDue();
    }
    if (done != null) {
      future.complete(done);
    }
  }

  private void retryDue() {
    Attempt<R> a;
    CallResult<R> done;
    synchronized (this) {
      a = retryAttempt(true);
      toCancel.clear(); // nothing was in flight during the back-off
      done = a == null && state == State.DONE ? result : null;
    }
    if (a != null) {
      launch(a);
    } else if (done != null) {
      future.complete(done);
    }
  }

  /** Runs a timer's work on the loop's executor; if it refuses, the last result stands. */
  private void later(Runnable work) {
    try {
      loop.executor.execute(work);
    } catch (RejectedExecutionException e) {
      debug(() -> request + ": the executor refused the retry or hedge (" + e
          + "); the last attempt's result stands");
      CallResult<R> done = null;
      List<Scheduler.Cancellable> exchanges = List.of();
      synchronized (this) {
        timer = null;
        if (state == State.BACKING_OFF) {
          exchanges = stopAll(null);
          finish(Objects.requireNonNull(last), Objects.requireNonNull(lastResult));
          toCancel.clear();
          done = result;
        } else if (state == State.HEDGING) {
          state = State.AWAITING_OUTCOME;
        }
      }
      exchanges.forEach(Execution::cancelQuietly);
      if (done != null) {
        future.complete(done);
      }
    }
  }

  private void launch(Attempt<R> a) {
    AsyncTransport<R> t;
    synchronized (this) {
      t = Objects.requireNonNull(transport);
    }
    Scheduler.Cancellable c;
    try {
      c = t.start(a);
    } catch (RuntimeException e) {
      a.complete(AttemptResult.notSent(e));
      return;
    }
    boolean cancelNow;
    synchronized (this) {
      cancelNow = a.cancelled;
      if (!cancelNow && !a.done) {
        a.exchange = c;
      }
    }
    if (cancelNow) {
      cancelQuietly(c);
    }
  }

  private static void cancelQuietly(Scheduler.Cancellable c) {
    try {
      c.cancel();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cancelling an attempt failed", e);
    }
  }

  private void log(Attempt<R> a, AttemptResult<R> r, @Nullable String reason) {
    debug(() -> request + " " + a + " " + a.lease().backend().uri() + ": " + r
        + (reason == null ? "" : "; " + reason));
  }

  private static void debug(java.util.function.Supplier<String> message) {
    if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
      LOG.log(System.Logger.Level.DEBUG, message.get());
    }
  }

  @Override
  public synchronized String toString() {
    return "Execution{" + request + ", " + state + ", " + sent + " sent}";
  }
}
