package dev.lb4j.core.routing;

/**
 * Path globs: {@code *} matches any run of characters except {@code /}, {@code **} any run including
 * {@code /}, {@code ?} one character except {@code /}; everything else matches itself. Matching
 * allocates nothing and runs in O(pattern x path) at worst, usually linear.
 */
final class Glob {

  private Glob() {}

  static String check(String field, String glob) {
    if (glob.isEmpty() || glob.charAt(0) != '/') {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: a path glob starting with '/', such as /api/*/users)");
    }
    long stars = glob.chars().filter(ch -> ch == '*').count();
    if (stars > 16) {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: at most 16 '*', which keeps matching fast)");
    }
    if (glob.contains("***")) {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: '*' or '**', not three or more '*' in a row)");
    }
    return glob;
  }

  /** Whether {@code path} matches {@code glob}, by recursion on the stars only. */
  static boolean matches(String glob, String path) {
    return matches(glob, 0, path, 0);
  }

  private static boolean matches(String glob, int g, String path, int p) {
    int gl = glob.length();
    int pl = path.length();
    while (g < gl) {
      char c = glob.charAt(g);
      if (c == '*') {
        boolean deep = g + 1 < gl && glob.charAt(g + 1) == '*';
        int next = g + (deep ? 2 : 1);
        if (next == gl) { // a trailing star: the rest must fit it
          return deep || path.indexOf('/', p) < 0;
        }
        for (int i = p; i <= pl; i++) {
          if (matches(glob, next, path, i)) {
            return true;
          }
          if (i < pl && !deep && path.charAt(i) == '/') {
            return false;
          }
        }
        return false;
      }
      if (p >= pl) {
        return false;
      }
      char pc = path.charAt(p);
      if (c == '?' ? pc == '/' : c != pc) {
        return false;
      }
      g++;
      p++;
    }
    return p == pl;
  }
}
