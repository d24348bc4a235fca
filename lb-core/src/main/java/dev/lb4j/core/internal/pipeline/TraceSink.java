package dev.lb4j.core.internal.pipeline;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.routing.RouteMatch;
import org.jspecify.annotations.Nullable;

/**
 * What the {@link RequestPipeline} reports each decision to, stage by stage. On the request path
 * the pipeline reports to {@link #NONE}, whose methods are empty and whose {@link #dryRun()} is a
 * constant, so the JIT removes the calls; the explain sink ({@link ExplainTrace}) records every
 * decision as a line of text and turns the run into a dry run (policies previewed, no lease).
 *
 * <p>Every method has an empty default. Arguments are the decision's own values, never text built
 * for the sink, so reporting costs nothing when nobody listens; a sink formats what it keeps.
 */
public interface TraceSink {

  /** Reports to no one: the request path's sink. */
  TraceSink NONE = new TraceSink() {};

  /**
   * Whether the run is a dry run: policies are asked through {@link Policy#preview}, no lease is
   * opened and no error is counted; the pick stage calls {@link #pick} instead of selecting.
   *
   * @return {@code false} by default
   */
  default boolean dryRun() {
    return false;
  }

  /**
   * The request entered the pipeline, with the number of routing rules ({@code -1} without a
   * router) and the final fallback that applies when none routes it.
   *
   * @param request the request
   * @param rules how many routing rules there are, or {@code -1} when there are none
   * @param fallback the final fallback
   */
  default void start(RequestView request, int rules, Fallback fallback) {}

  /**
   * A custom rule the router asked declined the request ({@code pool == null}) or threw.
   *
   * @param index the rule's position in declaration order
   * @param thrown what it threw, or {@code null} when it declined
   */
  default void ruleDeclined(int index, @Nullable Exception thrown) {}

  /**
   * The router is done: every rule before {@code winner} did not match.
   *
   * @param rules the rules in declaration order
   * @param winner the index of the rule that matched, or {@code rules.length} when none did
   * @param request the request
   */
  default void rulesTried(RoutingRule[] rules, int winner, RequestView request) {}

  /**
   * A rule matched and named a pool the pipeline has.
   *
   * @param match the match
   */
  default void matched(RouteMatch match) {}

  /**
   * A rule matched but named a pool the pipeline does not have, so the fallback decides.
   *
   * @param match the match
   * @param fallback the fallback that decides instead
   */
  default void unknownPool(RouteMatch match, Fallback fallback) {}

  /**
   * The fallback decided (no rule matched, or the one that did named an unknown pool).
   *
   * @param fallback the fallback
   * @param noRuleMatched whether no rule matched (rather than one naming an unknown pool)
   * @param result where it sends the request, or {@code null} for no route
   * @param request the request
   * @param snapshot the configuration the run reads
   */
  default void fellBack(
      Fallback fallback,
      boolean noRuleMatched,
      @Nullable RouteMatch result,
      RequestView request,
      PipelineSnapshot snapshot) {}

  /**
   * Routing is over: the request goes to {@code match}'s pool, or nowhere.
   *
   * @param match the match, or {@code null} for no route
   * @param request the request
   */
  default void routed(@Nullable RouteMatch match, RequestView request) {}

  /**
   * The policy chain about to run: global policies, then the route's.
   *
   * @param chain the policies in order
   */
  default void policies(Policy[] chain) {}

  /**
   * One policy's decision.
   *
   * @param policy the policy
   * @param decision its decision
   */
  default void decided(Policy policy, PolicyDecision decision) {}

  /**
   * A policy broke its contract (threw, or returned null); the request is rejected with 500.
   *
   * @param policy the policy
   * @param what what it did
   */
  default void policyFailed(Policy policy, String what) {}

  /**
   * The pick stage of a dry run: explain the pool's pick without opening a lease. Called only when
   * {@link #dryRun()} is true.
   *
   * @param pool the pool
   * @param request the request
   * @return the backend the algorithm picks now, or {@code null}
   */
  default @Nullable Backend pick(PoolImpl pool, RequestView request) {
    return null;
  }
}
