package dev.lb4j.core.policy;

import java.util.Objects;

/** The rule every built-in policy's name follows, with one message for all of them. */
final class PolicyNames {

  private PolicyNames() {}

  static String check(String name) {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_-]{0,63}")) {
      throw new IllegalArgumentException(
          "policies: name '" + name + "' (expected: 1 to 64 letters, digits, '_' or '-')");
    }
    return name;
  }
}
