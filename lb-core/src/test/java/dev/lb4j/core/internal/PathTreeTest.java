package dev.lb4j.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import dev.lb4j.core.routing.Route;
import dev.lb4j.core.routing.RouteMatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The router's radix tree on hand-picked shapes: edges that split where keys part ways or end, wide
 * nodes, characters above ASCII and surrogate pairs cut in half. {@code RouterPropertyTest} checks
 * random shapes against a naive router.
 */
class PathTreeTest {

  private static Route prefix(String name, String prefix) {
    return Route.builder(name).pathPrefix(prefix).toPool("p").build();
  }

  private static Route exact(String name, String path) {
    return Route.builder(name).pathExact(path).toPool("p").build();
  }

  private static @Nullable String winner(Router router, String path) {
    RouteMatch m = router.route(RequestView.of("GET", path));
    return m == null ? null : m.rule().name();
  }

  @Test
  void edgesSplitWhereKeysPartWaysOrEnd() {
    Router router =
        new Router(
            List.of(
                prefix("admin", "/api/users/admin"),
                exact("users", "/api/users"), // ends inside the first key's edge
                prefix("orders", "/api/orders"), // leaves it after "/api/"
                prefix("apix", "/apix"))); // leaves it after "/api"
    // root, "/api", "/", "x", "users", "/admin", "orders"
    assertThat(router.indexNodes()).isEqualTo(7);

    assertThat(winner(router, "/api/users/admin/7")).isEqualTo("admin");
    assertThat(winner(router, "/api/users/admin")).isEqualTo("admin");
    assertThat(winner(router, "/api/users")).isEqualTo("users");
    assertThat(winner(router, "/api/users/")).isNull(); // exact, not a prefix
    assertThat(winner(router, "/api/users/adm")).isNull(); // ends inside an edge
    assertThat(winner(router, "/api/orders?x")).isEqualTo("orders");
    assertThat(winner(router, "/api/ordersfoo")).isEqualTo("orders"); // characters, not segments
    assertThat(winner(router, "/api/order")).isNull();
    assertThat(winner(router, "/apixyz")).isEqualTo("apix");
    assertThat(winner(router, "/api")).isNull();
    assertThat(winner(router, "/")).isNull();
    assertThat(winner(router, "/b")).isNull();
  }

  @Test
  void theFirstRuleInDeclarationOrderWinsAlongOnePath() {
    Router router =
        new Router(
            List.of(
                prefix("deep", "/a/b/c"),
                exact("exact", "/a/b/c"),
                prefix("shallow", "/a"),
                prefix("slash", "/"),
                exact("later-exact", "/a")));
    assertThat(winner(router, "/a/b/c")).isEqualTo("deep");
    assertThat(winner(router, "/a/b/cd")).isEqualTo("deep");
    assertThat(winner(router, "/a/b")).isEqualTo("shallow");
    assertThat(winner(router, "/a")).isEqualTo("shallow");
    assertThat(winner(router, "/x")).isEqualTo("slash");
    assertThat(winner(router, "/")).isEqualTo("slash");
  }

  @Test
  void aWideNodeFindsEveryChildAboveAndBelowAscii() {
    String firsts = "abcdefghijklmnopqrstuvwxyz0123456789éü€日";
    List<RoutingRule> rules = new ArrayList<>();
    for (int i = 0; i < firsts.length(); i++) {
      rules.add(prefix("c" + i, "/" + firsts.charAt(i) + "/x"));
    }
    rules.add(prefix("smile", "/\uD83D\uDE00"));
    Router router = new Router(rules);
    for (int i = 0; i < firsts.length(); i++) {
      assertThat(winner(router, "/" + firsts.charAt(i) + "/x/y")).isEqualTo("c" + i);
      assertThat(winner(router, "/" + firsts.charAt(i) + "/y")).isNull();
    }
    assertThat(winner(router, "/\uD83D\uDE00/x")).isEqualTo("smile");
    assertThat(winner(router, "/\uD83D")).isNull();
    assertThat(winner(router, "/A/x")).isNull();
    assertThat(winner(router, "/ß/x")).isNull();
    assertThat(winner(router, "/\u0000/x")).isNull();
    assertThat(winner(router, "/\u007f/x")).isNull();
  }

  @Test
  void surrogatePairsMaySplitBetweenTheirHalves() {
    // U+1F600 and U+1F601 share their high surrogate: the edge splits between the two halves.
    Router router =
        new Router(
            List.of(
                prefix("grin", "/\uD83D\uDE00"),
                exact("beam", "/\uD83D\uDE01"),
                prefix("high", "/\uD83D")));
    assertThat(router.indexNodes()).isEqualTo(4); // root, "/\uD83D", "\uDE00", "\uDE01"
    assertThat(winner(router, "/\uD83D\uDE00!")).isEqualTo("grin");
    assertThat(winner(router, "/\uD83D\uDE01")).isEqualTo("beam");
    assertThat(winner(router, "/\uD83D\uDE01!")).isEqualTo("high");
    assertThat(winner(router, "/\uD83D")).isEqualTo("high");
    assertThat(winner(router, "/\uDE00")).isNull();
  }

  @Test
  void aChainOfThousandsOfNestedPrefixesBuildsAndRoutes() {
    // Each key extends the previous one: the tree is as deep as there are keys.
    int n = 2_000;
    List<RoutingRule> rules = new ArrayList<>();
    StringBuilder key = new StringBuilder("/");
    for (int i = 0; i < n; i++) {
      key.append(i % 2 == 0 ? 'a' : 'b');
      rules.add(
          Route.builder("n" + i)
              .pathPrefix(key.toString())
              .header("x-n", Integer.toString(i))
              .toPool("p")
              .build());
    }
    Router router = new Router(rules);
    assertThat(router.indexNodes()).isEqualTo(n + 1);
    String path = key + "/tail";
    for (int want : new int[] {0, 1, n / 2, n - 1}) {
      RequestView request =
          RequestView.builder().path(path).header("x-n", Integer.toString(want)).build();
      RouteMatch m = Objects.requireNonNull(router.route(request), "match");
      assertThat(m.rule().name()).isEqualTo("n" + want);
    }
    assertThat(winner(router, path)).isNull();
  }

  @Test
  void aPathInAnotherCoderThanTheKeysStillMatches() {
    // Latin-1 keys, a path stored as UTF-16 (it holds a character above U+00FF), and the reverse.
    Router router = new Router(List.of(prefix("latin", "/caf"), exact("wide", "/日本")));
    assertThat(winner(router, "/café€")).isEqualTo("latin");
    assertThat(winner(router, "/日本")).isEqualTo("wide");
    assertThat(winner(router, "/日")).isNull();
  }
}
