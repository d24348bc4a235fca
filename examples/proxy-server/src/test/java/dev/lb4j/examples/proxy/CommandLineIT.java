package dev.lb4j.examples.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --validate} and bad arguments, through the packaged jar: output and exit status. */
class CommandLineIT {

  private static final String SECRET = "never-printed-7d1e";

  @TempDir Path dir;

  private Path file(String yaml) throws Exception {
    Path file = dir.resolve("lb4j.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return file;
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void validateOnAGoodFilePrintsTheEffectiveConfigurationWithSecretsMaskedAndExitsWithZero()
      throws Exception {
    Path file = file("""
        pools:
          api:
            backends: [http://127.0.0.1:9001, http://127.0.0.1:9002]
        server:
          port: 8080
        admin:
          enabled: true
          token: %s
          port: 8081
        """.formatted(SECRET));
    try (ProxyProcess run = ProxyProcess.start(
        "--config", file.toString(), "--set", "server.port=9090", "--validate")) {
      assertThat(run.awaitExit()).as(run.transcript()).isZero();
      assertThat(run.stdout())
          .startsWith("# " + file + ": valid; the effective configuration (secrets masked):")
          .contains("http://127.0.0.1:9001", "port: 9090", "port: 8081")
          .doesNotContain(SECRET);
      assertThat(run.stdout() + run.stderr()).doesNotContain("listening on");
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void validateOnABadFilePrintsEveryProblemWithItsPathAndExitsWithTwo() throws Exception {
    Path file = file("""
        pools:
          api:
            backends: [{uri: http://127.0.0.1:9001, weight: -3}]
            algoritm: maglev
        server:
          port: 70000
        """);
    try (ProxyProcess run = ProxyProcess.start("--validate", "--config", file.toString())) {
      assertThat(run.awaitExit()).as(run.transcript()).isEqualTo(2);
      assertThat(run.stderr())
          .startsWith(file + ": 3 problems")
          .contains("pools.api.backends[0].weight: -3 (expected: 1..10000)")
          .contains("pools.api.algoritm: unknown key")
          .contains("server.port: 70000 (expected: 0..65535)");
      assertThat(run.stdout()).isEmpty();
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void anAdminInterfaceWithoutATokenIsAProblemAndNothingStarts() throws Exception {
    Path file = file("""
        pools:
          api:
            backends: [http://127.0.0.1:9001]
        server:
          port: 0
          bind: 127.0.0.1
        admin:
          enabled: true
          port: 0
        """);
    try (ProxyProcess run = ProxyProcess.start("--config", file.toString())) {
      assertThat(run.awaitExit()).as(run.transcript()).isEqualTo(2);
      assertThat(run.stderr()).contains("admin.token: missing (expected: a bearer token");
      assertThat(run.stdout()).doesNotContain("listening on");
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void aBadArgumentIsNamedAndExitsWithTwo() throws Exception {
    try (ProxyProcess run = ProxyProcess.start("--set", "server.port=0", "--verbose")) {
      assertThat(run.awaitExit()).as(run.transcript()).isEqualTo(2);
      assertThat(run.stderr())
          .contains("lb4j-proxy-server: unknown argument '--verbose'")
          .contains("--help");
      assertThat(run.stdout()).doesNotContain("listening on");
    }
  }
}
