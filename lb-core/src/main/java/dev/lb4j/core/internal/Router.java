package dev.lb4j.core.internal;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.internal.pipeline.TraceSink;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The compiled routing table: first match in declaration order, found without trying every rule.
 *
 * <p>Exact paths live in a hash map and path prefixes in a character trie, each entry listing the
 * (ascending) positions of the routes that use it; other rules (globs, regexes, no path matcher,
 * custom {@link RoutingRule}s) are tried in order. A lookup walks the trie along the path once, so it
 * costs about the path's length plus the rules whose path matched, not the number of rules. Routing
 * allocates nothing (regex and glob matchers reuse per-thread state), except what custom rules
 * allocate themselves.
 *
 * <p>Immutable and thread-safe once built.
 */
public final class Router {

  private static final int[] NONE = new int[0];
  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final java.util.concurrent.atomic.AtomicLong ruleErrors =
      new java.util.concurrent.atomic.AtomicLong();

  private final RoutingRule[] rules;
  private final Map<String, int[]> exact;
  private final Node root;
  private final int[] others;
  private final @Nullable ActionMatches[] actionMatches; // per custom rule, by position

  /** A trie node: children by character (sorted), and the routes whose prefix ends here. */
  private static final class Node {
    char[] keys = new char[0];
    Node[] children = new Node[0];
    int[] routes = NONE;

    @Nullable Node child(char c) {
      int i = Arrays.binarySearch(keys, c);
      return i >= 0 ? children[i] : null;
    }

    Node childOrNew(char c) {
      int i = Arrays.binarySearch(keys, c);
      if (i >= 0) {
        return children[i];
      }
      int at = -i - 1;
      char[] k = new char[keys.length + 1];
      Node[] ch = new Node[children.length + 1];
      System.arraycopy(keys, 0, k, 0, at);
      System.arraycopy(children, 0, ch, 0, at);
      k[at] = c;
      ch[at] = new Node();
      System.arraycopy(keys, at, k, at + 1, keys.length - at);
      System.arraycopy(children, at, ch, at + 1, children.length - at);
      keys = k;
      children = ch;
      return ch[at];
    }
  }

  public Router(List<RoutingRule> rules) {
    this.rules = rules.toArray(new RoutingRule[0]);
    this.actionMatches = new ActionMatches[this.rules.length];
    Map<String, List<Integer>> exactLists = new HashMap<>();
    List<Integer> otherList = new ArrayList<>();
    this.root = new Node();
    for (int i = 0; i < this.rules.length; i++) {
      RoutingRule rule = this.rules[i];
      if (rule instanceof Route route && route.pathKind() == Route.PathKind.EXACT) {
        exactLists.computeIfAbsent(route.path(), k -> new ArrayList<>()).add(i);
      } else if (rule instanceof Route route && route.pathKind() == Route.PathKind.PREFIX) {
        Node node = root;
        String prefix = route.path();
        for (int c = 0; c < prefix.length(); c++) {
          node = node.childOrNew(prefix.charAt(c));
        }
        node.routes = append(node.routes, i);
      } else {
        otherList.add(i);
        if (!(rule instanceof Route)) {
          actionMatches[i] = new ActionMatches();
        }
      }
    }
    this.exact = new HashMap<>();
    exactLists.forEach((path, ids) -> exact.put(path, toArray(ids)));
    this.others = toArray(otherList);
  }

  private static int[] append(int[] a, int v) {
    int[] b = Arrays.copyOf(a, a.length + 1);
    b[a.length] = v;
    return b;
  }

  private static int[] toArray(List<Integer> list) {
    int[] a = new int[list.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = list.get(i);
    }
    return a;
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
    int best = Integer.MAX_VALUE;
    RouteMatch found = null;

    int[] ids = exact.get(path);
    if (ids != null) {
      for (int id : ids) {
        RouteMatch m = ((Route) rules[id]).matchRest(request);
        if (m != null) {
          best = id;
          found = m;
          break;
        }
      }
    }

    Node node = root;
    for (int i = 0; ; i++) {
      for (int id : node.routes) {
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
      if (i == path.length()) {
        break;
      }
      Node next = node.child(path.charAt(i));
      if (next == null) {
        break;
      }
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
