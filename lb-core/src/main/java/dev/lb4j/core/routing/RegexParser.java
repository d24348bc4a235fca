package dev.lb4j.core.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Parses the supported subset of {@link java.util.regex.Pattern} syntax and compiles it to a {@link
 * Regex} program (Thompson's construction). The subset is what RE2 accepts minus flags and named
 * classes, so a match never needs backtracking:
 *
 * <ul>
 *   <li>literals, including escaped punctuation ({@code \.}), {@code \t \n \r \f \a \e}, {@code
 *       \xhh}, {@code \x{h..h}} and <code>&#92;uhhhh</code>;
 *   <li>{@code .} (any code point but a line terminator), {@code \d \D \w \W \s \S} (ASCII, as in
 *       {@code Pattern} without flags), classes {@code [abc] [a-z] [^a-z]} with those escapes inside;
 *   <li>{@code ^} (start of input) and {@code $} (end of input, or before a final line terminator);
 *   <li>groups {@code ( )}, {@code (?: )} and {@code (?<name> )} (nothing is captured), alternation
 *       {@code |};
 *   <li>quantifiers {@code * + ? {m} {m,} {m,n}}, greedy or lazy (for a whole-input match both give
 *       the same answer).
 * </ul>
 *
 * <p>Refused with a message naming the field, the pattern and the construct: backreferences,
 * lookahead and lookbehind, atomic groups and possessive quantifiers (their answer depends on
 * backtracking order), inline flags, and everything else not listed ({@code \b}, {@code \p{..}},
 * {@code \Q..\E}, nested or intersected classes...). A program over {@link Regex#MAX_PROGRAM}
 * instructions, or groups nested more than {@value #MAX_DEPTH} deep, is refused too.
 *
 * <p>The caller checks the pattern with {@code Pattern.compile} first, so this parser only ever sees
 * valid {@code Pattern} syntax and never accepts anything {@code Pattern} rejects.
 */
final class RegexParser {

  static final String SUPPORTED =
      "RE2 syntax without backreferences or lookaround: literals, '.', classes such as [a-z] and"
          + " [^/], \\d \\w \\s, ^ $, groups, | and the quantifiers * + ? {m,n}; no possessive"
          + " quantifiers, atomic groups, inline flags, \\b, \\p{..} or \\Q..\\E";

  static final int MAX_DEPTH = 100;

  private static final int MAX_CODE_POINT = Character.MAX_CODE_POINT;
  private static final int[] DIGIT = {'0', '9'};
  private static final int[] WORD = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
  private static final int[] SPACE = {'\t', '\r', ' ', ' '}; // \t \n \x0B \f \r and space

  /** Thrown inside the parser; {@link #compile} turns it into the field's message. */
  private static final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Refusal(String problem) {
      super(problem, null, false, false);
    }
  }

  // ---------------------------------------------------------------- syntax tree

  private abstract static class Node {
    /** Instructions this node compiles to, saturating above the cap. */
    abstract long size();

    abstract void emit(Emitter e);

    /** Whether the node contains {@code ^} or {@code $}. */
    boolean hasAnchor() {
      return false;
    }
  }

  private static final class Consume extends Node {
    final int op;
    final int arg;

    Consume(int op, int arg) {
      this.op = op;
      this.arg = arg;
    }

    @Override
    long size() {
      return 1;
    }

    @Override
    void emit(Emitter e) {
      e.add(op, arg, 0);
    }
  }

  private static final class Assert extends Node {
    final int op;

    Assert(int op) {
      this.op = op;
    }

    @Override
    long size() {
      return 1;
    }

    @Override
    void emit(Emitter e) {
      e.add(op, 0, 0);
    }

    @Override
    boolean hasAnchor() {
      return true;
    }
  }

  private static final class Concat extends Node {
    final List<Node> items;

    Concat(List<Node> items) {
      this.items = items;
    }

    @Override
    long size() {
      long s = 0;
      for (Node n : items) {
        s = cap(s + n.size());
      }
      return s;
    }

    @Override
    void emit(Emitter e) {
      for (Node n : items) {
        n.emit(e);
      }
    }

    @Override
    boolean hasAnchor() {
      return items.stream().anyMatch(Node::hasAnchor);
    }
  }

  private static final class Alt extends Node {
    final List<Node> choices;

    Alt(List<Node> choices) {
      this.choices = choices;
    }

    @Override
    long size() {
      long s = 2L * (choices.size() - 1); // a SPLIT and a JMP per choice but the last
      for (Node n : choices) {
        s = cap(s + n.size());
      }
      return s;
    }

    @Override
    void emit(Emitter e) {
      // SPLIT L1, next; L1: a; JMP end; next: SPLIT L2, next2; L2: b; JMP end; ...; last: z; end:
      List<Integer> jumps = new ArrayList<>();
      for (int c = 0; c < choices.size(); c++) {
        if (c < choices.size() - 1) {
          int split = e.add(Regex.SPLIT, 0, 0);
          e.x[split] = e.size;
          choices.get(c).emit(e);
          jumps.add(e.add(Regex.JMP, 0, 0));
          e.y[split] = e.size;
        } else {
          choices.get(c).emit(e);
        }
      }
      for (int j : jumps) {
        e.x[j] = e.size;
      }
    }

    @Override
    boolean hasAnchor() {
      return choices.stream().anyMatch(Node::hasAnchor);
    }
  }

  private static final class Repeat extends Node {
    final Node body;
    final long min;
    final long max; // -1: unbounded

    Repeat(Node body, long min, long max) {
      this.body = body;
      this.min = min;
      this.max = max;
    }

    @Override
    boolean hasAnchor() {
      return body.hasAnchor();
    }

    @Override
    long size() {
      long b = body.size();
      long s = cap(min * b);
      if (max < 0) {
        s = cap(s + (min == 0 ? b + 2 : 1)); // x*: SPLIT x JMP; x+: the last copy loops back
      } else {
        s = cap(s + cap((max - min) * (b + 1))); // each optional copy: SPLIT x
      }
      return s;
    }

    @Override
    void emit(Emitter e) {
      // A body that compiles to nothing (an empty group) repeats to nothing: skip the copies, or
      // (){2000000000} would loop at build time.
      long copies = body.size() == 0 ? 0 : max < 0 && min > 0 ? min - 1 : min;
      for (long c = 0; c < copies; c++) {
        body.emit(e);
      }
      if (max < 0 && min > 0 && body.size() == 0) {
        return;
      } else if (max < 0 && min > 0) {
        int start = e.size; // last mandatory copy, then SPLIT back to it
        body.emit(e);
        int split = e.add(Regex.SPLIT, start, 0);
        e.y[split] = e.size;
      } else if (max < 0) {
        int split = e.add(Regex.SPLIT, 0, 0); // L: SPLIT body, end; body; JMP L; end:
        e.x[split] = e.size;
        body.emit(e);
        e.add(Regex.JMP, split, 0);
        e.y[split] = e.size;
      } else {
        for (long c = min; c < max; c++) {
          int split = e.add(Regex.SPLIT, 0, 0); // SPLIT body, skip; body; skip:
          e.x[split] = e.size;
          body.emit(e);
          e.y[split] = e.size;
        }
      }
    }
  }

  private static long cap(long size) {
    return Math.min(size, Regex.MAX_PROGRAM + 1L);
  }

  private static final class Emitter {
    final int[] op;
    final int[] x;
    final int[] y;
    int size;

    Emitter(int capacity) {
      op = new int[capacity];
      x = new int[capacity];
      y = new int[capacity];
    }

    int add(int opcode, int xArg, int yArg) {
      op[size] = opcode;
      x[size] = xArg;
      y[size] = yArg;
      return size++;
    }
  }

  // ---------------------------------------------------------------- parser

  private final String re;
  private int pos;
  private int depth;
  private final List<Regex.CharClass> classes = new ArrayList<>();

  private RegexParser(String re) {
    this.re = re;
  }

  static Regex compile(String field, String regex) {
    RegexParser p = new RegexParser(regex);
    Node root;
    try {
      root = p.parseAlternation();
      if (p.pos < regex.length()) {
        throw p.outside(); // an unbalanced ')': Pattern refuses it first
      }
    } catch (Refusal r) {
      throw new IllegalArgumentException(
          field + ": regex '" + regex + "' " + r.getMessage() + " (expected: " + SUPPORTED + ")");
    }
    long size = cap(root.size() + 1);
    if (size > Regex.MAX_PROGRAM) {
      throw new IllegalArgumentException(
          field + ": regex '" + regex + "' compiles to more than " + Regex.MAX_PROGRAM
              + " instructions (expected: at most " + Regex.MAX_PROGRAM
              + "; large counted repetitions such as {1000} cost one instruction per copy)");
    }
    Emitter e = new Emitter((int) size);
    root.emit(e);
    e.add(Regex.MATCH, 0, 0);
    return new Regex(
        regex,
        Arrays.copyOf(e.op, e.size),
        Arrays.copyOf(e.x, e.size),
        Arrays.copyOf(e.y, e.size),
        p.classes.toArray(new Regex.CharClass[0]));
  }

  private boolean more() {
    return pos < re.length();
  }

  private int peek() {
    return re.codePointAt(pos);
  }

  private boolean lookingAt(String s) {
    return re.startsWith(s, pos);
  }

  private int next() {
    int cp = re.codePointAt(pos);
    pos += Character.charCount(cp);
    return cp;
  }

  private Refusal outside() {
    return outside(pos);
  }

  private Refusal outside(int at) {
    if (at >= re.length()) {
      return new Refusal("ends where more was expected, which is not supported");
    }
    int end = at + Character.charCount(re.codePointAt(at));
    if (re.charAt(at) == '\\' && end < re.length()) {
      end += Character.charCount(re.codePointAt(end));
    }
    return new Refusal(
        "uses '" + re.substring(at, end) + "' at index " + at + ", which is not supported");
  }

  private Node parseAlternation() {
    List<Node> choices = new ArrayList<>();
    choices.add(parseConcatenation());
    while (more() && peek() == '|') {
      pos++;
      choices.add(parseConcatenation());
    }
    return choices.size() == 1 ? choices.get(0) : new Alt(choices);
  }

  private Node parseConcatenation() {
    List<Node> items = new ArrayList<>();
    while (more() && peek() != '|' && peek() != ')') {
      items.add(parseRepetition());
    }
    return items.size() == 1 ? items.get(0) : new Concat(items);
  }

  private Node parseRepetition() {
    Node atom = parseAtom();
    if (!more()) {
      return atom;
    }
    int start = pos;
    long min;
    long max;
    switch (peek()) {
      case '*' -> {
        pos++;
        min = 0;
        max = -1;
      }
      case '+' -> {
        pos++;
        min = 1;
        max = -1;
      }
      case '?' -> {
        pos++;
        min = 0;
        max = 1;
      }
      case '{' -> {
        pos++;
        min = number();
        max = min;
        if (more() && peek() == ',') {
          pos++;
          max = more() && peek() == '}' ? -1 : number();
        }
        if (!more() || peek() != '}' || (max >= 0 && max < min)) {
          throw outside(start);
        }
        pos++;
      }
      default -> {
        return atom;
      }
    }
    if (more() && peek() == '+') {
      throw new Refusal(
          "uses a possessive quantifier '" + re.substring(start, pos + 1) + "' at index " + start);
    }
    if (more() && peek() == '?') {
      pos++; // lazy: the same answer for a whole-input match
    }
    if (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) {
      throw new Refusal(
          "uses a quantifier on a quantifier at index " + pos
              + "; put the first in a group, as in (?:a{2}){3}");
    }
    if (min >= 2 && atom.hasAnchor()) {
      // java.util.regex ends a counted loop at an iteration that matched nothing, even below the
      // minimum, so (?:^|ab){2} does not match "ab" there; rather than copy that, refuse it.
      throw new Refusal(
          "repeats '^' or '$' at least twice with the quantifier at index " + start);
    }
    return new Repeat(atom, min, max);
  }

  private long number() {
    int start = pos;
    long n = 0;
    while (more() && peek() >= '0' && peek() <= '9') {
      n = Math.min(n * 10 + (next() - '0'), Integer.MAX_VALUE);
    }
    if (pos == start) {
      throw outside(start);
    }
    return n;
  }

  private Node parseAtom() {
    int start = pos;
    int c = next();
    switch (c) {
      case '(' -> {
        if (more() && peek() == '?') {
          groupPrefix(start);
        }
        if (++depth > MAX_DEPTH) {
          throw new Refusal(
              "nests groups more than " + MAX_DEPTH + " deep at index " + start);
        }
        Node inner = parseAlternation();
        depth--;
        if (!more() || peek() != ')') {
          throw outside();
        }
        pos++;
        return inner;
      }
      case '[' -> {
        return parseClass(start);
      }
      case '.' -> {
        return new Consume(Regex.DOT, 0);
      }
      case '^' -> {
        return new Assert(Regex.BEGIN);
      }
      case '$' -> {
        return new Assert(Regex.DOLLAR);
      }
      case '\\' -> {
        int[] set = escape(start, false);
        return set.length == 2 && set[0] == set[1]
            ? new Consume(Regex.CHAR, set[0])
            : new Consume(Regex.CLASS, classIndex(set));
      }
      case '*', '+', '?', '{', ')', '|' -> throw outside(start);
      default -> {
        checkNotSurrogate(c, start);
        return new Consume(Regex.CHAR, c);
      }
    }
  }

  /** After {@code (?}: accepts {@code ?:} and {@code ?<name>}, refuses the rest by name. */
  private void groupPrefix(int start) {
    if (lookingAt("?:")) {
      pos += 2;
    } else if (lookingAt("?=") || lookingAt("?!") || lookingAt("?<=") || lookingAt("?<!")) {
      throw new Refusal("uses lookaround '(" + re.substring(pos, lookingAt("?<") ? pos + 3 : pos + 2)
          + "' at index " + start);
    } else if (lookingAt("?>")) {
      throw new Refusal("uses an atomic group '(?>' at index " + start);
    } else if (lookingAt("?<")) {
      int close = re.indexOf('>', pos);
      if (close < 0) {
        throw outside(start);
      }
      pos = close + 1; // a named group: a group, the name is not used
    } else {
      int end = pos + 1;
      while (end < re.length() && re.charAt(end) != ')' && re.charAt(end) != ':') {
        end++;
      }
      throw new Refusal(
          "uses inline flags '" + re.substring(start, Math.min(end + 1, re.length()))
              + "' at index " + start);
    }
  }

  /**
   * An escape after {@code \}: a single code point as {@code [c, c]}, or a shorthand class as
   * ranges.
   */
  private int[] escape(int start, boolean inClass) {
    if (!more()) {
      throw outside(start);
    }
    int c = next();
    return switch (c) {
      case 'd' -> DIGIT;
      case 'D' -> complement(DIGIT);
      case 'w' -> WORD;
      case 'W' -> complement(WORD);
      case 's' -> SPACE;
      case 'S' -> complement(SPACE);
      case 't' -> single('\t');
      case 'n' -> single('\n');
      case 'r' -> single('\r');
      case 'f' -> single('\f');
      case 'a' -> single(0x07);
      case 'e' -> single(0x1B);
      case 'x' -> single(checkNotSurrogate(hexEscape(start), start));
      case 'u' -> single(checkNotSurrogate(hexDigits(4, start), start));
      case 'k' -> {
        if (inClass) {
          throw outside(start);
        }
        throw new Refusal("uses a backreference '\\k' at index " + start);
      }
      default -> {
        if (c >= '1' && c <= '9' && !inClass) {
          throw new Refusal("uses a backreference '\\" + (char) c + "' at index " + start);
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          throw outside(start);
        }
        checkNotSurrogate(c, start);
        yield single(c); // escaped punctuation or any other non-alphanumeric: itself
      }
    };
  }

  /** After {@code \x}: {@code hh} or {@code {h..h}}. */
  private int hexEscape(int start) {
    if (more() && peek() == '{') {
      int close = re.indexOf('}', pos);
      if (close < 0) {
        throw outside(start);
      }
      int v = hex(pos + 1, close, start);
      pos = close + 1;
      return v;
    }
    return hexDigits(2, start);
  }

  private int hexDigits(int count, int start) {
    if (pos + count > re.length()) {
      throw outside(start);
    }
    int v = hex(pos, pos + count, start);
    pos += count;
    return v;
  }

  private int hex(int from, int to, int start) {
    if (from == to || to - from > 6) {
      throw outside(start);
    }
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = Character.digit(re.charAt(i), 16);
      if (d < 0) {
        throw outside(start);
      }
      v = v * 16 + d;
    }
    if (v > MAX_CODE_POINT) {
      throw outside(start);
    }
    return v;
  }

  private int checkNotSurrogate(int cp, int at) {
    if (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE) {
      throw new Refusal("uses a lone surrogate at index " + at + ", which is not supported");
    }
    return cp;
  }

  private static int[] single(int cp) {
    return new int[] {cp, cp};
  }

  /**
   * A class: items are single code points, ranges {@code a-z} and shorthands; {@code -} is literal
   * only first or last. Nested classes, intersections ({@code &&}) and a {@code ]} right after the
   * opening bracket are refused, since {@code Pattern} reads them in ways RE2 does not.
   */
  private Node parseClass(int start) {
    boolean negated = false;
    if (more() && peek() == '^') {
      pos++;
      negated = true;
    }
    int first = pos;
    List<int[]> sets = new ArrayList<>();
    while (true) {
      if (!more()) {
        throw outside(start);
      }
      int itemStart = pos;
      int c = peek();
      if (c == ']' && pos > first) {
        pos++;
        break;
      }
      if (c == '[') {
        throw new Refusal("uses a nested class '[' at index " + itemStart);
      }
      if (lookingAt("&&")) {
        throw new Refusal("uses a class intersection '&&' at index " + itemStart);
      }
      if (c == ']') {
        throw new Refusal(
            "uses ']' first in a class at index " + itemStart + "; write \\] for a literal ']'");
      }
      int[] item = classAtom(itemStart);
      boolean shorthand = !(item.length == 2 && item[0] == item[1]);
      if (more() && peek() == '-' && !re.startsWith("-]", pos)) {
        if (shorthand) {
          throw outside(pos);
        }
        int dash = pos;
        pos++;
        int hiStart = pos;
        if (!more() || peek() == '[' || lookingAt("&&")) {
          throw outside(dash);
        }
        int[] hi = classAtom(hiStart);
        if (hi.length != 2 || hi[0] != hi[1] || hi[0] < item[0]) {
          throw outside(dash);
        }
        sets.add(new int[] {item[0], hi[0]});
      } else {
        if (c == '-' && itemStart != first && !re.startsWith("]", pos)) {
          throw outside(itemStart); // a '-' in the middle that is not a range
        }
        sets.add(item);
      }
    }
    int[] ranges = normalize(sets);
    if (negated) {
      ranges = complement(ranges);
    }
    if (ranges.length == 2 && ranges[0] == ranges[1]) {
      return new Consume(Regex.CHAR, ranges[0]);
    }
    return new Consume(Regex.CLASS, classIndex(ranges));
  }

  private int[] classAtom(int at) {
    int c = next();
    if (c == '\\') {
      return escape(at, true);
    }
    checkNotSurrogate(c, at);
    return single(c);
  }

  private int classIndex(int[] ranges) {
    classes.add(new Regex.CharClass(ranges));
    return classes.size() - 1;
  }

  /** Sorts and merges ranges given as pairs in several arrays. */
  private static int[] normalize(List<int[]> sets) {
    List<int[]> pairs = new ArrayList<>();
    for (int[] s : sets) {
      for (int i = 0; i < s.length; i += 2) {
        pairs.add(new int[] {s[i], s[i + 1]});
      }
    }
    pairs.sort((a, b) -> Integer.compare(a[0], b[0]));
    int[] out = new int[2 * pairs.size()];
    int n = 0;
    for (int[] p : pairs) {
      if (n > 0 && p[0] <= out[n - 1] + 1) {
        out[n - 1] = Math.max(out[n - 1], p[1]);
      } else {
        out[n++] = p[0];
        out[n++] = p[1];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** The complement in 0..MAX_CODE_POINT of sorted, merged ranges. */
  private static int[] complement(int[] ranges) {
    int[] out = new int[ranges.length + 2];
    int n = 0;
    int next = 0;
    for (int i = 0; i < ranges.length; i += 2) {
      if (ranges[i] > next) {
        out[n++] = next;
        out[n++] = ranges[i] - 1;
      }
      next = ranges[i + 1] + 1;
    }
    if (next <= MAX_CODE_POINT) {
      out[n++] = next;
      out[n++] = MAX_CODE_POINT;
    }
    return Arrays.copyOf(out, n);
  }
}
