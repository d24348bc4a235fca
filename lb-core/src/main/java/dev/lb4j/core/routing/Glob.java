package dev.lb4j.core.routing;

/**
 * Path globs: {@code *} matches any run of characters except {@code /}, {@code **} any run including
 * {@code /}, {@code ?} one character except {@code /}; everything else matches itself. So {@code
 * /a/*} matches {@code /a/} and {@code /a/b}, and {@code /**}{@code /x} needs at least {@code //x}:
 * {@code **} stands for characters, not for whole segments as in Ant or gitignore.
 *
 * <p>Matching is dynamic programming over (pattern position, path position): O(pattern x path) time
 * whatever the input, so an adversarial path cannot make it backtrack exponentially. It allocates one
 * row of booleans per call; prefix and exact routes (indexed) avoid it.
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

  /** Whether {@code path} matches {@code glob} as a whole. */
  static boolean matches(String glob, String path) {
    int n = path.length();
    // row[j]: the pattern read so far matches path[0, j).
    boolean[] row = new boolean[n + 1];
    row[0] = true;
    int g = 0;
    while (g < glob.length()) {
      char c = glob.charAt(g);
      if (c == '*') {
        boolean deep = g + 1 < glob.length() && glob.charAt(g + 1) == '*';
        g += deep ? 2 : 1;
        // A star extends any match forward over characters it may cover.
        for (int j = 1; j <= n; j++) {
          if (!row[j] && row[j - 1] && (deep || path.charAt(j - 1) != '/')) {
            row[j] = true;
          }
        }
      } else {
        boolean any = false;
        for (int j = n; j >= 1; j--) {
          char p = path.charAt(j - 1);
          row[j] = row[j - 1] && (c == '?' ? p != '/' : c == p);
          any |= row[j];
        }
        row[0] = false;
        g++;
        if (!any) {
          return false;
        }
      }
    }
    return row[n];
  }
}
