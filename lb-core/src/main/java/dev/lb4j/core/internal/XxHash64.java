package dev.lb4j.core.internal;

import java.nio.charset.StandardCharsets;

/**
 * XXH64, the 64-bit xxHash by Yann Collet (specification: "xxHash fast digest algorithm", version
 * 0.1.1, in the xxHash repository's {@code doc/xxhash_spec.md}), implemented here so that lb4j's
 * hashes are identical in every process and to Envoy's {@code HashUtil::xxHash64}, which calls the
 * reference {@code XXH64(data, length, seed)}.
 *
 * <p>Strings are hashed as their UTF-8 bytes. An all-ASCII {@link CharSequence} (the common case for
 * header values, ids and paths) is hashed in place without copying; other text is encoded first.
 *
 * <p>Thread-safety: stateless.
 */
public final class XxHash64 {

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private XxHash64() {}

  /** Hashes the UTF-8 bytes of {@code text} with seed 0. */
  public static long hash(CharSequence text) {
    return hash(text, 0L);
  }

  /** Hashes the UTF-8 bytes of {@code text} with the given seed. */
  public static long hash(CharSequence text, long seed) {
    int length = text.length();
    for (int i = 0; i < length; i++) {
      if (text.charAt(i) >= 0x80) {
        byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
        return hash(utf8, 0, utf8.length, seed);
      }
    }
    return hash(text, 0, length, seed);
  }

  /** Hashes {@code length} bytes of {@code bytes} from {@code offset} with the given seed. */
  public static long hash(byte[] bytes, int offset, int length, long seed) {
    return hash((Object) bytes, offset, length, seed);
  }

  /**
   * One implementation for both sources: {@code source} is a {@code byte[]} or an all-ASCII
   * {@link CharSequence} whose chars are its bytes.
   */
  private static long hash(Object source, int offset, int length, long seed) {
    int end = offset + length;
    int p = offset;
    long h;
    if (length >= 32) {
      long v1 = seed + P1 + P2;
      long v2 = seed + P2;
      long v3 = seed;
      long v4 = seed - P1;
      int limit = end - 32;
      do {
        v1 = round(v1, lane64(source, p));
        v2 = round(v2, lane64(source, p + 8));
        v3 = round(v3, lane64(source, p + 16));
        v4 = round(v4, lane64(source, p + 24));
        p += 32;
      } while (p <= limit);
      h =
          Long.rotateLeft(v1, 1)
              + Long.rotateLeft(v2, 7)
              + Long.rotateLeft(v3, 12)
              + Long.rotateLeft(v4, 18);
      h = mergeRound(h, v1);
      h = mergeRound(h, v2);
      h = mergeRound(h, v3);
      h = mergeRound(h, v4);
    } else {
      h = seed + P5;
    }
    h += length;
    while (p + 8 <= end) {
      h ^= round(0, lane64(source, p));
      h = Long.rotateLeft(h, 27) * P1 + P4;
      p += 8;
    }
    if (p + 4 <= end) {
      h ^= (lane32(source, p) & 0xFFFFFFFFL) * P1;
      h = Long.rotateLeft(h, 23) * P2 + P3;
      p += 4;
    }
    while (p < end) {
      h ^= (byteAt(source, p) & 0xFFL) * P5;
      h = Long.rotateLeft(h, 11) * P1;
      p++;
    }
    return avalanche(h);
  }

  /** The XXH64 final mix; also a good 64-bit finalizer on its own. */
  public static long avalanche(long h) {
    h ^= h >>> 33;
    h *= P2;
    h ^= h >>> 29;
    h *= P3;
    h ^= h >>> 32;
    return h;
  }

  private static long round(long acc, long input) {
    acc += input * P2;
    acc = Long.rotateLeft(acc, 31);
    return acc * P1;
  }

  private static long mergeRound(long acc, long val) {
    acc ^= round(0, val);
    return acc * P1 + P4;
  }

  private static int byteAt(Object source, int i) {
    return source instanceof byte[] bytes ? bytes[i] : ((CharSequence) source).charAt(i);
  }

  private static long lane64(Object source, int i) {
    return (lane32(source, i) & 0xFFFFFFFFL) | ((long) lane32(source, i + 4) << 32);
  }

  private static int lane32(Object source, int i) {
    return (byteAt(source, i) & 0xFF)
        | (byteAt(source, i + 1) & 0xFF) << 8
        | (byteAt(source, i + 2) & 0xFF) << 16
        | (byteAt(source, i + 3) & 0xFF) << 24;
  }
}
