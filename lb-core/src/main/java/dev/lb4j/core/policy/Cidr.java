package dev.lb4j.core.policy;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 address range in CIDR notation ({@code 10.0.0.0/8}, {@code 2001:db8::/32}); a bare
 * address is a range of one ({@code /32} or {@code /128}). IPv4 ranges also match IPv4-mapped IPv6
 * addresses ({@code ::ffff:10.1.2.3}). Immutable.
 *
 * @since 0.1.0
 */
public final class Cidr {

  private final String text;
  private final long hi;
  private final long lo;
  private final long maskHi;
  private final long maskLo;

  private Cidr(String text, long hi, long lo, int prefix128) {
    this.text = text;
    this.maskHi = prefix128 == 0 ? 0 : prefix128 >= 64 ? -1L : -1L << (64 - prefix128);
    this.maskLo = prefix128 <= 64 ? 0 : prefix128 == 128 ? -1L : -1L << (128 - prefix128);
    this.hi = hi & maskHi;
    this.lo = lo & maskLo;
  }

  /**
   * Parses a range.
   *
   * @param field the configuration field, for the error message
   * @param cidr such as {@code 192.168.0.0/16}, {@code 10.1.2.3}, {@code ::1/128}, {@code 0.0.0.0/0}
   * @return the range
   * @throws IllegalArgumentException naming the field and the value if it is not a range
   */
  public static Cidr parse(String field, String cidr) {
    Objects.requireNonNull(cidr, field);
    int slash = cidr.indexOf('/');
    String address = slash < 0 ? cidr : cidr.substring(0, slash);
    long[] bits = new long[2];
    if (address.isEmpty() || address.indexOf('[') >= 0 || address.indexOf(' ') >= 0
        || !IpAddresses.parse(address, 0, address.length(), bits) || address.indexOf('%') >= 0) {
      throw invalid(field, cidr, "not an IPv4 or IPv6 address");
    }
    boolean v4 = address.indexOf(':') < 0;
    int max = v4 ? 32 : 128;
    int prefix = max;
    if (slash >= 0) {
      String p = cidr.substring(slash + 1);
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw invalid(field, cidr, "the prefix length must be a number 0.." + max);
      }
      prefix = Integer.parseInt(p);
      if (prefix > max) {
        throw invalid(field, cidr, "the prefix length must be 0.." + max);
      }
    }
    return new Cidr(cidr, bits[0], bits[1], v4 ? prefix + 96 : prefix);
  }

  private static IllegalArgumentException invalid(String field, String cidr, String why) {
    return new IllegalArgumentException(
        field + ": '" + cidr + "' is not a CIDR range (" + why
            + "; expected such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)");
  }

  /**
   * Whether the address is in this range.
   *
   * @param hi the address's high 64 bits (IPv4 as IPv4-mapped IPv6)
   * @param lo its low 64 bits
   * @return {@code true} if it is
   */
  boolean contains(long hi, long lo) {
    return (hi & maskHi) == this.hi && (lo & maskLo) == this.lo;
  }

  /**
   * Whether a textual address is in this range; {@code false} if it is not an address.
   *
   * @param address an IPv4 or IPv6 literal
   * @return {@code true} if it is in the range
   */
  public boolean contains(String address) {
    long[] bits = new long[2];
    return IpAddresses.parse(address, 0, address.length(), bits) && contains(bits[0], bits[1]);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Cidr c && c.hi == hi && c.lo == lo && c.maskHi == maskHi && c.maskLo == maskLo;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(hi * 31 + lo) * 31 + Long.hashCode(maskHi ^ maskLo);
  }

  @Override
  public String toString() {
    return text;
  }
}
