package dev.lb4j.config;

import dev.lb4j.config.internal.Documents;
import dev.lb4j.config.internal.SchemaWriter;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dry run: validates a configuration file (with the environment and {@code --set} overrides)
 * without starting anything, and prints every problem, or the effective configuration.
 *
 * <pre>
 * java -cp ... dev.lb4j.config.ConfigCheck lb4j.yaml [--set path=value]... [--json]
 * java -cp ... dev.lb4j.config.ConfigCheck --schema
 * </pre>
 *
 * <p>Exit status: 0 when valid, 1 when the file has problems, 2 on a usage error.
 *
 * @since 0.1.0
 */
public final class ConfigCheck {

  private ConfigCheck() {}

  /**
   * Runs the check and exits with its status.
   *
   * @param args the file, then options
   */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the check.
   *
   * @param args the file, then {@code --set path=value} overrides and {@code --json}; or {@code
   *     --schema} alone to print the JSON Schema
   * @param out where the result goes
   * @param err where problems go
   * @return the exit status: 0 valid, 1 problems, 2 usage error
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 1 && args[0].equals("--schema")) {
      out.println(Documents.json().writerWithDefaultPrettyPrinter()
          .writeValueAsString(SchemaWriter.schema()));
      return 0;
    }
    if (args.length == 0 || args[0].startsWith("--")) {
      err.println("usage: ConfigCheck <file.yaml|file.json> [--set path=value]... [--json]");
      err.println("       ConfigCheck --schema");
      return 2;
    }
    boolean json = false;
    List<String> rest = new ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      if (args[i].equals("--json")) {
        json = true;
      } else {
        rest.add(args[i]);
      }
    }
    try {
      Lb4jConfig config =
          Lb4jConfig.loader().file(Path.of(args[0])).args(rest.toArray(new String[0])).load();
      out.println("# " + args[0] + ": valid; the effective configuration:");
      out.print(json ? config.toJson() + System.lineSeparator() : config.toYaml());
      return 0;
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return 1;
    }
  }
}
