package dev.lb4j.core.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.policy.HedgingPolicy;
import dev.lb4j.core.policy.RetryBudget;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The attempt loop's state machine without HTTP: a fake transport, a {@link ManualClock} for the
 * ticker, the back-off and the hedge delays, a real load balancer over three backends. After every
 * test every lease is released: the pool and each backend report 0 in flight.
 */
class AttemptLoopTest {

  private static final RequestView GET = RequestView.of("GET", "/items/7");
  private static final RequestView POST = RequestView.of("POST", "/items");
  private static final Duration HEDGE_DELAY = Duration.ofMillis(100);

  /** Checks after each test that every lease was released, then closes the load balancer. */
  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private final LoadBalancer lb =
      engine.pool("api", p -> p.backend("http://a").backend("http://b").backend("http://c"));
  private final RetryBudget budget = RetryBudget.of(20, 10, Duration.ofSeconds(10), clock);

  // ------------------------------------------------------------------ fixtures

  private RetryPolicy.Builder retries() {
    return RetryPolicy.builder().ticker(clock).budget(budget).backoff(Duration.ZERO, Duration.ZERO);
  }

  private AttemptLoop.Builder loopWith(RetryPolicy policy) {
    return AttemptLoop.builder(lb)
        .retryPolicy(policy)
        .ticker(clock)
        .scheduler(clock)
        .sleeper(clock::advanceNanos);
  }

  private AttemptLoop loop(RetryPolicy policy) {
    return loopWith(policy).build();
  }

  private AttemptLoop hedgingLoop(int maxAttempts) {
    return loopWith(retries().maxAttempts(3).build())
        .hedging(HedgingPolicy.builder(HEDGE_DELAY).maxAttempts(maxAttempts).build())
        .build();
  }

  private Lease first(RequestView request) {
    return lb.select(request).leaseOrThrow();
  }

  private BackendStats stats(Backend backend) {
    return lb.stats().pool("api").backend(backend.id());
  }

  private static AttemptResult<String> status(int status) {
    return AttemptResult.response(status, "body " + status);
  }

  private static AttemptResult<String> error(ErrorKind kind) {
    return AttemptResult.failure(kind, new IOException(kind.toString()), false, null);
  }

  /** A blocking transport answering each attempt with the next scripted result. */
  private static class Script implements BlockingTransport<String> {
    final List<Attempt<String>> attempts = new ArrayList<>();
    private final List<AttemptResult<String>> results;

    Script(List<AttemptResult<String>> results) {
      this.results = results;
    }

    @Override
    public AttemptResult<String> send(Attempt<String> attempt) {
      attempts.add(attempt);
      assertThat(attempt.lease().isOpen()).as("the lease of the attempt being sent").isTrue();
      return results.get(attempts.size() - 1);
    }

    List<Backend> backends() {
      return attempts.stream().map(a -> a.lease().backend()).toList();
    }
  }

  /** An asynchronous transport whose attempts the test completes, recording cancellations. */
  private static final class Pending implements AsyncTransport<String> {
    final List<Attempt<String>> attempts = new ArrayList<>();
    final List<Attempt<String>> cancelled = new ArrayList<>();

    @Override
    public dev.lb4j.core.Scheduler.Cancellable start(Attempt<String> attempt) {
      attempts.add(attempt);
      return () -> cancelled.add(attempt);
    }

    Attempt<String> get(int number) {
      return attempts.get(number - 1);
    }

    List<Backend> backendsOf() {
      return attempts.stream().map(a -> a.lease().backend()).toList();
    }
  }

  // ------------------------------------------------------------------ one attempt

  @Test
  void aSuccessfulFirstAttemptIsTheResultAndCompletesItsLease() throws Exception {
    Script script = new Script(List.of(status(200)));
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    assertThat(call.state()).isEqualTo(Execution.State.FIRST_ATTEMPT);

    CallResult<String> result = call.runBlocking(script);

    assertThat(call.state()).isEqualTo(Execution.State.DONE);
    assertThat(result.result().value()).isEqualTo("body 200");
    assertThat(result.attempts()).isEqualTo(1);
    assertThat(result.backendsTried()).containsExactly(script.attempts.get(0).lease().backend());
    assertThat(stats(result.attempt().lease().backend()).completed()).isEqualTo(1);
    assertThat(lb.stats().pool("api").retries()).isZero();
  }

  @Test
  void aSuccessfulFirstAttemptCompletesTheAsynchronousCall() {
    Pending transport = new Pending();
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);

    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    assertThat(call.state()).isEqualTo(Execution.State.AWAITING_OUTCOME);
    assertThat(f).isNotDone();
    transport.get(1).complete(status(200));

    assertThat(f).isCompleted();
    assertThat(f.join().result().status()).isEqualTo(200);
    assertThat(call.state()).isEqualTo(Execution.State.DONE);
  }

  @Test
  void anExecutionRunsOnce() throws Exception {
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    call.runBlocking(new Script(List.of(status(200))));

    assertThatThrownBy(() -> call.runBlocking(new Script(List.of(status(200)))))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("already run");
  }

  // ------------------------------------------------------------------ retry decisions

  @Test
  void aRetryableStatusIsRetriedOnAnotherBackendAndTheRetrysAnswerWins() throws Exception {
    Script script = new Script(List.of(status(503), status(200)));
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);

    CallResult<String> result = call.runBlocking(script);

    assertThat(result.result().status()).isEqualTo(200);
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(script.backends()).doesNotHaveDuplicates();
    assertThat(result.backendsTried()).isEqualTo(script.backends());
    assertThat(stats(script.backends().get(0)).failures()).as("the 503 counts").isEqualTo(1);
    assertThat(stats(script.backends().get(1)).completed()).isEqualTo(1);
    assertThat(lb.stats().pool("api").retries()).isEqualTo(1);
  }

  @Test
  void anAsynchronousRetryWaitsForItsBackOffOnTheScheduler() {
    RetryPolicy policy =
        retries().backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    Pending transport = new Pending();
    Execution<String> call = loop(policy).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);

    transport.get(1).complete(status(503));

    assertThat(call.state()).isIn(Execution.State.BACKING_OFF, Execution.State.AWAITING_OUTCOME);
    clock.advance(Duration.ofSeconds(1)); // the full-jitter back-off is at most 1 s
    assertThat(transport.attempts).hasSize(2);
    assertThat(call.state()).isEqualTo(Execution.State.AWAITING_OUTCOME);
    transport.get(2).complete(status(200));
    assertThat(f.join().result().status()).isEqualTo(200);
  }

  @Test
  void aNonRetryableStatusIsTheAnswer() throws Exception {
    Script script = new Script(List.of(status(500)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(500);
    assertThat(script.attempts).hasSize(1);
    assertThat(stats(script.backends().get(0)).failures()).isEqualTo(1);
  }

  @Test
  void aConnectFailureIsRetriedAndKeptAsAnEarlierFailure() throws Exception {
    Script script = new Script(List.of(error(ErrorKind.CONNECT), status(200)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(200);
    assertThat(result.earlierFailures()).hasSize(1);
    assertThat(stats(script.backends().get(0)).failures()).isEqualTo(1);
  }

  @Test
  void aProtocolErrorIsRetriedElsewhereByDefaultAndCountsAgainstItsBackend() throws Exception {
    Script script = new Script(List.of(error(ErrorKind.PROTOCOL), status(200)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(200);
    assertThat(script.attempts).hasSize(2);
    assertThat(script.backends().get(1)).isNotEqualTo(script.backends().get(0));
    assertThat(stats(script.backends().get(0)).failures()).isEqualTo(1);
  }

  @Test
  void aStatusOutsideHttpIsAProtocolFailureAndFinal() throws Exception {
    Script script = new Script(List.of(status(999)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(999);
    assertThat(script.attempts).hasSize(1);
    assertThat(stats(script.backends().get(0)).failures()).isEqualTo(1);
  }

  @Test
  void aCancelledAttemptIsFinalAndNotHeldAgainstItsBackend() throws Exception {
    Script script = new Script(List.of(error(ErrorKind.CANCELLED)));
    loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    BackendStats b = stats(script.backends().get(0));
    assertThat(b.failures()).isZero();
    assertThat(b.cancelled()).isEqualTo(1);
  }

  @Test
  void aFailureAfterPartOfTheResponseReachedTheCallerIsNotRetried() throws Exception {
    Script script =
        new Script(List.of(AttemptResult.failure(ErrorKind.RESET, new IOException("reset"), true, null)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().errorKind()).isEqualTo(ErrorKind.RESET);
    assertThat(script.attempts).hasSize(1);
    assertThat(stats(script.backends().get(0)).failures()).isEqualTo(1);
  }

  @Test
  void theCallersOwnFailureCountsTheStatusThatArrivedAndIsNeverRetried() throws Exception {
    Script script =
        new Script(List.of(AttemptResult.callerFailure(new IllegalStateException("parse"), 503, null)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().kind()).isEqualTo(AttemptResult.Kind.CALLER_FAILURE);
    assertThat(script.attempts).hasSize(1);
    assertThat(stats(script.backends().get(0)).failures()).as("the 503 that arrived").isEqualTo(1);
  }

  @Test
  void aNonReplayableBodyIsNeverRetried() throws Exception {
    Script script = new Script(List.of(status(503)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), false, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(503);
    assertThat(script.attempts).hasSize(1);
  }

  @Test
  void aNonIdempotentMethodIsNotRetriedAfterAStatus() throws Exception {
    Script script = new Script(List.of(status(503)));
    loop(retries().build()).<String>begin(POST, first(POST), true, null).runBlocking(script);

    assertThat(script.attempts).hasSize(1);
  }

  @Test
  void withoutARetryPolicyEveryRequestGetsOneAttempt() throws Exception {
    Script script = new Script(List.of(error(ErrorKind.CONNECT)));
    AttemptLoop loop = AttemptLoop.builder(lb).ticker(clock).build();
    CallResult<String> result = loop.<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.attempts()).isEqualTo(1);
    assertThat(result.result().errorKind()).isEqualTo(ErrorKind.CONNECT);
  }

  @Test
  void anExhaustedBudgetEndsTheCallWithTheLastResult() throws Exception {
    RetryBudget empty = RetryBudget.of(1, 0, Duration.ofSeconds(10), clock); // 0.01 per request
    Script script = new Script(List.of(status(503)));
    RetryPolicy policy = RetryPolicy.builder().ticker(clock).budget(empty).build();

    CallResult<String> result =
        loop(policy).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(503);
    assertThat(script.attempts).hasSize(1);
    assertThat(lb.stats().pool("api").retries()).isZero();
  }

  @Test
  void attemptsAreExhaustedAfterMaxAttempts() throws Exception {
    Script script = new Script(List.of(status(503), status(503)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    assertThat(result.result().status()).isEqualTo(503);
    assertThat(result.attempts()).isEqualTo(2);
  }

  @Test
  void onceEveryBackendWasTriedARetryGoesToAnyButThePreviousOne() throws Exception {
    Script script = new Script(List.of(status(503), status(503), status(503), status(200)));
    CallResult<String> result =
        loop(retries().maxAttempts(4).build())
            .<String>begin(GET, first(GET), true, null)
            .runBlocking(script);

    List<Backend> b = script.backends();
    assertThat(result.result().status()).isEqualTo(200);
    assertThat(b.subList(0, 3)).as("three backends, each once").doesNotHaveDuplicates();
    assertThat(b.get(3)).as("then any but the previous").isNotEqualTo(b.get(2));
    assertThat(result.backendsTried()).hasSize(4);
  }

  @Test
  void theDeadlinePassingDuringTheBackOffEndsTheCallAndRefundsTheBudget() throws Exception {
    RetryBudget hourly = RetryBudget.of(20, 10, Duration.ofHours(1), clock); // outlasts the test
    RetryPolicy policy =
        RetryPolicy.builder().ticker(clock).budget(hourly)
            .backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    AttemptLoop late =
        AttemptLoop.builder(lb)
            .retryPolicy(policy)
            .ticker(clock)
            .sleeper(nanos -> clock.advance(Duration.ofSeconds(20))) // wakes up late
            .build();
    Script script = new Script(List.of(status(503)));
    Execution<String> call = late.begin(GET, first(GET), true, Duration.ofSeconds(10));
    double before = hourly.balance();

    CallResult<String> result = call.runBlocking(script);

    assertThat(result.result().status()).as("the last result stands").isEqualTo(503);
    assertThat(script.attempts).hasSize(1);
    assertThat(hourly.balance()).as("the retry never sent gave its token back").isEqualTo(before);
    assertThat(lb.stats().pool("api").retries()).isZero();
  }

  @Test
  void anAttemptPastTheRequestsDeadlineIsMarkedExpiredAndNotRetried() throws Exception {
    Script script = new Script(List.of(status(503)));
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, Duration.ZERO);

    CallResult<String> result = call.runBlocking(script);

    assertThat(result.attempts()).isEqualTo(1);
    assertThat(script.attempts.get(0).expired()).isEqualTo("request timed out");
  }

  @Test
  void anAttemptCutShortByTheRequestsDeadlineIsNotHeldAgainstItsBackend() throws Exception {
    Script script = new Script(List.of(status(503), error(ErrorKind.TIMEOUT))) {
      @Override
      public AttemptResult<String> send(Attempt<String> attempt) {
        if (attempt.number() == 1) {
          clock.advance(Duration.ofMillis(600)); // the first attempt takes most of the timeout
        }
        return super.send(attempt);
      }
    };
    // Not split: the first attempt may take the whole timeout, so the retry is what gets cut.
    Execution<String> call = loop(retries().splitRequestTimeout(false).build())
        .begin(GET, first(GET), true, Duration.ofSeconds(1));

    CallResult<String> result = call.runBlocking(script);

    Attempt<String> retry = script.attempts.get(1);
    assertThat(script.attempts.get(0).cutByDeadline()).isFalse();
    assertThat(retry.cutByDeadline()).isTrue();
    assertThat(retry.timeout()).isEqualTo(Duration.ofMillis(400));
    assertThat(result.result().errorKind()).isEqualTo(ErrorKind.TIMEOUT);
    assertThat(stats(retry.lease().backend()).failures()).isZero();
    assertThat(stats(retry.lease().backend()).cancelled()).isEqualTo(1);
  }

  @Test
  void aHungFirstAttemptGetsHalfTheRequestsTimeoutLeavingTheRestForItsRetry() throws Exception {
    Script script = new Script(List.of(error(ErrorKind.TIMEOUT), status(200))) {
      @Override
      public AttemptResult<String> send(Attempt<String> attempt) {
        if (attempt.number() == 1) {
          // never answers: it times out after its own timeout
          clock.advance(java.util.Objects.requireNonNull(attempt.timeout()));
        }
        return super.send(attempt);
      }
    };
    Execution<String> call =
        loop(retries().build()).begin(GET, first(GET), true, Duration.ofSeconds(1));

    CallResult<String> result = call.runBlocking(script);

    Attempt<String> hung = script.attempts.get(0);
    Attempt<String> retry = script.attempts.get(1);
    assertThat(hung.timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(retry.timeout()).as("all that is left").isEqualTo(Duration.ofMillis(500));
    assertThat(hung.cutByDeadline()).isFalse();
    assertThat(retry.cutByDeadline()).as("it had its even share").isFalse();
    assertThat(result.result().status()).isEqualTo(200);
    assertThat(stats(hung.lease().backend()).failures()).as("the hung backend's TIMEOUT")
        .isEqualTo(1);
  }

  @Test
  void aRequestThatCannotBeRetriedGivesItsOnlyAttemptTheWholeTimeout() throws Exception {
    Script script = new Script(List.of(status(200)));
    loop(retries().build()).<String>begin(POST, first(POST), true, Duration.ofSeconds(1))
        .runBlocking(script);
    Script unreplayable = new Script(List.of(status(200)));
    loop(retries().build()).<String>begin(GET, first(GET), false, Duration.ofSeconds(1))
        .runBlocking(unreplayable);

    assertThat(script.attempts.get(0).timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(unreplayable.attempts.get(0).timeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void noBackendForTheRetryRefundsTheBudgetAndTheLastResultStands() throws Exception {
    Script script = new Script(List.of(status(503))) {
      @Override
      public AttemptResult<String> send(Attempt<String> attempt) {
        for (BackendStats b : lb.stats().pool("api").backends()) {
          lb.admin().disable("api", b.id()); // every backend leaves during the attempt
        }
        return super.send(attempt);
      }
    };
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    double before = budget.balance();

    CallResult<String> result = call.runBlocking(script);

    assertThat(result.result().status()).isEqualTo(503);
    assertThat(result.attempts()).isEqualTo(1);
    assertThat(budget.balance()).isEqualTo(before);
    assertThat(lb.stats().pool("api").retries()).isZero();
  }

  @Test
  void anAttemptNotSentEndsTheCallAndGivesItsRetryTokenBack() throws Exception {
    Script script =
        new Script(List.of(status(503), AttemptResult.notSent(new IOException("cannot build"))));
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    double before = budget.balance();

    CallResult<String> result = call.runBlocking(script);

    assertThat(result.result().kind()).isEqualTo(AttemptResult.Kind.NOT_SENT);
    assertThat(result.attempts()).isEqualTo(1);
    assertThat(result.backendsTried()).hasSize(1);
    assertThat(budget.balance()).isEqualTo(before);
    assertThat(stats(script.backends().get(1)).cancelled()).isEqualTo(1);
  }

  @Test
  void theFinalFailureListsThePoolTheAttemptsAndTheBackendsTried() throws Exception {
    AttemptResult<String> firstFailure = error(ErrorKind.CONNECT);
    Script script = new Script(List.of(firstFailure, error(ErrorKind.CONNECT)));
    CallResult<String> result =
        loop(retries().build()).<String>begin(GET, first(GET), true, null).runBlocking(script);

    String message = result.failureMessage(null);
    assertThat(message).startsWith("pool 'api', 2 attempts, backends tried: ");
    for (Backend b : script.backends()) {
      assertThat(message).contains(b.id() + " (" + b.uri() + ")");
    }
    assertThat(result.earlierFailures()).containsExactly(firstFailure.error());
    assertThat(result.failureMessage("refused")).startsWith("refused (pool 'api'");
  }

  // ------------------------------------------------------------------ cancellation

  @Test
  void cancellingBeforeTheFirstAttemptReleasesTheFirstLease() {
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);

    assertThat(call.cancel()).isTrue();

    assertThat(call.state()).isEqualTo(Execution.State.DONE);
    assertThat(call.cancel()).as("idempotent").isFalse();
    assertThatThrownBy(() -> call.runAsync(new Pending()))
        .isInstanceOf(CancellationException.class);
  }

  @Test
  void cancellingWhileAwaitingTheOutcomeReleasesTheLeaseAndCancelsTheExchange() {
    Pending transport = new Pending();
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);

    call.cancel();

    assertThat(transport.cancelled).containsExactly(transport.get(1));
    assertThat(f).isCompletedExceptionally();
    assertThat(stats(transport.get(1).lease().backend()).cancelled()).isEqualTo(1);
    transport.get(1).complete(status(200)); // the late answer changes nothing
    assertThat(stats(transport.get(1).lease().backend()).completed()).isZero();
    assertThat(transport.get(1).commit()).isFalse();
  }

  @Test
  void cancellingDuringTheBackOffStopsTheRetryAndRefundsTheBudget() {
    RetryPolicy policy = retries().backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    Pending transport = new Pending();
    Execution<String> call = loop(policy).begin(GET, first(GET), true, null);
    double before = budget.balance();
    CompletableFuture<CallResult<String>> unused = call.runAsync(transport);
    assertThat(unused).isNotDone();
    transport.get(1).complete(status(503));
    assertThat(call.state()).isEqualTo(Execution.State.BACKING_OFF);
    assertThat(budget.balance()).isEqualTo(before - 1);

    call.cancel();

    assertThat(clock.pendingTasks()).as("the back-off timer").isZero();
    assertThat(budget.balance()).isEqualTo(before);
    clock.advance(Duration.ofSeconds(5));
    assertThat(transport.attempts).hasSize(1);
  }

  @Test
  void anInterruptDuringTheBlockingBackOffReleasesEverythingAndRefundsTheBudget() {
    RetryPolicy policy = retries().backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    AttemptLoop interrupted =
        AttemptLoop.builder(lb)
            .retryPolicy(policy)
            .ticker(clock)
            .sleeper(nanos -> {
              throw new InterruptedException("stop");
            })
            .build();
    Execution<String> call = interrupted.begin(GET, first(GET), true, null);
    double before = budget.balance();

    assertThatThrownBy(() -> call.runBlocking(new Script(List.of(status(503)))))
        .isInstanceOf(InterruptedException.class);

    assertThat(call.state()).isEqualTo(Execution.State.DONE);
    assertThat(budget.balance()).isEqualTo(before);
  }

  @Test
  void anInterruptDuringABlockingAttemptReleasesItsLeaseAsCancelled() {
    Execution<String> call = loop(retries().build()).begin(GET, first(GET), true, null);
    List<Lease> sent = new ArrayList<>();

    assertThatThrownBy(
            () ->
                call.runBlocking(
                    attempt -> {
                      sent.add(attempt.lease());
                      throw new InterruptedException("stop");
                    }))
        .isInstanceOf(InterruptedException.class);

    assertThat(sent.get(0).isOpen()).isFalse();
    assertThat(stats(sent.get(0).backend()).cancelled()).isEqualTo(1);
  }

  @Test
  void anExecutorThatRefusesTheRetryEndsTheCallWithTheLastResultAndRefundsTheBudget() {
    RetryPolicy policy = retries().backoff(Duration.ofSeconds(1), Duration.ofSeconds(1)).build();
    AttemptLoop refusing =
        loopWith(policy)
            .executor(task -> {
              throw new RejectedExecutionException("shut down");
            })
            .build();
    Pending transport = new Pending();
    Execution<String> call = refusing.begin(GET, first(GET), true, null);
    double before = budget.balance();
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    transport.get(1).complete(status(503));

    clock.advance(Duration.ofSeconds(1));

    assertThat(f.join().result().status()).isEqualTo(503);
    assertThat(budget.balance()).isEqualTo(before);
    assertThat(transport.attempts).hasSize(1);
  }

  // ------------------------------------------------------------------ hedging

  @Test
  void aHedgeGoesToAnotherBackendAfterTheDelayAndDrawsOnTheBudget() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(2).begin(GET, first(GET), true, null);
    double before = budget.balance();
    CompletableFuture<CallResult<String>> unused = call.runAsync(transport);
    assertThat(unused).isNotDone();
    assertThat(call.state()).isEqualTo(Execution.State.HEDGING);

    clock.advance(HEDGE_DELAY.minusNanos(1));
    assertThat(transport.attempts).as("before the delay").hasSize(1);
    clock.advanceNanos(1);

    assertThat(transport.attempts).hasSize(2);
    assertThat(transport.get(2).isHedge()).isTrue();
    assertThat(transport.get(2).lease().backend()).isNotEqualTo(transport.get(1).lease().backend());
    assertThat(call.state()).as("at most 2 attempts").isEqualTo(Execution.State.AWAITING_OUTCOME);
    assertThat(budget.balance()).as("the hedge's token").isEqualTo(before - 1);
    call.cancel();
    assertThat(transport.cancelled).hasSize(2);
  }

  @Test
  void theHedgeWinsAndTheOriginalIsCancelledAndReleasedAsCancelled() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(2).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY);
    Attempt<String> original = transport.get(1);
    Attempt<String> hedge = transport.get(2);

    assertThat(hedge.mayRetry(200)).isFalse();
    assertThat(hedge.commit()).isTrue();

    assertThat(transport.cancelled).containsExactly(original);
    assertThat(original.commit()).as("the loser may not answer").isFalse();
    hedge.complete(status(200));
    original.complete(status(200)); // arrives late: ignored
    CallResult<String> result = f.join();
    assertThat(result.attempt()).isSameAs(hedge);
    assertThat(result.attempts()).isEqualTo(2);
    BackendStats loser = stats(original.lease().backend());
    assertThat(loser.cancelled()).isEqualTo(1);
    assertThat(loser.failures()).isZero();
    assertThat(loser.completed()).isZero();
    assertThat(stats(hedge.lease().backend()).completed()).isEqualTo(1);
  }

  @Test
  void theOriginalWinsAndTheHedgeIsCancelled() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(2).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY);

    transport.get(1).complete(status(200)); // final without a commit: wins all the same

    assertThat(f.join().attempt()).isSameAs(transport.get(1));
    assertThat(transport.cancelled).containsExactly(transport.get(2));
    assertThat(stats(transport.get(2).lease().backend()).cancelled()).isEqualTo(1);
  }

  @Test
  void anAnswerBeforeTheDelayMeansNoHedge() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(2).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);

    transport.get(1).complete(status(200));

    assertThat(f.join().attempts()).isEqualTo(1);
    assertThat(clock.pendingTasks()).as("the hedge timer").isZero();
  }

  @Test
  void whenBothAttemptsFailTheLastFailureStands() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(2).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY);
    assertThat(transport.get(1).mayRetry(503)).as("another attempt may still answer").isTrue();

    transport.get(1).complete(status(503));
    assertThat(f).as("the hedge may still answer").isNotDone();
    transport.get(2).complete(error(ErrorKind.RESET));

    CallResult<String> result = f.join();
    assertThat(result.attempt()).isSameAs(transport.get(2));
    assertThat(result.attempts()).isEqualTo(2);
    assertThat(transport.cancelled).isEmpty();
  }

  @Test
  void aFailedAttemptSendsTheNextHedgeAtOnce() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(3).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY);
    assertThat(call.state()).isEqualTo(Execution.State.HEDGING);

    transport.get(1).complete(error(ErrorKind.CONNECT));

    assertThat(transport.attempts).as("the third attempt, without waiting").hasSize(3);
    assertThat(transport.backendsOf()).doesNotHaveDuplicates();
    transport.get(3).complete(status(200));
    assertThat(f.join().attempt()).isSameAs(transport.get(3));
    assertThat(transport.cancelled).containsExactly(transport.get(2));
  }

  @Test
  void aRetryAfterTheOnlyAttemptFailedWaitsAFullDelayBeforeItsOwnHedge() {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(3).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY.dividedBy(2));

    transport.get(1).complete(status(503)); // retried at once (no back-off), hedge timer re-armed
    assertThat(transport.attempts).hasSize(2);
    assertThat(transport.get(2).isHedge()).isFalse();
    clock.advance(HEDGE_DELAY.dividedBy(2));
    assertThat(transport.attempts).as("the first attempt's hedge timer is gone").hasSize(2);
    clock.advance(HEDGE_DELAY.dividedBy(2));

    assertThat(transport.attempts).hasSize(3);
    assertThat(transport.get(3).isHedge()).isTrue();
    transport.get(3).complete(status(200));
    assertThat(f.join().attempt()).isSameAs(transport.get(3));
  }

  @Test
  void aNonIdempotentRequestIsNeverHedged() {
    Pending transport = new Pending();
    AttemptLoop loop = hedgingLoop(2);
    assertThat(loop.hedges(POST, true)).isFalse();
    assertThat(loop.hedges(GET, false)).isFalse();
    Execution<String> call = loop.begin(POST, first(POST), true, null);
    CompletableFuture<CallResult<String>> unused = call.runAsync(transport);
    assertThat(unused).isNotDone();

    clock.advance(HEDGE_DELAY.multipliedBy(10));

    assertThat(transport.attempts).hasSize(1);
    call.cancel();
  }

  @Test
  void noHedgeIsSentWhenTheBudgetIsExhausted() {
    RetryBudget empty = RetryBudget.of(1, 0, Duration.ofSeconds(10), clock);
    AttemptLoop loop =
        loopWith(RetryPolicy.builder().ticker(clock).budget(empty).build())
            .hedging(HedgingPolicy.builder(HEDGE_DELAY).build())
            .build();
    Pending transport = new Pending();
    Execution<String> call = loop.begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> unused = call.runAsync(transport);
    assertThat(unused).isNotDone();

    clock.advance(HEDGE_DELAY);

    assertThat(transport.attempts).hasSize(1);
    assertThat(call.state()).isEqualTo(Execution.State.AWAITING_OUTCOME);
    call.cancel();
  }

  @Test
  void cancellingWhileHedgingReleasesEveryAttempt() throws Exception {
    Pending transport = new Pending();
    Execution<String> call = hedgingLoop(3).begin(GET, first(GET), true, null);
    CompletableFuture<CallResult<String>> f = call.runAsync(transport);
    clock.advance(HEDGE_DELAY);
    assertThat(call.state()).isEqualTo(Execution.State.HEDGING);

    call.cancel();

    assertThat(transport.cancelled).hasSize(2);
    assertThat(clock.pendingTasks()).isZero();
    assertThatThrownBy(() -> f.get(1, java.util.concurrent.TimeUnit.SECONDS))
        .isNotInstanceOf(TimeoutException.class);
  }

  @Test
  void hedgingNeedsARetryPolicyForItsBudget() {
    assertThatThrownBy(
            () -> AttemptLoop.builder(lb).hedging(HedgingPolicy.builder(HEDGE_DELAY).build()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("hedging");
    assertThatThrownBy(() -> HedgingPolicy.builder(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("hedging.delay: PT0S (expected: PT0.001S..PT1H)");
    assertThatThrownBy(() -> HedgingPolicy.builder(HEDGE_DELAY).maxAttempts(1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aLoopSettingMaySetOnlyOnce() {
    assertThatThrownBy(() -> AttemptLoop.builder(lb).ticker(clock).ticker(clock))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("ticker was already set");
  }

  @Test
  void aConnectExceptionCanBeTheRecordedError() {
    AttemptResult<String> r =
        AttemptResult.failure(ErrorKind.CONNECT, new ConnectException(), false, null);
    assertThat(r.toString()).startsWith("CONNECT");
    assertThatThrownBy(() -> AttemptResult.failure(ErrorKind.NONE, new IOException(), false, null))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
