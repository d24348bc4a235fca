package dev.lb4j.core.health;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.Ticker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A health probe for tests: what each check of a backend does is scripted per backend id (healthy by
 * default), and every call is recorded: how many, when (by the test's ticker), the stages handed to
 * the engine, and how many checks of one backend were in flight at once.
 *
 * <p>A check is "in flight" from the call until the stage it returned completes in any way (including
 * being cancelled by the engine); a check that threw or returned {@code null} was never in flight.
 * Overlap is measured when a check starts, from whether the earlier stages are done (a future's own
 * state), so it does not depend on when their completion callbacks happen to run.
 */
final class ScriptedProbe implements HealthProbe {

  /** What one check of a backend does; {@code call} counts this backend's checks from 1. */
  @FunctionalInterface
  interface Step {
    @Nullable CompletionStage<HealthResult> run(Backend backend, int call);
  }

  static final Step HEALTHY = (b, n) -> CompletableFuture.completedFuture(HealthResult.healthy());

  /** Fails with the reason {@code reason + " #" + call}, so tests can tell which check was last. */
  static Step failing(String reason) {
    return (b, n) -> CompletableFuture.completedFuture(HealthResult.unhealthy(reason + " #" + n));
  }

  private final Ticker ticker;
  private final Map<String, Step> steps = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, List<Long>> callTimes = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> maxInFlight = new ConcurrentHashMap<>();
  private final Map<String, List<CompletionStage<HealthResult>>> stages = new ConcurrentHashMap<>();
  private final List<Duration> timeouts = new CopyOnWriteArrayList<>();

  ScriptedProbe(Ticker ticker) {
    this.ticker = ticker;
  }

  /** From now on, checks of {@code backendId} do {@code step}. */
  ScriptedProbe set(String backendId, Step step) {
    steps.put(backendId, step);
    return this;
  }

  /** From now on, checks of {@code backendId} fail with exactly {@code reason}. */
  ScriptedProbe fail(String backendId, String reason) {
    return set(
        backendId, (b, n) -> CompletableFuture.completedFuture(HealthResult.unhealthy(reason)));
  }

  /** From now on, checks of {@code backendId} pass. */
  ScriptedProbe pass(String backendId) {
    return set(backendId, HEALTHY);
  }

  @Override
  @SuppressWarnings("NullAway") // passes on a script's null: that is how tests break the contract
  public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
    String id = backend.id();
    int call = calls.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
    callTimes.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(ticker.nanoTime());
    timeouts.add(timeout);
    CompletionStage<HealthResult> stage = steps.getOrDefault(id, HEALTHY).run(backend, call);
    if (stage != null) {
      List<CompletionStage<HealthResult>> earlier =
          stages.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
      int now = 1;
      for (CompletionStage<HealthResult> e : earlier) {
        if (e != stage && !isDone(e)) {
          now++;
        }
      }
      maxInFlight.computeIfAbsent(id, k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
      earlier.add(stage);
      AtomicInteger current = inFlight.computeIfAbsent(id, k -> new AtomicInteger());
      current.incrementAndGet();
      @SuppressWarnings("FutureReturnValueIgnored") // only observes the stage
      Object unused = stage.whenComplete((r, e) -> current.decrementAndGet());
    }
    return stage;
  }

  private static boolean isDone(CompletionStage<?> stage) {
    if (stage instanceof Future<?> f) {
      try {
        return f.isDone();
      } catch (UnsupportedOperationException e) { // a minimal stage: ask its copy
        return stage.toCompletableFuture().isDone();
      }
    }
    return stage.toCompletableFuture().isDone();
  }

  /** Checks of {@code backendId} so far. */
  int calls(String backendId) {
    AtomicInteger n = calls.get(backendId);
    return n == null ? 0 : n.get();
  }

  /** Ticker readings at each check of {@code backendId}, in call order. */
  List<Long> callTimes(String backendId) {
    return new ArrayList<>(callTimes.getOrDefault(backendId, List.of()));
  }

  /** The largest number of checks of {@code backendId} that were in flight together. */
  int maxInFlight(String backendId) {
    AtomicInteger n = maxInFlight.get(backendId);
    return n == null ? 0 : n.get();
  }

  /** Checks of {@code backendId} in flight now. */
  int inFlight(String backendId) {
    AtomicInteger n = inFlight.get(backendId);
    return n == null ? 0 : n.get();
  }

  /** The stages handed to the engine for {@code backendId}, in call order. */
  List<CompletionStage<HealthResult>> stages(String backendId) {
    return new ArrayList<>(stages.getOrDefault(backendId, List.of()));
  }

  /** The timeouts the engine passed, one per check. */
  List<Duration> timeouts() {
    return new ArrayList<>(timeouts);
  }

  @Override
  public String toString() {
    return "scripted";
  }
}
