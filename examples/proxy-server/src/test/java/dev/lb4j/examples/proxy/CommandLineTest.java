package dev.lb4j.examples.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The argument parser, and what the program answers without starting anything. */
class CommandLineTest {

  @Test
  void everyOptionIsReadInBothForms() throws Exception {
    CommandLine cli = CommandLine.parse("--config", "a.yaml", "--set", "server.port=0",
        "--set=admin.port=9", "--validate");
    assertThat(cli.config()).isEqualTo(Path.of("a.yaml"));
    assertThat(cli.overrides()).containsExactly("server.port=0", "admin.port=9");
    assertThat(cli.validate()).isTrue();
    assertThat(cli.help()).isFalse();
    assertThat(CommandLine.parse("--config=b.json").config()).isEqualTo(Path.of("b.json"));
    assertThat(CommandLine.parse().config()).isNull();
    assertThat(CommandLine.parse("-h").help()).isTrue();
  }

  @Test
  void aBadArgumentIsNamedInTheMessage() {
    assertThatThrownBy(() -> CommandLine.parse("--port", "8080"))
        .hasMessageStartingWith("unknown argument '--port'");
    assertThatThrownBy(() -> CommandLine.parse("--config"))
        .hasMessage("--config: no value (expected: --config a file)");
    assertThatThrownBy(() -> CommandLine.parse("--config", "--validate"))
        .hasMessage("--config: no value (expected: --config a file)");
    assertThatThrownBy(() -> CommandLine.parse("--config", "a", "--config", "b"))
        .hasMessageStartingWith("--config: given twice");
    assertThatThrownBy(() -> CommandLine.parse("--set", "server.port"))
        .hasMessageStartingWith("--set: 'server.port' (expected: path=value");
    assertThatThrownBy(() -> CommandLine.parse("--validate=yes"))
        .hasMessageStartingWith("--validate: takes no value");
  }

  @Test
  void helpPrintsTheUsageAndBadArgumentsExitWithTwo() {
    Run help = run("--help");
    assertThat(help.status()).isZero();
    assertThat(help.out()).startsWith("usage: java -jar lb4j-proxy-server.jar")
        .contains("--config FILE", "--set path=value", "--validate");
    Run bad = run("--config", "x.yaml", "extra");
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err()).startsWith("lb4j-proxy-server: unknown argument 'extra'");
    Run validateDemo = run("--validate");
    assertThat(validateDemo.status()).isEqualTo(2);
    assertThat(validateDemo.err()).contains("--validate: no --config FILE");
  }

  @Test
  void validateReportsAFileThatCannotBeRead() {
    Run r = run("--validate", "--config", "does/not/exist.yaml");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err()).contains("does/not/exist.yaml").contains("(file): cannot be read");
  }

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = ProxyServer.run(args, o, e);
    }
    assertThat(status).as("nothing was started").isNotEqualTo(ProxyServer.RUNNING);
    return new Run(status, out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8));
  }

}
