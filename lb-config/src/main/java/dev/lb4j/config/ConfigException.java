package dev.lb4j.config;

import java.util.List;

/**
 * A configuration that cannot be used, with every problem found (not only the first).
 *
 * @since 0.1.0
 */
public final class ConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** The problems; a list of records, so serialisable. */
  @SuppressWarnings("serial") // List.copyOf of records is serialisable
  private final List<ConfigProblem> problems;

  /**
   * Creates the exception.
   *
   * @param source what was read (a file name, "an admin call")
   * @param problems the problems, at least one
   */
  public ConfigException(String source, List<ConfigProblem> problems) {
    super(message(source, problems));
    this.problems = List.copyOf(problems);
  }

  private static String message(String source, List<ConfigProblem> problems) {
    StringBuilder out = new StringBuilder()
        .append(source).append(": ").append(problems.size())
        .append(problems.size() == 1 ? " problem" : " problems");
    for (ConfigProblem p : problems) {
      out.append("\n  ").append(p);
    }
    return out.toString();
  }

  /**
   * Every problem: those of the document's shape (types, ranges, keys) first, then references
   * and the engine's own rules.
   *
   * @return the problems
   */
  public List<ConfigProblem> problems() {
    return problems;
  }
}
