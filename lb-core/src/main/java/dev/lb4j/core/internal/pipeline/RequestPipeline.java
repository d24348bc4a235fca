package dev.lb4j.core.internal.pipeline;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Selection;
import dev.lb4j.core.internal.LeaseImpl;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.internal.RequestContext;
import dev.lb4j.core.internal.Router;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The one request pipeline: route (rules, then a {@link Fallback}) -> global policies -> the
 * route's policies -> pick -> attach the request context to the lease. {@code select}, {@code
 * selectByHost} and both {@code explain}s are runs of {@link #run}; explain passes a {@link
 * TraceSink} that makes the run a dry run (policies previewed, no lease opened), so explain cannot
 * disagree with select about the route, the policies or the pool.
 *
 * <p>Reads the whole configuration (pools, rules, policies) from one {@link PipelineSnapshot},
 * published through one volatile field and read once per run: {@link #publish} swaps all of it at
 * once. Thread-safe. A run allocates nothing in steady state but the lease (and what policies and
 * custom rules allocate themselves).
 */
public final class RequestPipeline {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");
  private static final HeaderChanges NO_EDITS = HeaderChanges.none();

  private volatile PipelineSnapshot snapshot;
  private final AtomicLong policyErrors = new AtomicLong();

  /**
   * Creates the pipeline.
   *
   * @param snapshot the first configuration
   */
  public RequestPipeline(PipelineSnapshot snapshot) {
    this.snapshot = Objects.requireNonNull(snapshot, "snapshot");
  }

  /** The configuration requests read now. */
  public PipelineSnapshot snapshot() {
    return snapshot;
  }

  /**
   * Publishes a new configuration with one write: runs that started before keep the old one.
   *
   * @param next the new configuration
   */
  public void publish(PipelineSnapshot next) {
    this.snapshot = Objects.requireNonNull(next, "next");
  }

  /** Policies that threw or returned no decision on the request path. */
  public long policyErrors() {
    return policyErrors.get();
  }

  /**
   * Runs the pipeline for a request.
   *
   * @param request the request
   * @param fallback where requests go that no rule routes
   * @param sink where each decision is reported; {@link TraceSink#NONE} on the request path
   * @return the selection; in a dry run, {@code null} once the pick stage was reached (the sink
   *     holds what it picked)
   */
  public @Nullable Selection run(RequestView request, Fallback fallback, TraceSink sink) {
    PipelineSnapshot s = snapshot;
    Router router = s.router();
    sink.start(request, router == null ? -1 : router.size(), fallback);
    RouteMatch match = route(s, router, request, fallback, sink);
    if (match == null) {
      return fallback.noRoute(s, request);
    }
    PoolImpl pool = Objects.requireNonNull(s.pools().get(match.pool()), "pool");
    RequestContext context = s.context(match);
    Policy[] chain = context.policies();
    sink.policies(chain);
    RequestContext attach = context;
    if (chain.length > 0) {
      Object verdict = policies(request, pool, match, context, chain, sink);
      if (verdict instanceof Selection rejected) {
        return rejected;
      }
      attach = (RequestContext) verdict;
    }
    if (sink.dryRun()) {
      sink.pick(pool, request);
      return null;
    }
    Selection selection = pool.selectUnobserved(request, null);
    if (selection instanceof LeaseImpl lease) {
      lease.attach(attach);
    }
    return selection;
  }

  /**
   * The policy stage, out of line so that {@link #run} stays small enough for the JIT to inline
   * into the caller (and keep the lease off the heap where the caller allows it).
   *
   * @return the {@link Rejected} selection of the policy that refused the request, or the request
   *     context to attach: {@code context} itself, or one with the policies' combined edits
   */
  private Object policies(
      RequestView request,
      PoolImpl pool,
      RouteMatch match,
      RequestContext context,
      Policy[] chain,
      TraceSink sink) {
    boolean dryRun = sink.dryRun();
    List<HeaderChanges> edits = null;
    for (Policy p : chain) {
      PolicyDecision decision;
      try {
        decision = dryRun ? p.preview(request) : p.onRequest(request);
      } catch (Exception e) { // checked ones too: a policy written in another JVM language
        return policyFailed(pool, p, "threw " + e, e, sink);
      }
      if (decision == null) {
        return policyFailed(pool, p, "returned no decision (null)", null, sink);
      }
      sink.decided(p, decision);
      if (decision instanceof PolicyDecision.Reject reject) {
        return new Rejected(
            pool.name(), p.name(), reject.status(), reject.reason(), reject.responseHeaders());
      }
      HeaderChanges requestEdits = ((PolicyDecision.Proceed) decision).requestHeaders();
      if (!requestEdits.isEmpty()) {
        if (!(p instanceof HeaderTransform)) {
          requestEdits = RequestContext.defuse(requestEdits);
        }
        if (edits == null) {
          edits = new ArrayList<>(2);
        }
        edits.add(requestEdits);
      }
    }
    return edits == null ? context : new RequestContext(match, chain, RequestContext.combine(edits));
  }

  /**
   * Routes a request without running policies or picking.
   *
   * @param request the request
   * @param fallback where requests go that no rule routes
   * @return the match, or {@code null} for no route
   */
  public @Nullable RouteMatch route(RequestView request, Fallback fallback) {
    PipelineSnapshot s = snapshot;
    return route(s, s.router(), request, fallback, TraceSink.NONE);
  }

  /**
   * Routes like {@link #run} and picks a backend avoiding {@code exclude}, WITHOUT running policies
   * (so with no request edits). For callers where no policy applies; retries of a request that
   * went through the policies use {@link #retry}.
   *
   * @param request the request
   * @param exclude backends not to pick
   * @return the selection
   */
  public Selection selectWithoutPolicies(
      RequestView request, Collection<? extends Backend> exclude) {
    PipelineSnapshot s = snapshot;
    RouteMatch match = route(s, s.router(), request, Fallback.DEFAULT_POOL, TraceSink.NONE);
    if (match == null) {
      return s.noRoute();
    }
    PoolImpl pool = Objects.requireNonNull(s.pools().get(match.pool()), "pool");
    Selection selection = pool.selectUnobserved(request, exclude);
    if (selection instanceof LeaseImpl lease) {
      lease.attach(s.context(match));
    }
    return selection;
  }

  /**
   * A retry of a request that already went through {@link #run}: the same pool, no routing and no
   * policies again, the same request context; none of the backends already tried while another is
   * available, then any but the previous attempt's, then (one backend) that one again.
   *
   * @param request the request
   * @param previous the previous attempt's lease
   * @param tried the backends tried so far
   * @return the selection
   * @throws IllegalArgumentException if the previous lease's pool is not in the configuration
   */
  public Selection retry(
      RequestView request, Lease previous, Collection<? extends Backend> tried) {
    PipelineSnapshot s = snapshot;
    PoolImpl pool = s.pools().get(previous.pool());
    if (pool == null) {
      throw new IllegalArgumentException(
          "previous: a lease of pool '" + previous.pool() + "', which this load balancer does not"
              + " have (expected one of " + s.pools().keySet() + ")");
    }
    Selection selection = pool.selectUnobserved(request, tried);
    if (selection instanceof NoBackend none && none.reason() == NoBackend.Reason.ALL_EXCLUDED) {
      // Every backend was tried: any but the previous one, else (one backend) that one again.
      // Only the last selection counts in the pool's noBackend stat.
      pool.uncountNoBackend();
      selection = pool.selectUnobserved(request, List.of(previous.backend()));
      if (selection instanceof NoBackend again
          && again.reason() == NoBackend.Reason.ALL_EXCLUDED) {
        pool.uncountNoBackend();
        selection = pool.selectUnobserved(request, null);
      }
    }
    if (selection instanceof Lease) {
      pool.countRetry();
    }
    if (selection instanceof LeaseImpl lease && previous instanceof LeaseImpl before) {
      lease.follow(before);
      RequestContext context = before.context();
      if (context != null) {
        lease.attach(context);
      }
    }
    return selection;
  }

  /** The routing stage: the first rule that matches, else (or for an unknown pool) the fallback. */
  private static @Nullable RouteMatch route(
      PipelineSnapshot s,
      @Nullable Router router,
      RequestView request,
      Fallback fallback,
      TraceSink sink) {
    RouteMatch match = router == null ? null : router.route(request, sink);
    if (match != null) {
      if (s.pools().containsKey(match.pool())) {
        sink.matched(match);
        sink.routed(match, request);
        return match;
      }
      sink.unknownPool(match, fallback);
    }
    RouteMatch fallen = fallback.route(s, request);
    sink.fellBack(fallback, match == null, fallen, request, s);
    sink.routed(fallen, request);
    return fallen;
  }

  private Rejected policyFailed(
      PoolImpl pool, Policy p, String what, @Nullable Throwable cause, TraceSink sink) {
    sink.policyFailed(p, what);
    if (!sink.dryRun()) {
      long count = policyErrors.incrementAndGet();
      if (Long.bitCount(count) == 1) { // 1st, 2nd, 4th...: a broken policy cannot flood the log
        LOG.log(
            System.Logger.Level.WARNING,
            "policy '" + p.name() + "' " + what + " (" + count + " policy failures so far)",
            cause);
      }
    }
    return new Rejected(
        pool.name(), p.name(), 500, "policy '" + p.name() + "' failed: " + what, NO_EDITS);
  }
}
