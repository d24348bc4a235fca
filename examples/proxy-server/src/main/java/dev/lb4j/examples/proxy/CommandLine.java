package dev.lb4j.examples.proxy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The proxy server's arguments: {@code [--config FILE] [--set path=value]... [--validate]
 * [--help]}. Each option with a value also takes the {@code --option=value} form.
 *
 * @param config the configuration file, or {@code null} for the built-in demo
 * @param overrides the {@code path=value} overrides, in order
 * @param validate whether to check the configuration and stop (a dry run)
 * @param help whether to print the usage and stop
 */
record CommandLine(@Nullable Path config, List<String> overrides, boolean validate, boolean help) {

  /** What {@code --help} prints. */
  static final String USAGE = """
      usage: java -jar lb4j-proxy-server.jar [--config FILE] [--set path=value]... [--validate]

        --config FILE      the lb4j configuration (YAML or JSON); watched and reloaded when it
                           changes. Without it, a demo runs: three built-in backends on loopback.
        --set path=value   overrides a setting, after LB4J_... environment variables:
                           --set server.port=9090, --set pools.api.algorithm=least_request
        --validate         loads and checks the configuration, prints the effective one (secrets
                           masked) and exits: 0 when it is valid, 2 when it has problems
        --help             prints this and exits

      exit status: 0 after --help, a valid --validate, or a shutdown on SIGTERM or SIGINT;
                   1 when the server cannot start (a port in use, say);
                   2 for a bad argument or a configuration with problems.
      """;

  CommandLine {
    overrides = List.copyOf(overrides);
  }

  /** An argument that cannot be used; the message names it. */
  static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /**
   * Parses the arguments.
   *
   * @param args the arguments
   * @return what they ask for
   * @throws UsageException naming the first argument that cannot be used
   */
  static CommandLine parse(String... args) throws UsageException {
    Path config = null;
    List<String> overrides = new ArrayList<>();
    boolean validate = false;
    boolean help = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      String inline = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : null;
      switch (name) {
        case "--config" -> {
          if (config != null) {
            throw new UsageException("--config: given twice (expected: one configuration file)");
          }
          String file = inline != null ? inline : value(args, i++, "--config", "a file");
          if (file.isBlank()) {
            throw new UsageException("--config: an empty file name (expected: a file)");
          }
          config = Path.of(file);
        }
        case "--set" -> {
          String setting = inline != null ? inline : value(args, i++, "--set", "path=value");
          int eq = setting.indexOf('=');
          if (eq <= 0) {
            throw new UsageException("--set: '" + setting
                + "' (expected: path=value, such as server.port=9090)");
          }
          overrides.add(setting);
        }
        case "--validate", "--help", "-h" -> {
          if (inline != null) {
            throw new UsageException(name + ": takes no value, found '" + arg + "'");
          }
          if (name.equals("--validate")) {
            validate = true;
          } else {
            help = true;
          }
        }
        default -> throw new UsageException("unknown argument '" + arg
            + "' (expected: --config FILE, --set path=value, --validate or --help)");
      }
    }
    return new CommandLine(config, overrides, validate, help);
  }

  private static String value(String[] args, int i, String option, String expected)
      throws UsageException {
    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
      throw new UsageException(option + ": no value (expected: " + option + " " + expected + ")");
    }
    return args[i + 1];
  }
}
