package dev.lb4j.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class XxHash64Test {

  /**
   * Published XXH64 vectors: "", foo, bar, lyft from Envoy's test/common/common/hash_test.cc; a,
   * asdf and the 63-byte sentence from cespare/xxhash's xxhash_test.go; "a" with seeds 1 and 2^64-1
   * from python-xxhash's tests/test_xxh64.py.
   */
  @ParameterizedTest
  @CsvSource({
    "'', 0, ef46db3751d8e999",
    "foo, 0, 33bf00a859c4ba3f",
    "bar, 0, 48a37c90ad27a659",
    "lyft, 0, 3d129870ca369420",
    "a, 0, d24ec4f1a98c6e5b",
    "a, 1, dec2bc81c3cd46c6",
    "a, -1, 60c43759873ece62",
    "asdf, 0, 415872f599cea71e",
    "'Call me Ishmael. Some years ago--never mind how long precisely-', 0, 02a2e85470d6fd96",
  })
  void matchesPublishedVectors(String input, long seed, String expectedHex) {
    long expected = Long.parseUnsignedLong(expectedHex, 16);
    assertThat(XxHash64.hash(input, seed)).isEqualTo(expected);
    byte[] bytes = input.getBytes(StandardCharsets.UTF_8);
    assertThat(XxHash64.hash(bytes, 0, bytes.length, seed)).isEqualTo(expected);
  }

  @Test
  void hashesTextAsItsUtf8BytesWhetherAsciiOrNot() {
    for (String text : new String[] {"caf\u00e9-\u65e5\u672c", "x".repeat(100), "\u00e9".repeat(40)}) {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      assertThat(XxHash64.hash(text)).isEqualTo(XxHash64.hash(utf8, 0, utf8.length, 0));
    }
  }

  @Test
  void everyLengthAcrossStripeBoundariesAgreesBetweenCharAndByteInput() {
    String text = "";
    for (int length = 0; length < 100; length++) {
      byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
      assertThat(XxHash64.hash(java.nio.CharBuffer.wrap(text)))
          .as("length %d", length)
          .isEqualTo(XxHash64.hash(bytes, 0, bytes.length, 0));
      text += (char) ('a' + length % 26);
    }
  }

  /**
   * A char above 0xFF whose low byte is ASCII (U+0141 has low byte 0x41, 'A') must not be mistaken
   * for that ASCII byte, wherever it stands: in a 32-byte stripe, an 8- or 4-byte lane or the tail.
   */
  @Test
  void aNonAsciiCharIsNeverReadAsItsLowByteAtAnyPosition() {
    for (int length = 1; length < 70; length++) {
      for (int at = 0; at < length; at++) {
        String text = "k".repeat(at) + "\u0141" + "k".repeat(length - at - 1);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertThat(XxHash64.hash(text))
            .as("length %d, U+0141 at %d", length, at)
            .isEqualTo(XxHash64.hash(utf8, 0, utf8.length, 0))
            .isNotEqualTo(XxHash64.hash("k".repeat(at) + "A" + "k".repeat(length - at - 1)));
      }
    }
  }
}
