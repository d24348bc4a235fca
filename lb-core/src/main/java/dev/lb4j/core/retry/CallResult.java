package dev.lb4j.core.retry;

import dev.lb4j.api.Backend;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a call ended: its final attempt and that attempt's result (the last attempt's result stands
 * when no retry could follow), with what the adapter needs to explain a failure. Immutable.
 *
 * @param <R> what the adapter keeps of an attempt
 * @param attempt the attempt whose result is the call's
 * @param result that attempt's result
 * @param attempts how many attempts were sent
 * @param backendsTried the backends attempted, in order (a backend tried twice appears twice)
 * @param earlierFailures the exceptions of the other attempts that failed, in order
 * @since 0.1.0
 */
public record CallResult<R>(
    Attempt<R> attempt,
    AttemptResult<R> result,
    int attempts,
    List<Backend> backendsTried,
    List<Throwable> earlierFailures) {

  /**
   * Copies the lists.
   *
   * @param attempt the final attempt
   * @param result its result
   * @param attempts attempts sent
   * @param backendsTried backends attempted
   * @param earlierFailures other attempts' exceptions
   */
  public CallResult {
    backendsTried = List.copyOf(backendsTried);
    earlierFailures = List.copyOf(earlierFailures);
  }

  /**
   * One line for an exception message or a log: the pool, the attempts and the backends tried,
   * such as {@code pool 'api', 2 attempts, backends tried: a (http://10.0.0.1:80), b
   * (http://10.0.0.2:80)}.
   *
   * @return the description
   */
  public String describe() {
    StringBuilder b = new StringBuilder(64 + 48 * backendsTried.size());
    b.append("pool '").append(attempt.lease().pool()).append("', ").append(attempts)
        .append(attempts == 1 ? " attempt" : " attempts").append(", backend")
        .append(backendsTried.size() == 1 ? "" : "s").append(" tried: ");
    for (int i = 0; i < backendsTried.size(); i++) {
      Backend backend = backendsTried.get(i);
      if (i > 0) {
        b.append(", ");
      }
      b.append(backend.id()).append(" (").append(backend.uri()).append(')');
    }
    return b.toString();
  }

  /**
   * A message for the final failure: its own message, then {@link #describe()}.
   *
   * @param original the failure's own message, or {@code null}
   * @return the message
   */
  public String failureMessage(@Nullable String original) {
    return original == null || original.isEmpty()
        ? describe()
        : original + " (" + describe() + ")";
  }
}
