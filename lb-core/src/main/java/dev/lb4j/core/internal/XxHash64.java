package dev.lb4j.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * XXH64, the 64-bit xxHash by Yann Collet (specification: "xxHash fast digest algorithm", version
 * 0.1.1, in the xxHash repository's {@code doc/xxhash_spec.md}), implemented here so that lb4j's
 * hashes are identical in every process and to Envoy's {@code HashUtil::xxHash64}, which calls the
 * reference {@code XXH64(data, length, seed)}.
 *
 * <p>Strings are hashed as their UTF-8 bytes.
 *
 * <p>Thread-safety: stateless.
 */
public final class XxHash64 {

  private static final long P1 = 0x9E3779B185EBCA87L;
  private static final long P2 = 0xC2B2AE3D27D4EB4FL;
  private static final long P3 = 0x165667B19E3779F9L;
  private static final long P4 = 0x85EBCA77C2B2AE63L;
  private static final long P5 = 0x27D4EB2F165667C5L;

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  private XxHash64() {}

  /** Hashes the UTF-8 bytes of {@code text} with seed 0. */
  public static long hash(CharSequence text) {
    return hash(text, 0L);
  }

  /**
   * Hashes the UTF-8 bytes of {@code text} with the given seed.
   *
   * <p>A {@code String} whose chars are all ASCII (below 0x80) is its own UTF-8 encoding, one byte
   * per char, so its lanes are built from {@code charAt} directly and nothing is allocated; the
   * chars are OR-ed together on the way, and if any is 0x80 or above the result is thrown away and
   * the text is encoded with {@link String#getBytes(java.nio.charset.Charset)} (surrogate pairs,
   * lone surrogates as {@code '?'}, exactly as the JDK encodes them). Other {@code CharSequence}s
   * are encoded the same way.
   *
   * <p>Measured with JMH on a shared, loaded 2-core machine (JDK 17, {@code
   * AlgorithmPickBenchmark.pick1}, 100 backends, a key of about 28 ASCII chars hashed per pick): a
   * pick now allocates 0 bytes instead of 48 (the encoded copy). Time is a trade, not a win: Maglev
   * stayed within the noise (36 to 32 ns, errors of 10 to 20 ns), and the one tight ring-hash pair
   * was 25.4 +/- 2.0 ns with the copy against 33.2 +/- 4.1 ns reading chars, because the JDK's
   * vectorized ASCII check and copy plus 8-byte reads beat char-by-char reads per call. Not
   * chosen: a reused per-thread {@code byte[]} filled by the deprecated {@code String.getBytes(int,
   * int, byte[], int)} (an array copy for Latin-1 strings) cannot tell ASCII on its own, since it
   * drops the high byte of chars above 0xFF, so the chars must be read anyway, and it costs a
   * thread-local lookup (and a buffer per virtual thread).
   */
  public static long hash(CharSequence text, long seed) {
    if (text instanceof String s) { // a final class: charAt below is monomorphic
      int length = s.length();
      int chars = 0; // every char OR-ed: below 0x80 means ASCII, so the chars are the UTF-8 bytes
      int p = 0;
      long h;
      if (length >= 32) {
        long v1 = seed + P1 + P2;
        long v2 = seed + P2;
        long v3 = seed;
        long v4 = seed - P1;
        int limit = length - 32;
        do {
          long l1 = 0;
          long l2 = 0;
          long l3 = 0;
          long l4 = 0;
          for (int k = 7; k >= 0; k--) { // little-endian: the first char is the lowest byte
            char a = s.charAt(p + k);
            char b = s.charAt(p + 8 + k);
            char c = s.charAt(p + 16 + k);
            char d = s.charAt(p + 24 + k);
            chars |= a | b | c | d;
            l1 = l1 << 8 | a;
            l2 = l2 << 8 | b;
            l3 = l3 << 8 | c;
            l4 = l4 << 8 | d;
          }
          v1 = round(v1, l1);
          v2 = round(v2, l2);
          v3 = round(v3, l3);
          v4 = round(v4, l4);
          p += 32;
        } while (p <= limit);
        h = converge(v1, v2, v3, v4);
      } else {
        h = seed + P5;
      }
      h += length;
      while (p + 8 <= length) {
        long lane = 0;
        for (int k = 7; k >= 0; k--) {
          char c = s.charAt(p + k);
          chars |= c;
          lane = lane << 8 | c;
        }
        h = mix8(h, lane);
        p += 8;
      }
      if (p + 4 <= length) {
        int lane = 0;
        for (int k = 3; k >= 0; k--) {
          char c = s.charAt(p + k);
          chars |= c;
          lane = lane << 8 | c;
        }
        h = mix4(h, lane);
        p += 4;
      }
      while (p < length) {
        char c = s.charAt(p);
        chars |= c;
        h = mix1(h, c);
        p++;
      }
      if (chars < 0x80) {
        return avalanche(h);
      }
    }
    byte[] utf8 = text.toString().getBytes(StandardCharsets.UTF_8);
    return hash(utf8, 0, utf8.length, seed);
  }

  /** Hashes {@code length} bytes of {@code bytes} from {@code offset} with the given seed. */
  public static long hash(byte[] bytes, int offset, int length, long seed) {
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
        v1 = round(v1, (long) LONG_LE.get(bytes, p));
        v2 = round(v2, (long) LONG_LE.get(bytes, p + 8));
        v3 = round(v3, (long) LONG_LE.get(bytes, p + 16));
        v4 = round(v4, (long) LONG_LE.get(bytes, p + 24));
        p += 32;
      } while (p <= limit);
      h = converge(v1, v2, v3, v4);
    } else {
      h = seed + P5;
    }
    h += length;
    while (p + 8 <= end) {
      h = mix8(h, (long) LONG_LE.get(bytes, p));
      p += 8;
    }
    if (p + 4 <= end) {
      h = mix4(h, (int) INT_LE.get(bytes, p));
      p += 4;
    }
    while (p < end) {
      h = mix1(h, bytes[p] & 0xFF);
      p++;
    }
    return avalanche(h);
  }

  private static long converge(long v1, long v2, long v3, long v4) {
    long h =
        Long.rotateLeft(v1, 1)
            + Long.rotateLeft(v2, 7)
            + Long.rotateLeft(v3, 12)
            + Long.rotateLeft(v4, 18);
    h = mergeRound(h, v1);
    h = mergeRound(h, v2);
    h = mergeRound(h, v3);
    return mergeRound(h, v4);
  }

  private static long mix8(long h, long lane) {
    h ^= round(0, lane);
    return Long.rotateLeft(h, 27) * P1 + P4;
  }

  private static long mix4(long h, int lane) {
    h ^= (lane & 0xFFFFFFFFL) * P1;
    return Long.rotateLeft(h, 23) * P2 + P3;
  }

  private static long mix1(long h, int unsignedByte) {
    h ^= unsignedByte * P5;
    return Long.rotateLeft(h, 11) * P1;
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
}
