package dev.lb4j.core.internal;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.internal.pipeline.TraceSink;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The compiled routing table: first match in declaration order, found without trying every rule.
 *
 * <p>Exact paths and path prefixes live in one compressed radix tree ({@link PathTree}), each node
 * listing the (ascending) positions of the routes whose prefix or exact path ends there; other rules
 * (globs, regexes, no path matcher, custom {@link RoutingRule}s) are tried in order. A lookup walks
 * the tree along the path once, comparing whole edge labels with the path, so it costs about the
 * path's length (a fraction of a nanosecond per character) plus the rules whose path matched, not
 * the number of rules; the path is never hashed. Routing allocates nothing (regex and glob matchers
 * reuse per-thread state), except what custom rules allocate themselves.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class Router {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final java.util.concurrent.atomic.AtomicLong ruleErrors =
      new java.util.concurrent.atomic.AtomicLong();

  private final RoutingRule[] rules;
  private final PathTree.Node root;
  private final int[] others;
  private final @Nullable ActionMatches[] actionMatches; // per custom rule, by position

  public Router(List<RoutingRule> rules) {
    this.rules = rules.toArray(new RoutingRule[0]);
    this.actionMatches = new ActionMatches[this.rules.length];
    PathTree.Builder tree = new PathTree.Builder();
    List<Integer> otherList = new ArrayList<>();
    for (int i = 0; i < this.rules.length; i++) {
      RoutingRule rule = this.rules[i];
      if (rule instanceof Route route && route.pathKind() == Route.PathKind.EXACT) {
        tree.addExact(route.path(), i);
      } else if (rule instanceof Route route && route.pathKind() == Route.PathKind.PREFIX) {
        tree.addPrefix(route.path(), i);
      } else {
        otherList.add(i);
        if (!(rule instanceof Route)) {
          actionMatches[i] = new ActionMatches();
        }
      }
    }
    this.root = tree.build();
    this.others = toArray(otherList);
  }

  private static int[] toArray(List<Integer> list) {
    int[] a = new int[list.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = list.get(i);
    }
    return a;
  }

  /** How many nodes the path index has (its root included), for tests. */
  int indexNodes() {
    return root.size();
  }

  /** Custom rules that threw (each counted as no match). */
  public long ruleErrors() {
    return ruleErrors.get();
  }

  /** How many rules there are. */
  public int size() {
    return rules.length;
  }

  /**
   * The first rule, in declaration order, that matches the request.
   *
   * @return the match, or {@code null} when no rule matches
   */
  public @Nullable RouteMatch route(RequestView request) {
    return route(request, TraceSink.NONE);
  }

  /**
   * The first rule, in declaration order, that matches the request, reporting to {@code sink} what
   * custom rules answered and which rule won. In a {@linkplain TraceSink#dryRun() dry run} a custom
   * rule that throws is not counted or logged.
   *
   * @return the match, or {@code null} when no rule matches
   */
  public @Nullable RouteMatch route(RequestView request, TraceSink sink) {
    String path = request.path();
    int length = path.length();
    int best = Integer.MAX_VALUE;
    RouteMatch found = null;

    // One walk down the tree along the path: at each node, the prefix routes that end there; where
    // the path ends on a node, its exact routes. Each edge is compared whole (startsWith runs over
    // the two strings' arrays), and the path is never hashed (a new path string per request would
    // be hashed in full: String caches its hash per instance only).
    PathTree.Node node = root;
    int at = 0;
    while (true) {
      for (int id : node.prefixRoutes) {
        if (id >= best) {
          break;
        }
        RouteMatch m = ((Route) rules[id]).matchRest(request);
        if (m != null) {
          best = id;
          found = m;
          break;
        }
      }
      if (at == length) {
        for (int id : node.exactRoutes) {
          if (id >= best) {
            break;
          }
          RouteMatch m = ((Route) rules[id]).matchRest(request);
          if (m != null) {
            best = id;
            found = m;
            break;
          }
        }
        break;
      }
      PathTree.Node next = node.child(path.charAt(at));
      if (next == null || !path.startsWith(next.label, at)) {
        break;
      }
      at += next.label.length();
      node = next;
    }

    for (int id : others) {
      if (id >= best) {
        break;
      }
      RoutingRule rule = rules[id];
      RouteMatch m;
      if (rule instanceof Route route) {
        m = route.match(request);
      } else {
        m = custom(id, rule, request, sink);
      }
      if (m != null) {
        best = id;
        found = m;
        break;
      }
    }
    sink.rulesTried(rules, found == null ? rules.length : best, request);
    return found;
  }

  /**
   * Asks a custom rule for its {@link RoutingRule#action}; one that throws is no match, never an
   * exception in select.
   */
  private @Nullable RouteMatch custom(int id, RoutingRule rule, RequestView request, TraceSink sink) {
    RouteAction action;
    try {
      action = rule.action(request);
    } catch (Exception e) { // checked ones too: a rule written in another JVM language
      if (!sink.dryRun()) {
        long n = ruleErrors.incrementAndGet();
        if (Long.bitCount(n) == 1) {
          LOG.log(
              System.Logger.Level.WARNING,
              "routing rule '" + rule.name() + "' threw " + e + " (" + n + " failures so far);"
                  + " treated as no match",
              e);
        }
      }
      sink.ruleDeclined(id, e);
      return null;
    }
    if (action == null) {
      sink.ruleDeclined(id, null);
      return null;
    }
    return Objects.requireNonNull(actionMatches[id]).matchOf(rule, action);
  }

  /**
   * A custom rule's matches, one per distinct action it returned (up to a bound): a rule that
   * returns the same actions gets the same matches, so routing it allocates nothing and the
   * engine's per-match state is reused.
   */
  private static final class ActionMatches {
    private static final int MAX = 256;

    private final ConcurrentHashMap<RouteAction, RouteMatch> matches = new ConcurrentHashMap<>();

    RouteMatch matchOf(RoutingRule rule, RouteAction action) {
      RouteMatch m = matches.get(action);
      if (m != null) {
        return m;
      }
      m = new RouteMatch(rule, action);
      if (matches.size() < MAX) {
        RouteMatch raced = matches.putIfAbsent(action, m);
        if (raced != null) {
          return raced;
        }
      }
      return m;
    }
  }
}
