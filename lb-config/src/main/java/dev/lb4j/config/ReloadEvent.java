package dev.lb4j.config;

import java.time.Instant;
import java.util.List;

/**
 * One reload attempt: what came in, what it changed, or why it was refused.
 *
 * @param outcome what happened
 * @param source where the configuration came from (a file, "an admin call")
 * @param diff what changed (empty unless applied or rolled back)
 * @param problems why it was refused (empty unless rejected)
 * @param at when it happened, by the wall clock
 * @since 0.1.0
 */
public record ReloadEvent(
    Outcome outcome, String source, ConfigDiff diff, List<ConfigProblem> problems, Instant at) {

  /** What a reload did. */
  public enum Outcome {
    /** The new configuration is running. */
    APPLIED,
    /** The new configuration equals the running one; nothing was done. */
    UNCHANGED,
    /** The new configuration was refused; the running one is untouched. */
    REJECTED,
    /** The previous configuration is running again. */
    ROLLED_BACK
  }

  /**
   * Copies the list.
   *
   * @param outcome what happened
   * @param source where the configuration came from
   * @param diff what changed
   * @param problems why it was refused
   * @param at when
   */
  public ReloadEvent {
    problems = List.copyOf(problems);
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder().append(outcome).append(" from ").append(source);
    if (!diff.isEmpty()) {
      out.append(":\n").append(diff);
    }
    for (ConfigProblem p : problems) {
      out.append("\n  ").append(p);
    }
    return out.toString();
  }
}
