package dev.lb4j.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Hashing text must equal hashing its UTF-8 bytes ({@code String.getBytes(UTF_8)}), whichever path
 * the text takes: the allocation-free ASCII path of a {@code String}, the encoding fallback for any
 * other char, and every other {@code CharSequence}.
 */
class XxHash64PropertyTest {

  private static final long SEED = 0x5EED_1B4AL;

  /** Which chars a random string is drawn from. */
  private enum Alphabet {
    ASCII,
    LATIN1,
    BMP,
    SURROGATE_PAIRS,
    LONE_SURROGATES,
    MIXED
  }

  @Test
  @SuppressWarnings("UnnecessaryStringBuilder") // a StringBuilder is the CharSequence under test
  void randomTextHashesAsItsUtf8Bytes() {
    SplittableRandom random = new SplittableRandom(SEED);
    int checked = 0;
    for (Alphabet alphabet : Alphabet.values()) {
      for (int n = 0; n < 1_500; n++) {
        int length = random.nextInt(101); // 0..100 chars: across the 4-, 8- and 32-byte boundaries
        String text = randomText(random, alphabet, length);
        long seed = n % 3 == 0 ? 0 : random.nextLong();
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        long expected = XxHash64.hash(utf8, 0, utf8.length, seed);
        assertThat(XxHash64.hash(text, seed))
            .as("%s text of %d chars: %s", alphabet, length, escaped(text))
            .isEqualTo(expected);
        assertThat(XxHash64.hash(new StringBuilder(text), seed))
            .as("the same %s text as a StringBuilder", alphabet)
            .isEqualTo(expected);
        assertThat(XxHash64.hash(CharBuffer.wrap(text), seed))
            .as("the same %s text as a CharBuffer", alphabet)
            .isEqualTo(expected);
        if (seed == 0) {
          assertThat(XxHash64.hash(text)).isEqualTo(expected);
        }
        checked++;
      }
    }
    assertThat(checked).isEqualTo(Alphabet.values().length * 1_500);
  }

  /** Every length from 0 to 100 with one non-ASCII char at each position, to hit every lane. */
  @Test
  void oneNonAsciiCharAnywhereFallsBackToTheExactEncoding() {
    char[] specials = {'\u0080', '\u00ff', '\u0100', '\u0141', '\u07ff', '\u0800', '\ud800', '\udc00',
      '\uffff'};
    for (int length = 1; length <= 100; length++) {
      for (int at = 0; at < length; at++) {
        char[] chars = "k".repeat(length).toCharArray();
        chars[at] = specials[(length + at) % specials.length];
        String text = new String(chars);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertThat(XxHash64.hash(text))
            .as("length %d, U+%04X at %d", length, (int) chars[at], at)
            .isEqualTo(XxHash64.hash(utf8, 0, utf8.length, 0));
      }
    }
  }

  @Test
  void loneSurrogatesHashAsTheQuestionMarkJavaEncodesThemAs() {
    assertThat(XxHash64.hash("a\ud800b")).isEqualTo(XxHash64.hash("a?b"));
    assertThat(XxHash64.hash("\udc00")).isEqualTo(XxHash64.hash("?"));
    assertThat(XxHash64.hash("\ud83d\ude00")) // a pair is one code point, four bytes
        .isEqualTo(XxHash64.hash(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}, 0, 4, 0));
  }

  private static String randomText(SplittableRandom random, Alphabet alphabet, int length) {
    StringBuilder b = new StringBuilder(length);
    while (b.length() < length) {
      Alphabet a = alphabet == Alphabet.MIXED ? Alphabet.values()[random.nextInt(5)] : alphabet;
      switch (a) {
        case ASCII -> b.append((char) random.nextInt(0x80));
        case LATIN1 -> b.append((char) random.nextInt(0x100));
        case BMP -> b.append(bmpNonSurrogate(random));
        case SURROGATE_PAIRS -> {
          if (b.length() + 2 <= length) {
            b.appendCodePoint(0x10000 + random.nextInt(0x100000));
          } else {
            b.append((char) random.nextInt(0x80));
          }
        }
        case LONE_SURROGATES ->
            b.append(random.nextInt(3) == 0
                ? (char) (0xD800 + random.nextInt(0x800)) // high or low, alone or by chance a pair
                : (char) random.nextInt(0x80));
        default -> throw new AssertionError(a);
      }
    }
    return b.toString();
  }

  private static char bmpNonSurrogate(SplittableRandom random) {
    while (true) {
      char c = (char) random.nextInt(0x10000);
      if (!Character.isSurrogate(c)) {
        return c;
      }
    }
  }

  private static String escaped(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7f) {
        b.append(c);
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.toString();
  }
}
