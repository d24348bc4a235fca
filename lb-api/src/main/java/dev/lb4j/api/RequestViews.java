package dev.lb4j.api;

import org.jspecify.annotations.Nullable;

/** Parsing shared by the default methods of {@link RequestView}. */
final class RequestViews {

  private RequestViews() {}

  /**
   * Finds {@code name=value} in a {@code separator}-delimited list, skipping blanks around pairs.
   * A bare {@code name} (no {@code =}) yields the empty string.
   */
  static @Nullable String findPair(String list, char separator, String name) {
    int length = list.length();
    int start = 0;
    while (start <= length) {
      int end = list.indexOf(separator, start);
      if (end < 0) {
        end = length;
      }
      int from = start;
      while (from < end && list.charAt(from) == ' ') {
        from++;
      }
      int eq = list.indexOf('=', from);
      int nameEnd = eq < 0 || eq > end ? end : eq;
      int trimmedNameEnd = nameEnd;
      while (trimmedNameEnd > from && list.charAt(trimmedNameEnd - 1) == ' ') {
        trimmedNameEnd--;
      }
      if (trimmedNameEnd - from == name.length() && list.startsWith(name, from)) {
        if (nameEnd == end) {
          return "";
        }
        int valueFrom = nameEnd + 1;
        int valueEnd = end;
        while (valueFrom < valueEnd && list.charAt(valueFrom) == ' ') {
          valueFrom++;
        }
        while (valueEnd > valueFrom && list.charAt(valueEnd - 1) == ' ') {
          valueEnd--;
        }
        return list.substring(valueFrom, valueEnd);
      }
      start = end + 1;
    }
    return null;
  }
}
