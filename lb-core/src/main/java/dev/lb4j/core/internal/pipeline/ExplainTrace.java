package dev.lb4j.core.internal.pipeline;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.internal.pool.PoolImpl;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The explain sink: makes the pipeline's run a dry run and records each decision as one line of
 * text, in the order the pipeline decides (rules in declaration order, whatever order the router's
 * index visited them in). Off the request path: it allocates freely. Not thread-safe; one per run.
 */
public final class ExplainTrace implements TraceSink {

  private final List<String> lines = new ArrayList<>();
  private final Map<Integer, @Nullable Exception> declined = new HashMap<>();
  private @Nullable RouteMatch route;
  private @Nullable Backend picked;

  /** Creates an empty trace. */
  public ExplainTrace() {}

  /** The lines recorded so far, in order. */
  public List<String> lines() {
    return lines;
  }

  /** Where routing sent the request, or {@code null}. */
  public @Nullable RouteMatch route() {
    return route;
  }

  /** The backend the pick stage would pick, or {@code null}. */
  public @Nullable Backend picked() {
    return picked;
  }

  @Override
  public boolean dryRun() {
    return true;
  }

  @Override
  public void start(RequestView request, int rules, Fallback fallback) {
    lines.add("request " + request.method() + " " + request.path()
        + (request.query() == null ? "" : "?" + request.query())
        + (request.host() == null ? "" : " host " + request.host())
        + (request.clientAddress() == null ? "" : " from " + request.clientAddress()));
    if (rules < 0) {
      lines.add(fallback == Fallback.DEFAULT_POOL
          ? "routing: no routing rules; every request goes to the default pool"
          : "routing: no routing rules");
    } else {
      lines.add("routing: " + rules + " rules, first match in declaration order wins");
    }
  }

  @Override
  public void ruleDeclined(int index, @Nullable Exception thrown) {
    declined.put(index, thrown);
  }

  @Override
  public void rulesTried(RoutingRule[] rules, int winner, RequestView request) {
    for (int i = 0; i < winner; i++) {
      RoutingRule rule = rules[i];
      if (rule instanceof Route r) {
        if (!r.matchesPath(request.path())) {
          lines.add("  " + rule.name() + ": no, path " + request.path() + " does not match "
              + r.pathKind().name().toLowerCase(Locale.ROOT) + " '" + r.path() + "'");
        } else {
          lines.add("  " + rule.name() + ": no, " + r.whyNot(request));
        }
      } else {
        Exception thrown = declined.get(i);
        lines.add("  " + rule.name() + ": " + (thrown == null
            ? "no (custom rule)"
            : "threw " + thrown + " (treated as no match)"));
      }
    }
  }

  @Override
  public void matched(RouteMatch match) {
    RoutingRule rule = match.rule();
    lines.add(rule instanceof Route
        ? "  " + rule.name() + ": YES (" + rule + ")"
        : "  " + rule.name() + ": YES (custom rule) -> " + match.pool());
  }

  @Override
  public void unknownPool(RouteMatch match, Fallback fallback) {
    lines.add("  " + match.rule().name() + ": named unknown pool '" + match.pool()
        + "', so the request takes the " + (fallback == Fallback.HOST_POOL ? "host" : "default")
        + " route (later rules are not tried)");
  }

  @Override
  public void fellBack(
      Fallback fallback,
      boolean noRuleMatched,
      @Nullable RouteMatch result,
      RequestView request,
      PipelineSnapshot snapshot) {
    boolean hasRules = snapshot.router() != null;
    if (fallback == Fallback.HOST_POOL) {
      String host = request.host();
      lines.add(result == null
          ? "  host '" + host + "' names no pool (pools: " + snapshot.pools().keySet() + "): NO_ROUTE"
          : "  host '" + host + "' names pool " + result.pool());
    } else if (!noRuleMatched) {
      if (result == null) {
        lines.add("  no default pool: " + snapshot.noRoute().message());
      }
    } else if (hasRules) {
      lines.add(result == null
          ? "  no rule matched and there is no default pool: " + snapshot.noRoute().message()
          : "  no rule matched: default route -> " + result.pool());
    }
  }

  @Override
  public void routed(@Nullable RouteMatch match, RequestView request) {
    this.route = match;
    if (match != null) {
      String rewritten = match.rewrite(request.path());
      if (!rewritten.equals(request.path())) {
        lines.add("path rewritten: " + request.path() + " -> " + rewritten);
      }
    }
  }

  @Override
  public void policies(Policy[] chain) {
    lines.add("policies: " + (chain.length == 0 ? "none" : chain.length + ", in order"));
  }

  @Override
  public void decided(Policy policy, PolicyDecision decision) {
    lines.add("  " + policy.name() + ": " + decision);
  }

  @Override
  public void policyFailed(Policy policy, String what) {
    lines.add("  " + policy.name() + ": " + what + " (the request would get 500)");
  }

  @Override
  public @Nullable Backend pick(PoolImpl pool, RequestView request) {
    Backend backend = pool.explain(request, lines);
    this.picked = backend;
    return backend;
  }
}
