package dev.lb4j.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * An ordered list of header edits (set, add, remove) that a {@link Policy} asks the adapter to apply
 * to a request or a response. Immutable; {@link #none()} is the empty list.
 *
 * @since 0.1.0
 */
public final class HeaderChanges {

  /** The kind of one edit. */
  public enum Op {
    /** Replace every value of the header with one value. */
    SET,
    /** Append one more value. */
    ADD,
    /** Remove every value of the header. */
    REMOVE
  }

  /**
   * One edit. {@code value} is empty for {@link Op#REMOVE}.
   *
   * @param op what to do
   * @param name the header name, in lower case
   * @param value the value, or empty for a removal
   */
  public record Change(Op op, String name, String value) {
    /**
     * Validates the edit.
     *
     * @param op what to do
     * @param name the header name
     * @param value the value
     */
    public Change {
      Objects.requireNonNull(op, "op");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
    }
  }

  private static final HeaderChanges NONE = new HeaderChanges(List.of());

  private final List<Change> changes;

  private HeaderChanges(List<Change> changes) {
    this.changes = changes;
  }

  /**
   * No edits.
   *
   * @return the empty list
   */
  public static HeaderChanges none() {
    return NONE;
  }

  /**
   * Starts a list of edits.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The edits in the order they must be applied.
   *
   * @return an immutable list
   */
  public List<Change> changes() {
    return changes;
  }

  /**
   * Whether there are no edits.
   *
   * @return {@code true} if empty
   */
  public boolean isEmpty() {
    return changes.isEmpty();
  }

  @Override
  public String toString() {
    return changes.toString();
  }

  /** Builds a {@link HeaderChanges}; not thread-safe. */
  public static final class Builder {
    private final List<Change> changes = new ArrayList<>();

    Builder() {}

    /**
     * Sets a header to one value, replacing any others.
     *
     * @param name the header name (a token: no spaces, colons, CR or LF)
     * @param value the value (no CR or LF)
     * @return this builder
     */
    public Builder set(String name, String value) {
      changes.add(new Change(Op.SET, checkName(name), checkValue(name, value)));
      return this;
    }

    /**
     * Adds one more value to a header.
     *
     * @param name the header name (a token)
     * @param value the value (no CR or LF)
     * @return this builder
     */
    public Builder add(String name, String value) {
      changes.add(new Change(Op.ADD, checkName(name), checkValue(name, value)));
      return this;
    }

    /**
     * Removes every value of a header.
     *
     * @param name the header name (a token)
     * @return this builder
     */
    public Builder remove(String name) {
      changes.add(new Change(Op.REMOVE, checkName(name), ""));
      return this;
    }

    /**
     * Builds the immutable list; the builder stays usable.
     *
     * @return the edits
     */
    public HeaderChanges build() {
      return changes.isEmpty() ? NONE : new HeaderChanges(List.copyOf(changes));
    }

    private static String checkName(String name) {
      Objects.requireNonNull(name, "name");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("header name: '' (expected: a non-empty token)");
      }
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (c <= ' ' || c >= 0x7f || "()<>@,;:\\\"/[]?={}".indexOf(c) >= 0) {
          throw new IllegalArgumentException(
              "header name: '" + name + "' (expected: an RFC 9110 token, found '" + c + "')");
        }
      }
      return name.toLowerCase(Locale.ROOT);
    }

    private static String checkValue(String name, String value) {
      Objects.requireNonNull(value, "value");
      for (int i = 0; i < value.length(); i++) {
        char c = value.charAt(i);
        if (c == '\r' || c == '\n' || c == 0) {
          throw new IllegalArgumentException(
              "header '" + name + "' value: contains CR, LF or NUL (expected: a single-line value)");
        }
      }
      return value;
    }
  }
}
