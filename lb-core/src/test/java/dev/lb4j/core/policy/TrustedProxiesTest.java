package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.assertProceeds;
import static dev.lb4j.core.policy.PolicyTestSupport.assertRejected;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.core.policy.AccessControl.ForwardedHeader;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * Which address {@link AccessControl} decides on when proxies are trusted: the forwarding header
 * is believed only from a trusted peer and read right to left, skipping trusted proxies; an
 * unparsable hop makes the client unknown. Covers {@code X-Forwarded-For} and RFC 7239 {@code
 * Forwarded}.
 */
class TrustedProxiesTest {

  /** Our proxies: 10.0.0.0/8 and 2001:db8:ffff::/48. Clients allowed: 203.0.113.0/24. */
  private static AccessControl.Builder builder() {
    return AccessControl.builder("edge")
        .trustedProxies("10.0.0.0/8", "2001:db8:ffff::/48")
        .allow("203.0.113.0/24");
  }

  private static final AccessControl XFF = builder().build();
  private static final AccessControl FWD = builder().forwardedHeader(ForwardedHeader.FORWARDED).build();

  private static RequestView via(String peer, String headerName, String... values) {
    RequestViewBuilder b = RequestView.builder().clientAddress(peer);
    for (String v : values) {
      b.header(headerName, v);
    }
    return b.build();
  }

  private static RequestView xff(String peer, String... values) {
    return via(peer, "X-Forwarded-For", values);
  }

  private static RequestView fwd(String peer, String... values) {
    return via(peer, "Forwarded", values);
  }

  private static void client(AccessControl acl, RequestView request, @Nullable String expected) {
    assertThat(acl.clientAddress(request)).as("client of %s", request).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ X-Forwarded-For

  @Test
  void headerFromAnUntrustedPeerIsIgnored() {
    RequestView spoofed = xff("198.51.100.66", "203.0.113.5");
    client(XFF, spoofed, "198.51.100.66");
    assertThat(assertRejected(XFF.onRequest(spoofed), 403)).contains("198.51.100.66");
    // Even a header that names a trusted proxy changes nothing.
    client(XFF, xff("198.51.100.66", "203.0.113.5, 10.0.0.1"), "198.51.100.66");
  }

  @Test
  void trustedPeerForwardsTheClient() {
    RequestView forwarded = xff("10.0.0.1", "203.0.113.5");
    client(XFF, forwarded, "203.0.113.5");
    assertProceeds(XFF.onRequest(forwarded));

    RequestView outsider = xff("10.0.0.1", "198.51.100.7");
    client(XFF, outsider, "198.51.100.7");
    assertThat(assertRejected(XFF.onRequest(outsider), 403))
        .isEqualTo("access control 'edge': client 198.51.100.7 not in an allowed range");
  }

  @Test
  void rightmostUntrustedEntryIsTheClient() {
    // The client prepended a fake entry; our proxies appended what they saw.
    RequestView r = xff("10.0.0.1", "203.0.113.99, 198.51.100.7, 10.0.0.3, 10.0.0.2");
    client(XFF, r, "198.51.100.7");
    assertRejected(XFF.onRequest(r), 403);

    client(XFF, xff("10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2"), "203.0.113.5");
    client(XFF, xff("10.0.0.1", "203.0.113.5,10.0.0.2,10.0.0.3"), "203.0.113.5"); // no spaces
    client(XFF, xff("10.0.0.1", "  203.0.113.5 ,  10.0.0.2  "), "203.0.113.5"); // extra spaces
    client(XFF, xff("10.0.0.1", "2001:db8:1::9, 2001:db8:ffff::2"), "2001:db8:1::9");
    client(XFF, xff("2001:db8:ffff::1", "203.0.113.5"), "203.0.113.5");
  }

  @Test
  void allHopsTrustedMeansTheLeftmostIsTheClient() {
    client(XFF, xff("10.0.0.1", "10.0.0.3, 10.0.0.2"), "10.0.0.3");
    // No header at all from a trusted peer: the peer is the client.
    client(XFF, xff("10.0.0.1"), "10.0.0.1");
    assertRejected(XFF.onRequest(xff("10.0.0.1", "10.0.0.3, 10.0.0.2")), 403);
  }

  @Test
  void ipv4MappedPeerIsTrusted() {
    client(XFF, xff("::ffff:10.0.0.1", "203.0.113.5"), "203.0.113.5");
  }

  @Test
  void severalHeaderLinesAreReadRightToLeft() {
    // Lines in order received: the last line holds the hops nearest to us.
    RequestView r = xff("10.0.0.1", "203.0.113.5, 10.0.0.4", "10.0.0.3");
    assertThat(r.headers("X-Forwarded-For")).hasSize(2);
    client(XFF, r, "203.0.113.5");

    client(XFF, xff("10.0.0.1", "198.51.100.1", "203.0.113.7"), "203.0.113.7");
    client(XFF, xff("10.0.0.1", "203.0.113.7", "198.51.100.1"), "198.51.100.1");
    client(XFF, xff("10.0.0.1", "203.0.113.8", "10.0.0.9", "10.0.0.8, 10.0.0.7"), "203.0.113.8");
    // Mixed case header names are the same header.
    RequestView mixed =
        RequestView.builder()
            .clientAddress("10.0.0.1")
            .header("x-forwarded-for", "203.0.113.9")
            .header("X-FORWARDED-FOR", "10.0.0.5")
            .build();
    client(XFF, mixed, "203.0.113.9");
  }

  @Test
  void unparsableHopMakesTheClientUnknown() {
    for (String value :
        new String[] {
          "garbage",
          "203.0.113.5, garbage",
          "203.0.113.5, 10.0.0.2, not-an-ip, 10.0.0.3",
          "203.0.113.5,,10.0.0.2",
          "203.0.113.5, ",
          "203.0.113.5:4711",
          "unknown"
        }) {
      RequestView r = xff("10.0.0.1", value);
      client(XFF, r, null);
      assertThat(assertRejected(XFF.onRequest(r), 403))
          .as("X-Forwarded-For: %s", value)
          .isEqualTo("access control 'edge': client (unknown) not in an allowed range");
    }
    // A garbage line among several lines also stops the walk.
    client(XFF, xff("10.0.0.1", "203.0.113.5", "garbage", "10.0.0.2"), null);
  }

  /**
   * The walk stops at the first unparsable hop: it never falls back to the trusted proxy (which an
   * allow list of internal ranges would admit) nor skips ahead to a client further left.
   */
  @Test
  void unparsableHopNeverCountsAsATrustedProxy() {
    AccessControl internal =
        AccessControl.builder("internal").trustedProxies("10.0.0.0/8").allow("10.0.0.0/8").build();
    assertProceeds(internal.onRequest(xff("10.0.0.1"))); // the proxy's own request
    assertProceeds(internal.onRequest(xff("10.0.0.1", "10.0.0.7")));
    for (String value : new String[] {"garbage", "garbage, 10.0.0.2", "10.0.0.3, junk, 10.0.0.2"}) {
      RequestView r = xff("10.0.0.1", value);
      client(internal, r, null);
      assertRejected(internal.onRequest(r), 403);
    }

    // With deny rules only, an unknown client is admitted, but not as the proxy: a denied proxy
    // address stays out of the decision.
    AccessControl denyProxies =
        AccessControl.builder("deny").trustedProxies("10.0.0.0/8").deny("203.0.113.0/24").build();
    client(denyProxies, xff("10.0.0.1", "203.0.113.5, junk"), null);
    assertProceeds(denyProxies.onRequest(xff("10.0.0.1", "203.0.113.5, junk")));
    assertRejected(denyProxies.onRequest(xff("10.0.0.1", "junk, 203.0.113.5")), 403);
  }

  @Test
  void unparsablePeerIsUnknownWhateverTheHeader() {
    client(XFF, xff("garbage", "203.0.113.5"), null);
    RequestView noPeer = RequestView.builder().header("X-Forwarded-For", "203.0.113.5").build();
    client(XFF, noPeer, null);
    assertRejected(XFF.onRequest(noPeer), 403);
  }

  @Test
  void xForwardedForModeIgnoresForwarded() {
    client(XFF, fwd("10.0.0.1", "for=203.0.113.5"), "10.0.0.1");
    client(FWD, xff("10.0.0.1", "203.0.113.5"), "10.0.0.1");
  }

  // ------------------------------------------------------------------ RFC 7239 Forwarded

  @Test
  void forwardedForParameter() {
    client(FWD, fwd("10.0.0.1", "for=203.0.113.60"), "203.0.113.60");
    assertProceeds(FWD.onRequest(fwd("10.0.0.1", "for=203.0.113.60")));
    client(FWD, fwd("10.0.0.1", "for=\"203.0.113.60\""), "203.0.113.60");
    // Spoofing from an untrusted peer is ignored here as well.
    client(FWD, fwd("198.51.100.66", "for=203.0.113.60"), "198.51.100.66");
  }

  @Test
  void forwardedIpv6AndPorts() {
    client(FWD, fwd("10.0.0.1", "for=\"[2001:db8:cafe::17]:4711\""), "2001:db8:cafe::17");
    client(FWD, fwd("10.0.0.1", "for=\"[2001:db8:cafe::17]\""), "2001:db8:cafe::17");
    client(FWD, fwd("10.0.0.1", "for=203.0.113.43:80"), "203.0.113.43");
    client(FWD, fwd("10.0.0.1", "for=\"203.0.113.43:4711\""), "203.0.113.43");
  }

  @Test
  void forwardedWithOtherParameters() {
    client(FWD, fwd("10.0.0.1", "for=203.0.113.60;proto=http;by=10.0.0.9"), "203.0.113.60");
    client(FWD, fwd("10.0.0.1", "proto=https;for=203.0.113.61;host=example.com"), "203.0.113.61");
    client(FWD, fwd("10.0.0.1", "by=10.0.0.9; for=203.0.113.62 ;proto=http"), "203.0.113.62");
    client(FWD, fwd("10.0.0.1", "For=203.0.113.63"), "203.0.113.63");
    client(FWD, fwd("10.0.0.1", "FOR=\"[2001:db8:cafe::18]\""), "2001:db8:cafe::18");
  }

  @Test
  void forwardedElementsAndLinesAreReadRightToLeft() {
    client(
        FWD,
        fwd("10.0.0.1", "for=198.51.100.9, for=203.0.113.43, for=10.0.0.7;proto=https"),
        "203.0.113.43");
    client(FWD, fwd("10.0.0.1", "for=203.0.113.43", "for=10.0.0.7"), "203.0.113.43");
    client(FWD, fwd("10.0.0.1", "for=10.0.0.8, for=10.0.0.7"), "10.0.0.8");
    client(
        FWD,
        fwd("10.0.0.1", "for=\"[2001:db8:1::1]\", for=\"[2001:db8:ffff::5]\""),
        "2001:db8:1::1");
  }

  @Test
  void obfuscatedOrMissingForMakesTheClientUnknown() {
    for (String value :
        new String[] {
          "for=unknown",
          "for=_hidden",
          "for=\"_gazonk\"",
          "for=203.0.113.5, for=unknown",
          "for=203.0.113.5, for=_hidden, for=10.0.0.7",
          "proto=https;by=10.0.0.9",
          "for=",
          "for=\"[2001:db8::1\"",
          "garbage"
        }) {
      RequestView r = fwd("10.0.0.1", value);
      client(FWD, r, null);
      assertThat(assertRejected(FWD.onRequest(r), 403))
          .as("Forwarded: %s", value)
          .contains("client (unknown)");
    }
  }

  /**
   * An IPv4 {@code for=} with a port in an element to the left of one that carries a colon (an
   * IPv6 node, or {@code host="example.com:8443"}) loses its port like any other.
   */
  @Test
  void ipv4PortIsStrippedWhateverFollowsInTheHeader() {
    client(FWD, fwd("10.0.0.1", "for=203.0.113.43:4711, for=\"[2001:db8:ffff::5]\""), "203.0.113.43");
    client(FWD, fwd("10.0.0.1", "for=\"203.0.113.43:4711\";host=\"example.com:8443\""), "203.0.113.43");
  }
}
