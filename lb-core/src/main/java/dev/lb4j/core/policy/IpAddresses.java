package dev.lb4j.core.policy;

/**
 * Parses textual IPv4 and IPv6 addresses into 128 bits without allocating and without name
 * resolution (a {@code java.net.InetAddress} lookup of an attacker-supplied header would query DNS).
 * IPv4 addresses become IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}), so one range type covers
 * both families and an IPv4-mapped client matches IPv4 ranges.
 */
final class IpAddresses {

  private IpAddresses() {}

  /** The high 64 bits of {@code ::ffff:0:0/96}. */
  static final long V4_MAPPED_HI = 0L;

  /** The low 64 bits' top half marker of {@code ::ffff:0:0/96}. */
  static final long V4_MAPPED_LO_PREFIX = 0x0000_ffff_0000_0000L;

  /**
   * Parses {@code s[from, to)} as an IPv4 or IPv6 address (brackets and an IPv6 zone are accepted and
   * ignored). Writes the high and low 64 bits to {@code out[0]} and {@code out[1]}.
   *
   * @return whether it is an address
   */
  static boolean parse(CharSequence s, int from, int to, long[] out) {
    while (from < to && s.charAt(from) == ' ') {
      from++;
    }
    while (to > from && s.charAt(to - 1) == ' ') {
      to--;
    }
    if (to - from >= 2 && s.charAt(from) == '[' && s.charAt(to - 1) == ']') {
      from++;
      to--;
    }
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == '%') { // IPv6 zone id
        to = i;
        break;
      }
    }
    if (from >= to) {
      return false;
    }
    boolean colon = false;
    for (int i = from; i < to; i++) {
      if (s.charAt(i) == ':') {
        colon = true;
        break;
      }
    }
    if (!colon) {
      long v4 = parseV4(s, from, to);
      if (v4 < 0) {
        return false;
      }
      out[0] = V4_MAPPED_HI;
      out[1] = V4_MAPPED_LO_PREFIX | v4;
      return true;
    }
    return parseV6(s, from, to, out);
  }

  /** An IPv4 dotted quad as an unsigned 32-bit value, or -1. */
  static long parseV4(CharSequence s, int from, int to) {
    long value = 0;
    int parts = 0;
    int part = -1;
    int digits = 0;
    for (int i = from; i <= to; i++) {
      char c = i < to ? s.charAt(i) : '.';
      if (c == '.') {
        if (part < 0 || part > 255 || parts == 4) {
          return -1;
        }
        value = (value << 8) | part;
        parts++;
        part = -1;
        digits = 0;
      } else if (c >= '0' && c <= '9' && ++digits <= 3 && part != 0) {
        // A leading zero is refused: some tools read 010 as octal 8, and an address list must not
        // mean different things to different readers.
        part = (part < 0 ? 0 : part * 10) + (c - '0');
      } else {
        return -1;
      }
    }
    return parts == 4 ? value : -1;
  }

  private static boolean parseV6(CharSequence s, int from, int to, long[] out) {
    // The groups are shifted into 128 bits (hi, lo) as they are read, the last one lowest; at "::"
    // the groups so far (the head) are set aside, and at the end the head is shifted above the
    // groups after "::" (the tail), leaving the zero groups between them. No arrays: allocation-free.
    long hi = 0;
    long lo = 0;
    long headHi = 0;
    long headLo = 0;
    int count = 0;
    int gap = -1; // how many groups came before "::"
    int i = from;
    if (to - from >= 2 && s.charAt(from) == ':' && s.charAt(from + 1) == ':') {
      gap = 0;
      i = from + 2;
      if (i == to) {
        out[0] = 0;
        out[1] = 0;
        return true;
      }
    } else if (s.charAt(from) == ':') {
      return false;
    }
    while (i < to) {
      int start = i;
      int value = 0;
      int digits = 0;
      while (i < to && s.charAt(i) != ':' && s.charAt(i) != '.') {
        int d = Character.digit(s.charAt(i), 16);
        if (d < 0 || ++digits > 4) {
          return false;
        }
        value = value * 16 + d;
        i++;
      }
      if (i < to && s.charAt(i) == '.') { // embedded IPv4 in the last 32 bits
        int end = to;
        long v4 = parseV4(s, start, end);
        if (v4 < 0 || count > 6) {
          return false;
        }
        hi = hi << 32 | lo >>> 32;
        lo = lo << 32 | v4;
        count += 2;
        i = to;
        break;
      }
      if (digits == 0 || count == 8) {
        return false;
      }
      hi = hi << 16 | lo >>> 48;
      lo = lo << 16 | value;
      count++;
      if (i < to) { // at ':'
        i++;
        if (i < to && s.charAt(i) == ':') {
          if (gap >= 0) {
            return false; // two "::"
          }
          gap = count;
          headHi = hi;
          headLo = lo;
          hi = 0;
          lo = 0;
          i++;
        } else if (i == to) {
          return false; // trailing single ':'
        }
      }
    }
    if (gap < 0 ? count != 8 : count > 7) {
      return false;
    }
    if (gap > 0) { // shift the head up by the groups after it (the tail and the zero groups)
      int shift = 16 * (8 - gap); // 16..128; a head of gap groups has 16 * gap bits
      if (shift >= 64) {
        hi |= headLo << (shift - 64); // the head fits in headLo
      } else {
        hi |= headHi << shift | headLo >>> (64 - shift);
        lo |= headLo << shift;
      }
    }
    out[0] = hi;
    out[1] = lo;
    return true;
  }
}
