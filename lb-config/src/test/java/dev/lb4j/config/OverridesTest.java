package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Overrides from the environment ({@code LB4J_...}) and from flags ({@code --set path=value}), and
 * their precedence: flags over environment over file.
 */
class OverridesTest {

  private static final String FILE = """
      pools:
        api:
          algorithm: round_robin
          backends:
            - uri: http://a:1
              weight: 1
            - http://b:2
          healthCheck:
            probe: tcp
            interval: 2s
        blue-green:
          backends: [http://c:3]
      routes:
        - name: all
          toPool: api
          match:
            methods: [GET]
      """;

  private static Lb4jConfig load(Map<String, String> env, List<String> flags) {
    return Lb4jConfig.loader().text(FILE, "file").environment(env).flags(flags).load();
  }

  private static String yaml(Map<String, String> env, List<String> flags) {
    return load(env, flags).toYaml();
  }

  @Test
  void theEnvironmentSetsAnyKeyByItsUpperCasePath() {
    Lb4jConfig config = load(Map.of(
        "LB4J_POOLS_API_ALGORITHM", "least_request",
        "LB4J_POOLS_API_HEALTH_CHECK_INTERVAL", "10s",
        "LB4J_POOLS_API_BACKENDS_0_WEIGHT", "7",
        "LB4J_POOLS_BLUE_GREEN_MAX_REQUESTS", "50",
        "LB4J_ROUTES_0_MATCH_METHODS", "GET,HEAD",
        "LB4J_DEFAULT_POOL", "api",
        "PATH", "/usr/bin"), List.of());
    String out = config.toYaml();
    assertThat(out).contains("algorithm: least_request").contains("interval: 10s")
        .contains("weight: 7").contains("maxRequests: 50").contains("defaultPool: api");
    assertThat(out).containsPattern("methods:\\s+- GET\\s+- HEAD");
    try (LoadBalancer lb = config.newBuilder().scheduler((t, d) -> () -> {}).build()) {
      PoolStats api = lb.stats().pool("api");
      assertThat(api.algorithm()).startsWith("least_request");
      assertThat(api.backend("a:1").weight()).isEqualTo(7);
    }
  }

  @Test
  void aVariableForAPoolTheFileLacksCreatesIt() {
    String out = yaml(Map.of("LB4J_POOLS_EXTRA_BACKENDS", "http://x:1,http://y:2"), List.of());
    assertThat(out).containsPattern("extra:\\s+backends:\\s+- http://x:1\\s+- http://y:2");
  }

  @Test
  void flagsSetAnyKeyByItsDottedPath() {
    String out = yaml(Map.of(), List.of(
        "pools.api.algorithm=maglev",
        "pools.api.hashKey.header=X-User",
        "pools.api.backends[1]={uri: http://b:2, weight: 4}",
        "pools.api.backends.2=http://new:3",
        "routes[0].match.methods=[POST]"));
    assertThat(out).contains("algorithm: maglev").contains("header: X-User")
        .containsPattern("uri: http://b:2\\s+weight: 4").contains("- http://new:3")
        .containsPattern("methods:\\s+- POST");
  }

  @Test
  void flagsWinOverTheEnvironmentWhichWinsOverTheFile() {
    assertThat(yaml(Map.of(), List.of())).contains("interval: 2s");
    assertThat(yaml(Map.of("LB4J_POOLS_API_HEALTH_CHECK_INTERVAL", "5s"), List.of()))
        .contains("interval: 5s");
    assertThat(yaml(Map.of("LB4J_POOLS_API_HEALTH_CHECK_INTERVAL", "5s"),
            List.of("pools.api.healthCheck.interval=9s")))
        .contains("interval: 9s").doesNotContain("interval: 5s");
    assertThat(yaml(Map.of(), List.of("pools.api.healthCheck.interval=1s",
            "pools.api.healthCheck.interval=3s")))
        .as("a later flag for the same key wins").contains("interval: 3s");
  }

  @Test
  void overriddenValuesAreValidatedLikeTheFilesOwn() {
    assertThatThrownBy(() -> load(Map.of("LB4J_POOLS_API_BACKENDS_0_WEIGHT", "-1"),
            List.of("pools.api.healthCheck.interval=soon")))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "pools.api.backends[0].weight: '-1' (expected: 1..10000)",
                "pools.api.healthCheck.interval: 'soon' (expected: a duration such as 500ms, 30s,"
                    + " 5m or 1m30s (units ns, us, ms, s, m, h, d), up to 3650d)"));
  }

  @Test
  void overridesThatNameNothingAreErrorsWithASuggestion() {
    assertThatThrownBy(() -> load(Map.of(
            "LB4J_POOLS_API_ALGORYTHM", "maglev",
            "LB4J_POOLS_API_BACKENDS_FIRST_WEIGHT", "2"),
            List.of("pools.api.helthCheck.interval=1s", "no-equals-sign", "pools..x=1",
                "pools.api.backends[9]=http://z:1")))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "environment LB4J_POOLS_API_ALGORYTHM: 'ALGORYTHM' names no key of pools.api"
                    + " (expected one of [backends, algorithm, hashKey, healthCheck,"
                    + " outlierDetection, slowStart, panicThreshold, panicMode, maxRequests,"
                    + " maxRequestsPerBackend] in upper case, words split by '_'; did you mean"
                    + " 'algorithm'?)",
                "environment LB4J_POOLS_API_BACKENDS_FIRST_WEIGHT: 'first' where a list index"
                    + " goes (expected: a number, such as LB4J_POOLS_API_BACKENDS_0_WEIGHT)",
                "flag --set pools.api.helthCheck.interval=1s: 'helthCheck' at pools.api names"
                    + " nothing (expected one of [backends, algorithm, hashKey, healthCheck,"
                    + " outlierDetection, slowStart, panicThreshold, panicMode, maxRequests,"
                    + " maxRequestsPerBackend]; did you mean 'healthCheck'?)",
                "flag --set no-equals-sign: no '=' (expected: --set path=value, such as --set"
                    + " pools.api.algorithm=maglev)",
                "flag --set pools..x=1: 'pools..x' (expected: keys joined by dots, list indexes"
                    + " in brackets, such as pools.api.backends[0].weight)",
                "flag --set pools.api.backends[9]=http://z:1: index 9 at pools.api.backends"
                    + " (expected: an index of an existing list element, or the next index to"
                    + " append)")
                .hasSize(6));
    assertThatThrownBy(() -> load(Map.of(), List.of("routes[0].match.methods=[unclosed")))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).singleElement().asString().startsWith(
                "flag --set routes[0].match.methods=[unclosed: '[unclosed' (expected: valid YAML"
                    + " after the '='"));
  }

  @Test
  void overridesBelowAPlainValueAreErrors() {
    assertThatThrownBy(() -> load(Map.of("LB4J_DEFAULT_POOL_NAME", "x"),
            List.of("pools.api.algorithm.name.first=x", "routes[0].toPool.x=1")))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "environment LB4J_DEFAULT_POOL_NAME: words left after defaultPool (expected: the"
                    + " variable to end at a plain value)",
                "flag --set pools.api.algorithm.name.first=x: 'first' at pools.api.algorithm.name"
                    + " names nothing (expected nothing below a plain value)",
                "flag --set routes[0].toPool.x=1: 'x' at routes.0.toPool names nothing (expected"
                    + " nothing below a plain value)"));
  }

  @Test
  void commandLineArgumentsAreSetFlagsAndNothingElse() {
    assertThat(Lb4jConfig.loader().text(FILE, "file").environment(Map.of())
            .args("--set", "pools.api.algorithm=random", "--set=defaultPool=api").load().toYaml())
        .contains("algorithm: random").contains("defaultPool: api");
    assertThatThrownBy(() -> Lb4jConfig.loader().args("--verbose"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("the command line: 1 problem\n  argument 1: '--verbose' (expected: --set"
            + " path=value)");
  }
}
