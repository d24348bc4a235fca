package dev.lb4j.core.routing;

/**
 * A compiled regular expression that matches in time linear in the input: Thompson's construction
 * and simulation of the NFA (K. Thompson, "Regular expression search algorithm", CACM 11(6), 1968;
 * R. Cox, "Regular Expression Matching Can Be Simple And Fast", 2007), without captures, because a
 * route only asks whether the whole value matches.
 *
 * <p>The simulation keeps the set of program counters alive at the current input position in a
 * sparse set (P. Briggs and L. Torczon, "An efficient representation for sparse sets", 1993) and
 * advances all of them by one code point at a time. A counter enters a set at most once per
 * position, so a match costs at most (input length + 1) x (program size) steps, where the program
 * size is fixed when the route is built and capped at {@link #MAX_PROGRAM}. There is no recursion and
 * no backtracking: no input can make a match slow in the input's length, or overflow the stack.
 *
 * <p>Syntax and semantics are the subset of {@link java.util.regex.Pattern} described in {@link
 * RegexParser}; every accepted pattern gives the same answer as {@code
 * Pattern.compile(regex).matcher(input).matches()}, code point by code point.
 *
 * <p>Immutable and thread-safe. Matching allocates nothing: each thread reuses a few int arrays, grown
 * once to the largest program it has run (at most about 5 x {@link #MAX_PROGRAM} ints).
 */
final class Regex {

  /** The most instructions a compiled pattern may have; a larger one is refused when built. */
  static final int MAX_PROGRAM = 1000;

  // Opcodes. Consuming instructions read one code point; the others are followed without reading.
  static final int CHAR = 0; // x: the code point
  static final int DOT = 1; // any code point but a line terminator
  static final int CLASS = 2; // x: index into classes
  static final int SPLIT = 3; // continue at x and at y
  static final int JMP = 4; // continue at x
  static final int BEGIN = 5; // ^: at the start of the input
  static final int DOLLAR = 6; // $: at the end, or before a line terminator that ends the input
  static final int MATCH = 7;

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  private final String source;
  private final int[] op;
  private final int[] x;
  private final int[] y;
  private final CharClass[] classes;

  Regex(String source, int[] op, int[] x, int[] y, CharClass[] classes) {
    this.source = source;
    this.op = op;
    this.x = x;
    this.y = y;
    this.classes = classes;
  }

  /**
   * Compiles {@code regex}, refusing what is outside the supported subset or too large.
   *
   * @param field the setting, for messages ({@code routes.api.pathRegex})
   * @param regex the expression, already known to be valid {@link java.util.regex.Pattern} syntax
   * @return the compiled expression
   * @throws IllegalArgumentException naming the field, the regex and what is allowed
   */
  static Regex compile(String field, String regex) {
    return RegexParser.compile(field, regex);
  }

  /** The expression as configured. */
  String source() {
    return source;
  }

  /** Number of instructions, the factor in the cost bound. */
  int programSize() {
    return op.length;
  }

  /**
   * Whether the whole of {@code input} matches, as {@code Matcher.matches()} would say.
   *
   * @param input the value
   * @return {@code true} if it matches
   */
  boolean matches(CharSequence input) {
    int size = op.length;
    Scratch s = SCRATCH.get();
    s.ensure(size);
    int[] curDense = s.aDense;
    int[] curSparse = s.aSparse;
    int[] nextDense = s.bDense;
    int[] nextSparse = s.bSparse;
    int[] stack = s.stack;
    long steps = 0;
    int n = input.length();
    int curSize = add(curDense, curSparse, 0, stack, 0, input, 0);
    steps += curSize;
    int i = 0;
    while (curSize > 0 && i < n) {
      int cp = Character.codePointAt(input, i);
      int next = i + Character.charCount(cp);
      int nextSize = 0;
      for (int k = 0; k < curSize; k++) {
        int pc = curDense[k];
        boolean ok;
        switch (op[pc]) {
          case CHAR -> ok = cp == x[pc];
          case DOT -> ok = !isLineTerminator(cp);
          case CLASS -> ok = classes[x[pc]].contains(cp);
          default -> ok = false; // MATCH before the end, or an instruction already followed
        }
        if (ok) {
          int before = nextSize;
          nextSize = add(nextDense, nextSparse, nextSize, stack, pc + 1, input, next);
          steps += nextSize - before;
        }
      }
      steps += curSize;
      int[] t = curDense;
      curDense = nextDense;
      nextDense = t;
      t = curSparse;
      curSparse = nextSparse;
      nextSparse = t;
      curSize = nextSize;
      i = next;
    }
    s.steps = steps;
    if (i < n) {
      return false;
    }
    int matchPc = size - 1;
    int at = curSparse[matchPc];
    return at < curSize && curDense[at] == matchPc;
  }

  /**
   * Adds {@code start} and every instruction reachable from it without reading input to the set,
   * with an explicit stack. Each instruction enters the set at most once, so at most {@code 2 x
   * size + 1} entries are ever on the stack.
   *
   * @return the new size of the set
   */
  private int add(
      int[] dense, int[] sparse, int setSize, int[] stack, int start, CharSequence input, int i) {
    int sp = 0;
    stack[sp++] = start;
    while (sp > 0) {
      int pc = stack[--sp];
      int at = sparse[pc];
      if (at < setSize && dense[at] == pc) {
        continue;
      }
      sparse[pc] = setSize;
      dense[setSize++] = pc;
      switch (op[pc]) {
        case JMP -> stack[sp++] = x[pc];
        case SPLIT -> {
          stack[sp++] = y[pc];
          stack[sp++] = x[pc];
        }
        case BEGIN -> {
          if (i == 0) {
            stack[sp++] = pc + 1;
          }
        }
        case DOLLAR -> {
          if (dollarMatches(input, i)) {
            stack[sp++] = pc + 1;
          }
        }
        default -> {
          // a consuming instruction or MATCH: waits for the next code point, or for the end
        }
      }
    }
    return setSize;
  }

  /** {@code .} without DOTALL excludes these, as in {@link java.util.regex.Pattern}. */
  static boolean isLineTerminator(int cp) {
    return cp == '\n' || cp == '\r' || cp == '\u0085' || (cp | 1) == '\u2029';
  }

  /**
   * {@code $} without MULTILINE, as {@link java.util.regex.Pattern} defines it: at the end of the
   * input, or before a line terminator that ends it ({@code \r\n} counts as one; never between
   * {@code \r} and {@code \n}).
   */
  static boolean dollarMatches(CharSequence input, int i) {
    int n = input.length();
    if (i == n) {
      return true;
    }
    if (i == n - 2) {
      return input.charAt(i) == '\r' && input.charAt(i + 1) == '\n';
    }
    if (i == n - 1) {
      char c = input.charAt(i);
      if (c == '\n') {
        return i == 0 || input.charAt(i - 1) != '\r';
      }
      return c == '\r' || c == '\u0085' || (c | 1) == '\u2029';
    }
    return false;
  }

  /** Steps the last {@link #matches} on this thread took (instructions added plus visited). */
  static long lastSteps() {
    return SCRATCH.get().steps;
  }

  @Override
  public String toString() {
    return source;
  }

  /** Per-thread sets and stack, grown to the largest program the thread has run. */
  private static final class Scratch {
    int[] aDense = new int[0];
    int[] aSparse = new int[0];
    int[] bDense = new int[0];
    int[] bSparse = new int[0];
    int[] stack = new int[0];
    long steps;

    void ensure(int size) {
      if (aDense.length < size) {
        aDense = new int[size];
        aSparse = new int[size];
        bDense = new int[size];
        bSparse = new int[size];
        stack = new int[2 * size + 1];
      }
    }
  }

  /**
   * A set of code points: a bitmap for ASCII and sorted, disjoint ranges above it. Negation is
   * resolved when the class is built.
   */
  static final class CharClass {
    private final long ascii0; // code points 0..63
    private final long ascii1; // code points 64..127
    private final int[] ranges; // [lo0, hi0, lo1, hi1, ...], all >= 128, sorted, disjoint

    /** @param ranges sorted, disjoint, non-adjacent inclusive ranges as pairs */
    CharClass(int[] ranges) {
      long a0 = 0;
      long a1 = 0;
      int firstHigh = 0;
      for (int r = 0; r < ranges.length; r += 2) {
        int lo = ranges[r];
        int hi = ranges[r + 1];
        for (int c = lo; c <= Math.min(hi, 127); c++) {
          if (c < 64) {
            a0 |= 1L << c;
          } else {
            a1 |= 1L << (c - 64);
          }
        }
        if (hi < 128) {
          firstHigh = r + 2;
        }
      }
      int[] high = java.util.Arrays.copyOfRange(ranges, firstHigh, ranges.length);
      if (high.length > 0 && high[0] < 128) {
        high[0] = 128;
      }
      this.ascii0 = a0;
      this.ascii1 = a1;
      this.ranges = high;
    }

    boolean contains(int cp) {
      if (cp < 64) {
        return (ascii0 & (1L << cp)) != 0;
      }
      if (cp < 128) {
        return (ascii1 & (1L << (cp - 64))) != 0;
      }
      int lo = 0;
      int hi = ranges.length / 2 - 1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (cp < ranges[2 * mid]) {
          hi = mid - 1;
        } else if (cp > ranges[2 * mid + 1]) {
          lo = mid + 1;
        } else {
          return true;
        }
      }
      return false;
    }
  }
}
