package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link Cidr#parse} and {@link Cidr#contains(String)} for IPv4 and IPv6, edges included. */
class CidrTest {

  private static final String EXAMPLES = "expected such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32";

  private static Cidr cidr(String text) {
    return Cidr.parse("test.range", text);
  }

  private static void contains(String range, String... addresses) {
    Cidr c = cidr(range);
    for (String a : addresses) {
      assertThat(c.contains(a)).as("%s contains %s", range, a).isTrue();
    }
  }

  private static void excludes(String range, String... addresses) {
    Cidr c = cidr(range);
    for (String a : addresses) {
      assertThat(c.contains(a)).as("%s contains %s", range, a).isFalse();
    }
  }

  // ------------------------------------------------------------------ IPv4

  @Test
  void firstAndLastAddressOfARange() {
    contains("10.0.0.0/8", "10.0.0.0", "10.255.255.255", "10.1.2.3");
    excludes("10.0.0.0/8", "9.255.255.255", "11.0.0.0");
    contains("192.168.4.0/22", "192.168.4.0", "192.168.7.255");
    excludes("192.168.4.0/22", "192.168.3.255", "192.168.8.0");
  }

  @Test
  void zeroPrefixMatchesEveryIpv4AddressButNoIpv6One() {
    contains("0.0.0.0/0", "0.0.0.0", "255.255.255.255", "127.0.0.1", "::ffff:10.1.2.3");
    excludes("0.0.0.0/0", "::", "::1", "2001:db8::1", "::10.1.2.3", "64:ff9b::192.0.2.33");
  }

  @Test
  void ipv6ZeroPrefixMatchesEverything() {
    contains(
        "::/0",
        "::",
        "::1",
        "2001:db8::1",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "10.1.2.3",
        "::ffff:10.1.2.3",
        "255.255.255.255");
  }

  @Test
  void singleAddresses() {
    contains("192.0.2.7/32", "192.0.2.7");
    excludes("192.0.2.7/32", "192.0.2.6", "192.0.2.8");
    contains("192.0.2.7", "192.0.2.7"); // a bare address is a /32
    excludes("192.0.2.7", "192.0.2.6", "192.0.2.8");
    contains("2001:db8::1/128", "2001:db8::1", "2001:DB8:0:0:0:0:0:1");
    excludes("2001:db8::1/128", "2001:db8::", "2001:db8::2");
    contains("2001:db8::1", "2001:db8::1"); // a bare address is a /128
    excludes("2001:db8::1", "2001:db8::2", "2001:db8:0:0:1::1");
    assertThat(cidr("192.0.2.7")).isEqualTo(cidr("192.0.2.7/32"));
    assertThat(cidr("2001:db8::1")).isEqualTo(cidr("2001:db8::1/128"));
  }

  @Test
  void slash31AndSlash127() {
    contains("10.0.0.0/31", "10.0.0.0", "10.0.0.1");
    excludes("10.0.0.0/31", "10.0.0.2", "9.255.255.255");
    contains("2001:db8::/127", "2001:db8::", "2001:db8::1");
    excludes("2001:db8::/127", "2001:db8::2", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff");
  }

  @Test
  void prefixLengthsAroundTheSixtyFourBitBoundary() {
    contains("2001:db8:0:1::/64", "2001:db8:0:1::", "2001:db8:0:1:ffff:ffff:ffff:ffff");
    excludes("2001:db8:0:1::/64", "2001:db8:0:2::", "2001:db8:0:0:ffff:ffff:ffff:ffff");
    contains("2001:db8:0:2::/63", "2001:db8:0:2::", "2001:db8:0:3:ffff:ffff:ffff:ffff");
    excludes("2001:db8:0:2::/63", "2001:db8:0:1:ffff:ffff:ffff:ffff", "2001:db8:0:4::");
    contains("2001:db8:0:1:8000::/65", "2001:db8:0:1:8000::", "2001:db8:0:1:ffff:ffff:ffff:ffff");
    excludes("2001:db8:0:1:8000::/65", "2001:db8:0:1:7fff:ffff:ffff:ffff", "2001:db8:0:2::");
  }

  @Test
  void topBitOfEachHalf() {
    // The top bit of each 64-bit half (negative as a long).
    contains("128.0.0.0/1", "128.0.0.0", "255.255.255.255");
    excludes("128.0.0.0/1", "127.255.255.255", "0.0.0.0");
    contains("8000::/1", "8000::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    excludes("8000::/1", "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::");
    contains("::8000:0:0:0/65", "::8000:0:0:0", "::ffff:ffff:ffff:ffff");
    excludes("::8000:0:0:0/65", "::7fff:ffff:ffff:ffff", "0:0:0:1::");
  }

  @Test
  void hostBitsInTheRangeAreIgnored() {
    Cidr sloppy = cidr("10.1.2.3/8");
    assertThat(sloppy).isEqualTo(cidr("10.0.0.0/8")).hasSameHashCodeAs(cidr("10.0.0.0/8"));
    contains("10.1.2.3/8", "10.0.0.0", "10.255.255.255");
    excludes("10.1.2.3/8", "9.255.255.255", "11.0.0.0");
    assertThat(cidr("2001:db8::ffff/32")).isEqualTo(cidr("2001:db8::/32"));
    assertThat(sloppy).hasToString("10.1.2.3/8"); // as written
  }

  @Test
  void ipv4MappedClientsMatchIpv4Ranges() {
    contains("10.0.0.0/8", "::ffff:10.1.2.3", "::FFFF:10.255.255.255", "::ffff:a01:203");
    excludes("10.0.0.0/8", "::ffff:11.0.0.0", "::10.1.2.3");
    // The same range written as IPv4-mapped IPv6.
    assertThat(cidr("::ffff:10.0.0.0/104")).isEqualTo(cidr("10.0.0.0/8"));
    contains("::ffff:0:0/96", "1.2.3.4", "255.255.255.255");
    excludes("::ffff:0:0/96", "::1", "2001:db8::1");
  }

  // ------------------------------------------------------------------ IPv6 forms

  @Test
  void ipv6Forms() {
    contains("::/128", "::", "0:0:0:0:0:0:0:0");
    excludes("::/128", "::1");
    contains("::1/128", "::1", "0:0:0:0:0:0:0:1", "0000:0000:0000:0000:0000:0000:0000:0001");
    contains("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
    excludes("2001:db8::/32", "2001:db9::", "2001:db7:ffff::");
    assertThat(cidr("2001:0db8:0000:0000:0000:0000:0000:0001"))
        .isEqualTo(cidr("2001:db8::1"))
        .isEqualTo(cidr("2001:DB8::1"))
        .isEqualTo(cidr("2001:db8:0:0::0:1"));
    assertThat(cidr("1:2:3:4:5:6:7::")).isEqualTo(cidr("1:2:3:4:5:6:7:0"));
    assertThat(cidr("::2:3:4:5:6:7:8")).isEqualTo(cidr("0:2:3:4:5:6:7:8"));
    assertThat(cidr("1::")).isEqualTo(cidr("1:0:0:0:0:0:0:0"));
    assertThat(cidr("1::8")).isEqualTo(cidr("1:0:0:0:0:0:0:8"));
  }

  @Test
  void embeddedIpv4() {
    assertThat(cidr("::ffff:1.2.3.4")).isEqualTo(cidr("::ffff:102:304")).isEqualTo(cidr("1.2.3.4"));
    Cidr nat64 = cidr("64:ff9b::/96");
    assertThat(nat64.contains("64:ff9b::192.0.2.33")).isTrue();
    assertThat(cidr("64:ff9b::192.0.2.33")).isEqualTo(cidr("64:ff9b::c000:221"));
    // A NAT64 address is an IPv6 address, not the IPv4 one it embeds.
    excludes("192.0.2.0/24", "64:ff9b::192.0.2.33");
    assertThat(cidr("1:2:3:4:5:6:1.2.3.4")).isEqualTo(cidr("1:2:3:4:5:6:102:304"));
  }

  @Test
  void clientAddressForms() {
    // A zone on a link-local client address, and brackets, do not stop it from matching.
    contains("fe80::/10", "fe80::1%eth0", "[fe80::1]", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    excludes("fe80::/10", "fec0::", "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    contains("::1/128", "[::1]");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "garbage",
        "1.2.3",
        "1.2.3.4.5",
        "256.0.0.1",
        "1.2.3.4:80",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "gggg::",
        ":::",
        "12345::",
        "example.com",
        "[::1]:80"
      })
  void notAnAddressIsContainedNowhere(String address) {
    assertThat(cidr("::/0").contains(address)).isFalse();
    assertThat(cidr("0.0.0.0/0").contains(address)).isFalse();
  }

  /**
   * A leading zero is refused, in ranges and in client addresses: {@code inet_aton} reads 010 as
   * octal 8, so "010.0.0.0/8" would mean different ranges to different readers.
   */
  @Test
  void leadingZerosAreRefused() {
    assertThatThrownBy(() -> cidr("010.0.0.0/8"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'010.0.0.0/8' is not a CIDR range (not an IPv4 or IPv6 address");
    assertThat(cidr("10.0.0.0/8").contains("010.000.000.001")).isFalse();
    assertThat(cidr("10.0.0.0/8").contains("10.0.0.1")).isTrue();
    assertThat(cidr("0.0.0.0/0").contains("0.0.0.0")).isTrue();
  }

  // ------------------------------------------------------------------ invalid ranges

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "10.0.0.0/33    | the prefix length must be 0..32",
        "::/129         | the prefix length must be 0..128",
        "10.0.0.0/      | the prefix length must be a number 0..32",
        "10.0.0.0/-1    | the prefix length must be a number 0..32",
        "10.0.0.0/8/8   | the prefix length must be a number 0..32",
        "10.0.0.0/x     | the prefix length must be a number 0..32",
        "10.0.0.0/1000  | the prefix length must be a number 0..32",
        "::/-1          | the prefix length must be a number 0..128",
        "1.2.3          | not an IPv4 or IPv6 address",
        "1.2.3.4.5      | not an IPv4 or IPv6 address",
        "256.0.0.1      | not an IPv4 or IPv6 address",
        "1.2.3.256/32   | not an IPv4 or IPv6 address",
        "1234.1.1.1     | not an IPv4 or IPv6 address",
        "1..2.3         | not an IPv4 or IPv6 address",
        "1.2.3.4.       | not an IPv4 or IPv6 address",
        "1:2:3:4:5:6:7:8:9 | not an IPv4 or IPv6 address",
        "1:2:3:4:5:6:7  | not an IPv4 or IPv6 address",
        "1::2::3        | not an IPv4 or IPv6 address",
        "gggg::         | not an IPv4 or IPv6 address",
        ":1::           | not an IPv4 or IPv6 address",
        "1:::2          | not an IPv4 or IPv6 address",
        "1:2:3:4:5:6:7:8:: | not an IPv4 or IPv6 address",
        "::1:2:3:4:5:6:7:8 | not an IPv4 or IPv6 address",
        "1:2:3:4:5:6:7:1.2.3.4 | not an IPv4 or IPv6 address",
        "::ffff:1.2.3   | not an IPv4 or IPv6 address",
        "12345::/16     | not an IPv4 or IPv6 address",
        "/8             | not an IPv4 or IPv6 address",
        "[::1]/128      | not an IPv4 or IPv6 address",
        "[::1]          | not an IPv4 or IPv6 address",
        "fe80::1%eth0/64 | not an IPv4 or IPv6 address",
        "example.com/8  | not an IPv4 or IPv6 address",
      })
  void invalidRangesNameTheFieldTheValueAndTheReason(String text, String why) {
    assertThatThrownBy(() -> Cidr.parse("policies.acl.allow", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.acl.allow: '" + text + "' is not a CIDR range (" + why + "; " + EXAMPLES + ")");
  }

  @Test
  void emptyRange() {
    assertThatThrownBy(() -> Cidr.parse("policies.acl.deny", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.acl.deny: '' is not a CIDR range (not an IPv4 or IPv6 address; "
                + EXAMPLES + ")");
  }

  @Test
  void prefixBounds() {
    assertThat(cidr("10.0.0.0/0")).isEqualTo(cidr("0.0.0.0/0"));
    assertThat(cidr("10.0.0.0/32")).isEqualTo(cidr("10.0.0.0"));
    assertThat(cidr("::1/0")).isEqualTo(cidr("::/0"));
    assertThat(cidr("::1/128")).isEqualTo(cidr("::1"));
    // An IPv4 /0 and an IPv6 /0 are different ranges.
    assertThat(cidr("0.0.0.0/0")).isNotEqualTo(cidr("::/0"));
  }
}
