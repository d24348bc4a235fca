package dev.lb4j.core.routing;

import java.util.ArrayList;
import java.util.List;

/**
 * Path globs: {@code *} matches any run of characters except {@code /}, {@code **} any run including
 * {@code /}, {@code ?} one character except {@code /}; everything else matches itself. So {@code
 * /a/*} matches {@code /a/} and {@code /a/b}, and {@code /**}{@code /x} needs at least {@code //x}:
 * {@code **} stands for characters, not for whole segments as in Ant or gitignore.
 *
 * <p>Matching is dynamic programming over the glob's tokens (literal runs, {@code ?}, {@code *},
 * {@code **}) and path positions: {@code row[j]} says whether the tokens read so far match the first
 * {@code j} characters. A wildcard updates the row in one pass over the path. A literal run is found
 * everywhere in the path at once by Knuth-Morris-Pratt (Knuth, Morris, Pratt, "Fast pattern matching
 * in strings", SIAM J. Comput. 6(2), 1977), one pass whatever the run's length, with its failure table
 * built with the route. So a match costs O(path length x (wildcards + 1)), with at most {@value
 * #MAX_STARS} stars and {@value #MAX_QUESTION_MARKS} question marks, plus O(glob length) once: a long
 * literal costs nothing per path character, and no path can make matching backtrack.
 *
 * <p>Immutable and thread-safe. A match reuses two per-thread rows for paths up to {@value
 * #RETAINED_PATH} characters; a longer path allocates its rows for that call only.
 */
final class Glob {

  static final int MAX_STARS = 16;
  static final int MAX_QUESTION_MARKS = 64;
  static final int RETAINED_PATH = 8192;

  private static final ThreadLocal<boolean[][]> ROWS =
      ThreadLocal.withInitial(() -> new boolean[][] {new boolean[0], new boolean[0]});

  // Token kinds; literal runs are kept in a parallel array with their KMP failure tables.
  private static final int LITERAL = 0;
  private static final int ONE = 1; // ?
  private static final int STAR = 2; // *
  private static final int DEEP = 3; // **

  private final String glob;
  private final int[] kinds;
  private final String[] literals;
  private final int[][] failures;

  private Glob(String glob, int[] kinds, String[] literals, int[][] failures) {
    this.glob = glob;
    this.kinds = kinds;
    this.literals = literals;
    this.failures = failures;
  }

  static String check(String field, String glob) {
    if (glob.isEmpty() || glob.charAt(0) != '/') {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: a path glob starting with '/', such as /api/*/users)");
    }
    long stars = glob.chars().filter(ch -> ch == '*').count();
    if (stars > MAX_STARS) {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: at most " + MAX_STARS
              + " '*', which keeps matching fast)");
    }
    if (glob.contains("***")) {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' (expected: '*' or '**', not three or more '*' in a row)");
    }
    long questionMarks = glob.chars().filter(ch -> ch == '?').count();
    if (questionMarks > MAX_QUESTION_MARKS) {
      throw new IllegalArgumentException(
          field + ": '" + glob + "' has " + questionMarks + " '?' (expected: at most "
              + MAX_QUESTION_MARKS + ", which keeps matching fast)");
    }
    return glob;
  }

  /**
   * Compiles a glob that {@link #check} accepted.
   *
   * @param glob the glob
   * @return the compiled glob
   */
  static Glob compile(String glob) {
    List<Integer> kinds = new ArrayList<>();
    List<String> literals = new ArrayList<>();
    int g = 0;
    while (g < glob.length()) {
      char c = glob.charAt(g);
      if (c == '*') {
        boolean deep = g + 1 < glob.length() && glob.charAt(g + 1) == '*';
        kinds.add(deep ? DEEP : STAR);
        literals.add("");
        g += deep ? 2 : 1;
      } else if (c == '?') {
        kinds.add(ONE);
        literals.add("");
        g++;
      } else {
        int end = g;
        while (end < glob.length() && glob.charAt(end) != '*' && glob.charAt(end) != '?') {
          end++;
        }
        kinds.add(LITERAL);
        literals.add(glob.substring(g, end));
        g = end;
      }
    }
    int[] k = new int[kinds.size()];
    int[][] f = new int[k.length][];
    for (int i = 0; i < k.length; i++) {
      k[i] = kinds.get(i);
      f[i] = k[i] == LITERAL ? failure(literals.get(i)) : new int[0];
    }
    return new Glob(glob, k, literals.toArray(new String[0]), f);
  }

  /** KMP failure table: {@code f[q]} is the longest proper border of {@code s[0..q]}. */
  private static int[] failure(String s) {
    int[] f = new int[s.length()];
    int k = 0;
    for (int q = 1; q < s.length(); q++) {
      while (k > 0 && s.charAt(q) != s.charAt(k)) {
        k = f[k - 1];
      }
      if (s.charAt(q) == s.charAt(k)) {
        k++;
      }
      f[q] = k;
    }
    return f;
  }

  /** The glob as configured. */
  @Override
  public String toString() {
    return glob;
  }

  /**
   * Whether {@code path} matches the glob as a whole.
   *
   * @param path the request's path
   * @return {@code true} if it does
   */
  boolean matches(String path) {
    int n = path.length();
    boolean[] row;
    boolean[] spare;
    if (n < RETAINED_PATH) {
      boolean[][] rows = ROWS.get();
      if (rows[0].length < n + 1) {
        rows[0] = new boolean[Math.max(n + 1, 64)];
        rows[1] = new boolean[Math.max(n + 1, 64)];
      }
      row = rows[0];
      spare = rows[1];
    } else {
      row = new boolean[n + 1];
      spare = new boolean[n + 1];
    }
    java.util.Arrays.fill(row, 0, n + 1, false);
    row[0] = true;
    int first = 0; // the smallest j with row[j]; rows are false below it
    for (int t = 0; t < kinds.length; t++) {
      switch (kinds[t]) {
        case DEEP -> {
          for (int j = first + 1; j <= n; j++) {
            row[j] |= row[j - 1];
          }
        }
        case STAR -> {
          // A star extends any match forward over characters other than '/'.
          for (int j = first + 1; j <= n; j++) {
            if (!row[j] && row[j - 1] && path.charAt(j - 1) != '/') {
              row[j] = true;
            }
          }
        }
        case ONE -> {
          boolean any = false;
          for (int j = n; j > first; j--) {
            row[j] = row[j - 1] && path.charAt(j - 1) != '/';
            any |= row[j];
          }
          row[first] = false;
          if (!any) {
            return false;
          }
          first++;
        }
        default -> {
          int next = literal(literals[t], failures[t], path, row, spare, first);
          if (next < 0) {
            return false;
          }
          boolean[] swap = row;
          row = spare;
          spare = swap;
          first = next;
        }
      }
    }
    return row[n];
  }

  /**
   * Writes into {@code out} where the literal can end after a match in {@code row}: {@code out[j]} iff
   * {@code row[j - L]} and {@code path[j - L, j)} equals the literal. One KMP scan from {@code
   * first}: at most 2 x (path length) comparisons.
   *
   * @return the smallest {@code j} set in {@code out}, or -1 if none
   */
  private static int literal(
      String lit, int[] fail, String path, boolean[] row, boolean[] out, int first) {
    int n = path.length();
    int len = lit.length();
    java.util.Arrays.fill(out, 0, n + 1, false);
    int lowest = -1;
    int q = 0;
    for (int i = first; i < n; i++) {
      char c = path.charAt(i);
      while (q > 0 && c != lit.charAt(q)) {
        q = fail[q - 1];
      }
      if (c == lit.charAt(q)) {
        q++;
      }
      if (q == len) {
        int end = i + 1;
        if (row[end - len]) {
          out[end] = true;
          if (lowest < 0) {
            lowest = end;
          }
        }
        q = fail[len - 1];
      }
    }
    return lowest;
  }
}
