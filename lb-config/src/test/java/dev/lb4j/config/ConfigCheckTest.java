package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dry run as an operator runs it: exit status, problems, the effective configuration. */
class ConfigCheckTest {

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ConfigCheck.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aValidFilePrintsItsEffectiveConfigurationWithOverridesApplied() {
    Run r = run("examples/minimal.yaml", "--set", "pools.web.algorithm=random");
    assertThat(r.status()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("# examples/minimal.yaml: valid; the effective configuration:")
        .contains("algorithm: random").contains("- http://127.0.0.1:8081");
    Run json = run("examples/minimal.yaml", "--json", "--set", "pools.web.algorithm=random");
    assertThat(json.status()).isZero();
    assertThat(json.out()).contains("\"algorithm\" : \"random\"")
        .contains("\"http://127.0.0.1:8082\"");
  }

  @Test
  void aFileWithProblemsPrintsEveryOneAndExitsWithOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, """
        pools:
          web:
            backends: [{uri: http://a:1, weight: 0}]
            algoritm: maglev
        """);
    Run r = run(file.toString());
    assertThat(r.status()).isEqualTo(1);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith(file + ": 2 problems")
        .contains("pools.web.algoritm: unknown key")
        .contains("pools.web.backends[0].weight: 0 (expected: 1..10000)");
  }

  @Test
  void usageErrorsExitWithTwoAndTheSchemaIsPrintedOnRequest() {
    assertThat(run().status()).isEqualTo(2);
    assertThat(run("--json").err()).startsWith("usage: ConfigCheck");
    Run schema = run("--schema");
    assertThat(schema.status()).isZero();
    assertThat(schema.out()).contains("\"$schema\" : \"https://json-schema.org/draft/2020-12/schema\"");
    Run badFlag = run("examples/minimal.yaml", "--verbose");
    assertThat(badFlag.status()).isEqualTo(1);
    assertThat(badFlag.err()).contains("argument 1: '--verbose' (expected: --set path=value)");
  }
}
