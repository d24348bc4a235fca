package dev.lb4j.core;

import dev.lb4j.api.Backend;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.core.routing.RouteMatch;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What {@link LoadBalancer#explain} found for one request: a readable trace (which rule matched and
 * why the earlier ones did not, each policy's decision, the candidate backends with their state and
 * the algorithm's inputs, the backend picked), plus the main facts as values. Immutable.
 *
 * @since 0.1.0
 */
public final class Explanation {

  private final List<String> lines;
  private final @Nullable RouteMatch route;
  private final @Nullable String rejectedBy;
  private final PolicyDecision.@Nullable Reject rejection;
  private final @Nullable Backend backend;

  Explanation(
      List<String> lines,
      @Nullable RouteMatch route,
      @Nullable String rejectedBy,
      PolicyDecision.@Nullable Reject rejection,
      @Nullable Backend backend) {
    this.lines = List.copyOf(lines);
    this.route = route;
    this.rejectedBy = rejectedBy;
    this.rejection = rejection;
    this.backend = backend;
  }

  /**
   * The trace, one fact per line, in the order the engine decides.
   *
   * @return an immutable list
   */
  public List<String> lines() {
    return lines;
  }

  /**
   * Where routing sent the request.
   *
   * @return the match, or {@code null} when no rule matched and there is no default pool
   */
  public @Nullable RouteMatch route() {
    return route;
  }

  /**
   * The policy that would reject the request.
   *
   * @return its name, or {@code null} when every policy admits it
   */
  public @Nullable String rejectedBy() {
    return rejectedBy;
  }

  /**
   * The rejecting policy's decision.
   *
   * @return the decision, or {@code null} when admitted
   */
  public PolicyDecision.@Nullable Reject rejection() {
    return rejection;
  }

  /**
   * The backend the algorithm picks now (a real selection may differ: load changes, slow start
   * draws, random algorithms).
   *
   * @return the backend, or {@code null} when none would be picked
   */
  public @Nullable Backend backend() {
    return backend;
  }

  /**
   * Whether the request would get a backend.
   *
   * @return {@code true} when routed, admitted and a backend is picked
   */
  public boolean admitted() {
    return rejection == null && backend != null;
  }

  @Override
  public String toString() {
    return String.join(System.lineSeparator(), lines);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Explanation e && e.lines.equals(lines) && Objects.equals(e.route, route);
  }

  @Override
  public int hashCode() {
    return lines.hashCode();
  }
}
