package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every message the loader gives, each for the smallest document that triggers it: the path, the
 * value found and what is allowed, exactly as a user reads them.
 */
class ValidationMessagesTest {

  private static final String POOL = "pools:\n  api:\n    backends: [http://a:1]\n";

  static List<String> problems(String yaml, Map<String, String> env, List<String> flags) {
    try {
      Lb4jConfig.loader().text(yaml, "test.yaml").environment(env).flags(flags).load();
    } catch (ConfigException e) {
      assertThat(e.getMessage()).startsWith("test.yaml: " + e.problems().size() + " problem");
      return e.problems().stream().map(ConfigProblem::toString).toList();
    }
    throw new AssertionError("valid, but expected problems: " + yaml);
  }

  static List<String> problems(String yaml) {
    return problems(yaml, Map.of(), List.of());
  }

  static Stream<Arguments> shapeProblems() {
    return Stream.of(
        Arguments.of("pools:\n  api:\n    backends: [http://a:1]\n    algoritm: maglev\n",
            "pools.api.algoritm: unknown key (expected one of [backends, algorithm, hashKey,"
                + " healthCheck, outlierDetection, slowStart, panicThreshold, panicMode,"
                + " maxRequests, maxRequestsPerBackend]; did you mean 'algorithm'?)"),
        Arguments.of(POOL + "zzz: 1\n",
            "zzz: unknown key (expected one of [pools, defaultPool, routes, policies, retries,"
                + " admin, server, latencyDecay, latencyStats])"),
        Arguments.of("pools:\n  api: {}\n",
            "pools.api.backends: missing (expected: a list of a string (the uri) or an object;"
                + " required)"),
        Arguments.of("pools: [a]\n", "pools: a list (expected: an object of names to an object)"),
        Arguments.of("pools:\n  api: http://a:1\n", "pools.api: 'http://a:1' (expected: an object)"),
        Arguments.of("pools:\n  api:\n    backends: http://a:1\n",
            "pools.api.backends: 'http://a:1' (expected: a list of a string (the uri) or an"
                + " object)"),
        Arguments.of("pools:\n  api:\n    backends: [[http://a:1]]\n",
            "pools.api.backends[0]: a list (expected: a string (the uri) or an object)"),
        Arguments.of("pools:\n  api:\n    backends: [{uri: http://a:1, weight: -3}]\n",
            "pools.api.backends[0].weight: -3 (expected: 1..10000)"),
        Arguments.of("pools:\n  api:\n    backends: [{uri: http://a:1, weight: 1.5}]\n",
            "pools.api.backends[0].weight: 1.5 (expected: 1..10000)"),
        Arguments.of("pools:\n  api:\n    backends: [{uri: http://a:1, weight: 99999999999999999999}]\n",
            "pools.api.backends[0].weight: 99999999999999999999 (expected: 1..10000)"),
        Arguments.of("pools:\n  api:\n    backends: [{uri: {x: 1}}]\n",
            "pools.api.backends[0].uri: an object (expected: a string)"),
        Arguments.of(POOL + "    healthCheck: {probe: tcp, jitter: 2}\n",
            "pools.api.healthCheck.jitter: 2 (expected: a number in 0.0..1.0)"),
        Arguments.of(POOL + "    healthCheck: {probe: tcp, jitter: lots}\n",
            "pools.api.healthCheck.jitter: 'lots' (expected: a number in 0.0..1.0)"),
        Arguments.of(POOL + "    healthCheck: {probe: tcp, interval: 5 seconds}\n",
            "pools.api.healthCheck.interval: '5 seconds' (expected: a duration such as 500ms, 30s,"
                + " 5m or 1m30s (units ns, us, ms, s, m, h, d), up to 3650d)"),
        Arguments.of(POOL + "    healthCheck: {probe: tcp, interval: 5}\n",
            "pools.api.healthCheck.interval: 5 (expected: a duration such as 500ms, 30s, 5m or"
                + " 1m30s (units ns, us, ms, s, m, h, d), up to 3650d)"),
        Arguments.of(POOL + "    healthCheck: {probe: tcp, initialState: maybe}\n",
            "pools.api.healthCheck.initialState: 'maybe' (expected one of [assume_healthy,"
                + " wait_for_first_probe])"),
        Arguments.of(POOL + "    outlierDetection: {gatewayFailuresOnly: yes please}\n",
            "pools.api.outlierDetection.gatewayFailuresOnly: 'yes please' (expected: true or"
                + " false)"),
        Arguments.of(POOL + "    outlierDetection: {failureStatuses: [500, 700]}\n",
            "pools.api.outlierDetection.failureStatuses[1]: 700 (expected: 100..599)"),
        Arguments.of(POOL + "    hashKey: {header: X-User, cookie: s}\n",
            "pools.api.hashKey: header and cookie both set (expected: exactly one of [header,"
                + " cookie, queryParameter, clientAddress, path])"),
        Arguments.of(POOL + "    hashKey: {}\n",
            "pools.api.hashKey: none of [header, cookie, queryParameter, clientAddress, path] set"
                + " (expected: exactly one of them)"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: api, match: {pathExact: /a,"
                + " pathPrefix: /b}}\n",
            "routes[0].match: pathExact and pathPrefix both set (expected: at most one of"
                + " [pathExact, pathPrefix, pathGlob, pathRegex])"),
        Arguments.of(POOL + "routes:\n  - {name: 'bad name', toPool: api}\n",
            "routes[0].name: 'bad name' (expected: 1 to 64 letters, digits, '_' or '-', starting"
                + " with a letter or digit)"),
        Arguments.of(POOL + "routes:\n  - {name: r, split: {api: null}}\n",
            "routes[0].split.api: null (expected: a whole number)"),
        Arguments.of("pools:\n  api:\n    backends: []\n",
            "pools.api.backends: empty (expected: at least one element)"),
        Arguments.of("pools:\n  api:\n    backends: [{uri: http://a:1, zone: 7}]\n",
            "pools.api.backends[0].zone: 7 (expected: a string (quote it))"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: api, match: {headers: [{name: X,"
                + " present: false}]}}\n",
            "routes[0].match.headers[0]: none of [exact, regex, present, absent] set (expected:"
                + " exactly one of them)"),
        Arguments.of(POOL + "pools2: 1\n",
            "pools2: unknown key (expected one of [pools, defaultPool, routes, policies, retries,"
                + " admin, server, latencyDecay, latencyStats]; did you mean 'pools'?)"));
  }

  @ParameterizedTest
  @MethodSource("shapeProblems")
  void eachShapeProblemNamesThePathTheValueAndWhatIsAllowed(String yaml, String expected) {
    assertThat(problems(yaml)).containsExactly(expected);
  }

  static Stream<Arguments> referenceAndEngineProblems() {
    return Stream.of(
        Arguments.of(POOL + "defaultPool: web\n", "defaultPool: 'web' (expected one of the pools [api])"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: web}\n",
            "routes[0].toPool: 'web' (expected one of the pools [api])"),
        Arguments.of(POOL + "routes:\n  - {name: r, split: {api: 9, web: 1}}\n",
            "routes[0].split.web: 'web' (expected one of the pools [api])"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: api, policies: [ghost]}\n",
            "routes[0].policies[0]: 'ghost' (expected one of the policies [])"),
        Arguments.of(POOL + "policies:\n  - {name: g, global: true, rateLimit: {rate: 5}}\n"
                + "routes:\n  - {name: r, toPool: api, policies: [g]}\n",
            "routes[0].policies[0]: 'g' (expected: a policy that is not global (global policies"
                + " already run for every request))"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: api}\n  - {name: r, toPool: api}\n",
            "routes[1].name: 'r' (expected: a name no other route has)"),
        Arguments.of(POOL + "policies:\n  - {name: p, rateLimit: {rate: 5}}\n"
                + "  - {name: p, rateLimit: {rate: 6}}\n",
            "policies[1].name: 'p' (expected: a name no other policy has)"),
        Arguments.of(POOL + "    healthCheck: {probe: nosuch}\n",
            "pools.api.healthCheck.probe.name: 'nosuch' (expected one of the installed probes"
                + " [http, tcp] (http comes with lb-jdk-httpclient; your own registers a"
                + " dev.lb4j.api.HealthProbeProvider))"),
        Arguments.of(POOL + "    healthCheck: {probe: {name: tcp, options: {port: '1'}}}\n",
            "pools.api.healthCheck.probe: 'port' at probe 'tcp' option (expected: no options; the"
                + " tcp probe only connects)"),
        Arguments.of(POOL + "policies:\n  - {name: p, provider: mine}\n",
            "policies[0].provider.name: 'mine' (expected one of the installed policy providers []"
                + " (register a dev.lb4j.api.PolicyProvider))"),
        Arguments.of("pools:\n  api:\n    backends: [ftp://a:1]\n",
            "pools.api.backends[0]: 'ftp://a:1' at uri (expected: an http or https URI such as"
                + " http://10.0.0.7:8080)"),
        Arguments.of(POOL + "    algorithm: {name: maglev, options: {tableSize: '10'}}\n",
            "pools.api.algorithm: 10 at maglev tableSize (expected: a prime number up to 5000011,"
                + " such as 65537)"),
        Arguments.of(POOL + "    algorithm: fastest\n",
            "pools.api.algorithm: 'fastest' (expected one of [bounded_load,"
                + " least_request, maglev, peak_ewma, random, rendezvous, ring_hash, round_robin,"
                + " weighted_random, weighted_round_robin])"),
        Arguments.of(POOL + "    algorithm: maglev\n",
            "pools.api.hashKey: not set (expected: a key source such as"
                + " HashKey.header(\"X-User\"), because algorithm 'maglev' hashes)"),
        Arguments.of(POOL + "routes:\n  - name: r\n    toPool: api\n    match:\n      cookies:"
                + " [{name: s, regex: a.*}]\n",
            "routes[0].match.cookies[0]: regex (expected: exact or present: true (cookies))"),
        Arguments.of(POOL + "routes:\n  - {name: r, toPool: api, match: {pathRegex: '(a'}}\n",
            "routes[0].match.pathRegex: PLACEHOLDER"),
        Arguments.of("pools: {}\n", "pools: empty (expected: at least one entry)"),
        Arguments.of(POOL + "routes:\n  - name: r\n    toPool: api\n    match:\n"
                + "      queryParameters: [{name: debug, absent: true}]\n",
            "routes[0].match.queryParameters[0]: absent or present: false (expected: exact, regex"
                + " or present: true)"));
  }

  @ParameterizedTest
  @MethodSource("referenceAndEngineProblems")
  void eachReferenceAndEngineProblemNamesThePathTheValueAndWhatIsAllowed(
      String yaml, String expected) {
    List<String> found = problems(yaml);
    if (expected.endsWith("PLACEHOLDER")) { // the regex parser's own message, whatever it says
      assertThat(found).singleElement().asString()
          .startsWith(expected.replace("PLACEHOLDER", "")).contains("(a");
    } else {
      assertThat(found).containsExactly(expected);
    }
  }

  @Test
  void aFileWithManyMistakesReportsEveryOne() {
    String yaml = """
        defaultPool: nope
        pools:
          api:
            algoritm: maglev
            backends:
              - http://a:1
              - uri: http://b:2
                weight: -3
              - uri: ftp://c:3
            healthCheck:
              probe: nosuch
              interval: 5 seconds
          bad name!:
            backends: [http://x:1]
        routes:
          - name: r1
            toPool: missing
          - match: {pathPrefix: /x}
            toPool: api
        policies:
          - name: p
            rateLimit: {rate: 0}
        retries:
          maxAttempts: many
        admin:
          token: ${UNSET_TOKEN}
        """;
    assertThat(problems(yaml)).containsExactlyInAnyOrder(
        "admin.token: '${UNSET_TOKEN}' (expected: environment variable UNSET_TOKEN to be set, or a"
            + " default such as ${UNSET_TOKEN:-value})",
        "pools.api.algoritm: unknown key (expected one of [backends, algorithm, hashKey,"
            + " healthCheck, outlierDetection, slowStart, panicThreshold, panicMode, maxRequests,"
            + " maxRequestsPerBackend]; did you mean 'algorithm'?)",
        "pools.api.backends[1].weight: -3 (expected: 1..10000)",
        "pools.api.healthCheck.interval: '5 seconds' (expected: a duration such as 500ms, 30s, 5m"
            + " or 1m30s (units ns, us, ms, s, m, h, d), up to 3650d)",
        "routes[1].name: missing (expected: a string; required)",
        "policies[0].rateLimit.rate: 0 (expected: 1..1000000000)",
        "retries.maxAttempts: 'many' (expected: 1..10)",
        "pools.api.backends[2]: 'ftp://c:3' at uri (expected: an http or https URI such as"
            + " http://10.0.0.7:8080)",
        "pools.api.healthCheck.probe.name: 'nosuch' (expected one of the installed probes [http,"
            + " tcp]"
            + " (http comes with lb-jdk-httpclient; your own registers a"
            + " dev.lb4j.api.HealthProbeProvider))",
        "pools.bad name!: name 'bad name!' (expected: 1 to 64 letters, digits, '_' or"
            + " '-', starting with a letter or digit)",
        "routes[0].toPool: 'missing' (expected one of the pools [api])",
        "defaultPool: 'nope' (expected one of the pools [api])");
  }

  static Stream<Arguments> documentProblems() {
    return Stream.of(
        Arguments.of("pools: [unclosed\n", "(document): not valid YAML or JSON"),
        Arguments.of("- a\n- b\n", "(document): a list (expected: an object with pools, routes,"
            + " policies...)"),
        Arguments.of("pools:\n  api:\n    backends: [http://a:1]\n  api:\n    backends: []\n",
            "(document): not valid YAML or JSON"),
        Arguments.of(POOL + "admin: {token: '${TOKEN'}\n",
            "admin.token: '${TOKEN' (expected: ${NAME} or ${NAME:-default} closed by '}' (write"
                + " $${ for a literal ${))"),
        Arguments.of(POOL + "admin: {token: '${A-B}'}\n",
            "admin.token: '${A-B}' (expected: an environment variable name of letters, digits and"
                + " '_')"));
  }

  @ParameterizedTest
  @MethodSource("documentProblems")
  void brokenDocumentsAndReferencesAreReportedWithWhereTheyAre(String yaml, String expected) {
    List<String> found = problems(yaml);
    assertThat(found).hasSize(1);
    assertThat(found.get(0)).startsWith(expected);
  }

  @Test
  void environmentReferencesResolveWithDefaultsAndEscapes() {
    Lb4jConfig config = Lb4jConfig.loader()
        .text("""
            pools:
              api:
                backends: ["http://${HOST}:${PORT:-8080}", "http://b:${PORT2:-81}"]
            admin: {token: '$${literal}-${T}'}
            """, "t")
        .environment(Map.of("HOST", "10.0.0.9", "PORT2", "9000", "T", "x"))
        .load();
    assertThat(config.toYaml()).contains("http://10.0.0.9:8080").contains("http://b:9000");
    assertThat(config.admin().token()).isEqualTo("${literal}-x");
  }

  @Test
  void anUnreadableFileIsOneProblemNamingTheFile() {
    assertThatThrownBy(() -> Lb4jConfig.loader().file(java.nio.file.Path.of("no/such/file.yaml"))
            .environment(Map.of()).load())
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("no/such/file.yaml: 1 problem\n  (file): cannot be read:");
  }
}
