package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import dev.lb4j.api.HealthResult;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.PolicyProvider;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.algorithm.Algorithms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/**
 * A user's own algorithm, probe and policy, named in a file and found through {@code
 * META-INF/services}, as on a user's class path. Runs in the class-path execution only (see the pom):
 * on the module path, test classes cannot register providers.
 */
class UserProvidersTest {

  /** An algorithm by a user's name: round robin, with one option checked. */
  public static final class SteadyProvider implements AlgorithmProvider {
    @Override
    public String name() {
      return "steady";
    }

    @Override
    public Algorithm create(Map<String, String> options) {
      for (String key : options.keySet()) {
        if (!key.equals("note")) {
          throw new IllegalArgumentException(
              "algorithm 'steady' option: '" + key + "' (expected one of [note])");
        }
      }
      return Algorithms.roundRobin();
    }
  }

  /** A probe whose verdict is its option. */
  public static final class VerdictProbeProvider implements HealthProbeProvider {
    @Override
    public String name() {
      return "verdict";
    }

    @Override
    public HealthProbe create(Map<String, String> options) {
      boolean healthy = Boolean.parseBoolean(options.getOrDefault("healthy", "true"));
      return new HealthProbe() {
        @Override
        public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
          return CompletableFuture.completedFuture(
              healthy ? HealthResult.healthy() : HealthResult.unhealthy("scripted"));
        }
      };
    }
  }

  /** A policy that refuses requests without a header its options name. */
  public static final class RequireHeaderProvider implements PolicyProvider {
    @Override
    public String name() {
      return "require_header";
    }

    @Override
    public Policy create(String policyName, Map<String, String> options) {
      String header = options.get("header");
      if (header == null) {
        throw new IllegalArgumentException(
            "policy 'require_header' option 'header': missing (expected: a header name)");
      }
      return new Policy() {
        @Override
        public String name() {
          return policyName;
        }

        @Override
        public PolicyDecision onRequest(RequestView request) {
          return request.header(header) == null
              ? PolicyDecision.reject(401, "missing " + header)
              : PolicyDecision.proceed();
        }
      };
    }
  }

  /** Runs scheduled tasks only when told to. */
  private static final class Tasks implements Scheduler {
    final List<Runnable> due = new ArrayList<>();

    @Override
    public synchronized Cancellable schedule(Runnable task, long delayNanos) {
      if (delayNanos == 0) {
        due.add(task);
      }
      return () -> {};
    }

    void runDue() {
      List<Runnable> now;
      synchronized (this) {
        now = new ArrayList<>(due);
        due.clear();
      }
      now.forEach(Runnable::run);
    }
  }

  private static final String FILE = """
      pools:
        api:
          algorithm: {name: steady, options: {note: mine}}
          backends: [http://a:1, http://b:2]
          healthCheck:
            probe: {name: verdict, options: {healthy: "false"}}
            unhealthyThreshold: 1
            jitter: 0
          panicThreshold: 0
      policies:
        - name: need-key
          global: true
          provider: {name: require_header, options: {header: X-Key}}
      """;

  @Test
  void aUsersAlgorithmProbeAndPolicyWorkByName() {
    Lb4jConfig config =
        Lb4jConfig.loader().text(FILE, "file").environment(Map.of()).load();
    Tasks tasks = new Tasks();
    try (LoadBalancer lb = config.newBuilder().scheduler(tasks).build()) {
      assertThat(lb.stats().pool("api").algorithm()).isEqualTo(Algorithms.roundRobin().name());
      assertThat(lb.select(RequestView.of("GET", "/"))).isInstanceOfSatisfying(Rejected.class,
          r -> assertThat(r.toString()).contains("need-key").contains("missing X-Key"));
      tasks.runDue(); // the first probes: the scripted verdict is unhealthy
      assertThat(lb.stats().pool("api").backends())
          .allSatisfy(b -> assertThat(b.status()).isEqualTo(BackendStatus.UNHEALTHY));
    }
  }

  @Test
  void aUsersProvidersRefusalsArePlacedAtTheirPath() {
    assertThatThrownBy(() -> Lb4jConfig.loader().environment(Map.of()).text("""
            pools:
              api:
                algorithm: {name: steady, options: {speed: fast}}
                backends: [http://a:1]
            policies:
              - name: need-key
                provider: require_header
            """, "file").load())
        .isInstanceOfSatisfying(ConfigException.class, e ->
            assertThat(e.problems()).map(ConfigProblem::toString).containsExactly(
                "pools.api.algorithm: 'speed' at algorithm 'steady' option (expected one of"
                    + " [note])",
                "policies[0].provider: missing at policy 'require_header' option 'header'"
                    + " (expected: a header name)"));
  }
}
