package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Scheduler;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The effective configuration prints back to a document that loads to the same configuration, and
 * the inputs that once broke that (or the loader) stay fixed.
 */
class RoundTripTest {

  private static final Scheduler IDLE = (task, delay) -> () -> {};

  private static Lb4jConfig load(String yaml) {
    return Lb4jConfig.loader().text(yaml, "t").environment(Map.of()).load();
  }

  private static void assertRoundTrips(Lb4jConfig config) {
    assertThat(load(config.toYaml())).as("YAML:\n%s", config.toYaml()).isEqualTo(config);
    assertThat(load(config.toJson())).as("JSON:\n%s", config.toJson()).isEqualTo(config);
  }

  @Test
  void theExamplesPrintBackToThemselvesWithTheTokenMasked() {
    Lb4jConfig full = Lb4jConfig.loader().file(Path.of("examples", "full.yaml"))
        .environment(Map.of("LB4J_ADMIN_TOKEN", "s3cret")).load();
    assertThat(full.admin().token()).isEqualTo("s3cret");
    assertThat(full.toYaml()).contains("token: '******'").doesNotContain("s3cret");
    assertThat(full.toJson()).contains("\"token\" : \"******\"").doesNotContain("s3cret");
    Lb4jConfig reloaded = load(full.toYaml());
    assertThat(reloaded.admin().token()).isEqualTo("******");
    assertThat(reloaded.toYaml()).isEqualTo(full.toYaml());
    assertRoundTrips(Lb4jConfig.loader().file(Path.of("examples", "minimal.yaml"))
        .environment(Map.of()).load());
  }

  @Test
  void literalDollarBracesAndNumberLikeStringsSurviveTheRoundTrip() {
    Lb4jConfig config = load("""
        pools:
          api:
            backends:
              - {uri: "http://a:1", zone: "$${X}"}
              - {uri: "http://b:2", zone: "1e5"}
              - {uri: "http://c:3", zone: "true"}
        """);
    assertRoundTrips(config);
    try (LoadBalancer lb = config.newBuilder().scheduler(IDLE).build()) {
      assertThat(lb.stats().pool("api").backend("a:1").zone()).isEqualTo("${X}");
      assertThat(lb.stats().pool("api").backend("b:2").zone()).isEqualTo("1e5");
    }
  }

  @Test
  void aKeySourceSetToFalseIsNotChosen() {
    assertThatThrownBy(() -> load("""
            pools:
              api:
                algorithm: ring_hash
                hashKey: {clientAddress: false}
                backends: [http://a:1]
            """))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "pools.api.hashKey: none of [header, cookie, queryParameter, clientAddress, path]"
                    + " set (expected: exactly one of them)"));
    Lb4jConfig config = load("""
        pools:
          api:
            algorithm: ring_hash
            hashKey: {header: X-User, path: false}
            backends: [http://a:1]
        """);
    assertThat(config.toYaml()).contains("header: X-User");
  }

  @Test
  void numbersThatAreNotFiniteAndDurationsThatOverflowAreProblems() {
    assertThatThrownBy(() -> load("""
            latencyDecay: %s
            pools:
              api:
                panicThreshold: .inf
                maxRequests: 1e400
                healthCheck: {probe: tcp, jitter: .nan}
                backends: [http://a:1]
            """.formatted("999999999999d".repeat(3))))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::path).containsExactlyInAnyOrder(
                "latencyDecay", "pools.api.healthCheck.jitter", "pools.api.panicThreshold",
                "pools.api.maxRequests"));
  }

  @Test
  void explicitNullsAreProblemsNotDefaults() {
    assertThatThrownBy(() -> load("pools:\n  api:\n    backends: [http://a:1]\n    algorithm:\n"))
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "pools.api.algorithm: null (expected: a string (the name) or an object, or leave"
                    + " the key out)"));
  }

  @Test
  void aWeightOverrideTurnsABackendWrittenAsItsUriIntoAnObject() {
    Lb4jConfig config = Lb4jConfig.loader()
        .file(Path.of("examples", "minimal.yaml"))
        .environment(Map.of("LB4J_POOLS_WEB_BACKENDS_1_WEIGHT", "4"))
        .flags(List.of("pools.web.backends[0].weight=5"))
        .load();
    try (LoadBalancer lb = config.newBuilder().scheduler(IDLE).build()) {
      assertThat(lb.stats().pool("web").backend("127.0.0.1:8081").weight()).isEqualTo(5);
      assertThat(lb.stats().pool("web").backend("127.0.0.1:8082").weight()).isEqualTo(4);
    }
  }

  @Test
  void anEnvironmentVariableWithAnEmptyWordIsAProblem() {
    assertThatThrownBy(() -> Lb4jConfig.loader().file(Path.of("examples", "minimal.yaml"))
            .environment(Map.of("LB4J_", "1", "LB4J_POOLS__WEB", "x")).load())
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::path)
                .containsExactly("environment LB4J_", "environment LB4J_POOLS__WEB"));
  }
}
