package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.admitted;
import static dev.lb4j.core.policy.PolicyTestSupport.fromClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import java.time.Duration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Argument checks of {@link RateLimit.Builder} and {@link AccessControl.Builder}: each message
 * names the field ({@code policies.<name>.<field>}), the value and what is allowed; the bounds
 * themselves are accepted; a rejected call leaves the builder as it was.
 */
class PolicyValidationTest {

  private static final String EXAMPLES = "expected such as 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32";

  private static void rejects(ThrowingCallable call, String message) {
    assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
  }

  /** A frozen ticker: the admit counts below must not depend on how fast the machine runs. */
  private static RateLimit.Builder limit() {
    return RateLimit.builder("api").ticker(() -> 42L);
  }

  // ------------------------------------------------------------------ RateLimit.rate

  @ParameterizedTest
  @ValueSource(longs = {0, -1, 1_000_000_001L, Long.MIN_VALUE, Long.MAX_VALUE})
  void permitsOutOfRange(long permits) {
    rejects(
        () -> limit().rate(permits, Duration.ofDays(1)),
        "policies.api.rate: " + permits + " permits (expected: 1..1000000000 per period)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0S", "PT-1S", "PT0.000999999S", "PT-0.001S", "PT24H0.000000001S", "P2D"})
  void periodOutOfRange(String period) {
    Duration d = Duration.parse(period);
    rejects(
        () -> limit().rate(1, d),
        "policies.api.rate: period " + d + " (expected: PT0.001S..P1D)");
  }

  @Test
  void moreThanOnePermitPerNanosecond() {
    rejects(
        () -> limit().rate(1_000_000_000L, Duration.ofMillis(999)),
        "policies.api.rate: 1000000000 per PT0.999S (expected: at most one permit per nanosecond)");
    rejects(
        () -> limit().rate(2_000_000, Duration.ofMillis(1)),
        "policies.api.rate: 2000000 per PT0.001S (expected: at most one permit per nanosecond)");
  }

  @Test
  void rateBoundsAreAccepted() {
    RequestView r = fromClient("192.0.2.1");
    assertThat(admitted(limit().rate(1, Duration.ofMillis(1)).build(), r, 3)).isEqualTo(1);
    assertThat(admitted(limit().rate(1, Duration.ofDays(1)).build(), r, 3)).isEqualTo(1);
    assertThat(admitted(limit().rate(1_000_000_000L, Duration.ofSeconds(1)).build(), r, 3))
        .isEqualTo(3);
    assertThat(admitted(limit().rate(1_000_000, Duration.ofMillis(1)).build(), r, 3)).isEqualTo(3);
  }

  @Test
  void missingRate() {
    rejects(
        () -> limit().build(),
        "policies.api.rate: not set (expected: rate(permits, period), such as rate(100,"
            + " Duration.ofSeconds(1)))");
    rejects(
        () -> limit().burst(5).perKey(HashKey.clientAddress()).build(),
        "policies.api.rate: not set (expected: rate(permits, period), such as rate(100,"
            + " Duration.ofSeconds(1)))");
  }

  @Test
  void rejectedRateLeavesTheBuilderAsItWas() {
    RateLimit.Builder unset = limit();
    assertThatThrownBy(() -> unset.rate(0, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(unset::build).hasMessageContaining("not set");

    RateLimit.Builder set = limit().rate(2, Duration.ofSeconds(1));
    assertThatThrownBy(() -> set.rate(5, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThat(admitted(set.build(), fromClient("192.0.2.1"), 5)).isEqualTo(2);
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null
  void nullRateArguments() {
    assertThatThrownBy(() -> limit().rate(1, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> limit().perKey(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> limit().ticker(null)).isInstanceOf(NullPointerException.class);
  }

  // ------------------------------------------------------------------ RateLimit.burst, maxKeys

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 1_000_000_001, Integer.MIN_VALUE, Integer.MAX_VALUE})
  void burstOutOfRange(int burst) {
    rejects(() -> limit().burst(burst), "policies.api.burst: " + burst + " (expected: 1..1000000000)");
  }

  @Test
  void rejectedBurstLeavesTheBurstAsItWas() {
    RateLimit.Builder b = limit().rate(10, Duration.ofSeconds(1)).burst(3);
    assertThatThrownBy(() -> b.burst(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(admitted(b.ticker(() -> 0L).build(), fromClient("192.0.2.1"), 10)).isEqualTo(3);
  }

  @ParameterizedTest
  @ValueSource(ints = {15, 0, -1, (1 << 24) + 1, Integer.MAX_VALUE, Integer.MIN_VALUE})
  void maxKeysOutOfRange(int maxKeys) {
    rejects(
        () -> limit().maxKeys(maxKeys),
        "policies.api.maxKeys: " + maxKeys + " (expected: 16..16777216)");
  }

  @Test
  void maxKeysBoundsAreAccepted() {
    RateLimit smallest =
        limit().rate(1, Duration.ofSeconds(1)).perKey(HashKey.clientAddress()).maxKeys(16).build();
    assertThat(smallest.keyCapacity()).isGreaterThanOrEqualTo(16);
    // The largest table would take 256 MiB; without perKey no table is allocated at all.
    RateLimit global = limit().rate(1, Duration.ofSeconds(1)).maxKeys(1 << 24).build();
    assertThat(global.keyCapacity()).isZero();
  }

  // ------------------------------------------------------------------ names

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "-api",
        "_api",
        "api v2",
        "api.v2",
        "api/v2",
        "ápi",
        "a12345678901234567890123456789012345678901234567890123456789012345"
      })
  void badNames(String name) {
    String message = "policies: name '" + name + "' (expected: 1 to 64 letters, digits, '_' or '-')";
    rejects(() -> RateLimit.builder(name), message);
    rejects(() -> AccessControl.builder(name), message);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"a", "9", "api-v2_x", "A1234567890123456789012345678901234567890123456789012345678901-"})
  void goodNames(String name) {
    assertThat(name.length()).isLessThanOrEqualTo(64);
    assertThat(RateLimit.builder(name).rate(1, Duration.ofSeconds(1)).build().name()).isEqualTo(name);
    assertThat(AccessControl.builder(name).deny("10.0.0.0/8").build().name()).isEqualTo(name);
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null
  void nullNames() {
    assertThatThrownBy(() -> RateLimit.builder(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> AccessControl.builder(null)).isInstanceOf(NullPointerException.class);
  }

  // ------------------------------------------------------------------ AccessControl

  @Test
  void noRulesAtAll() {
    rejects(
        () -> AccessControl.builder("acl").build(),
        "policies.acl: no allow, deny or methods (expected: at least one rule)");
    // Trusted proxies alone decide nothing.
    rejects(
        () -> AccessControl.builder("acl").trustedProxies("10.0.0.0/8").build(),
        "policies.acl: no allow, deny or methods (expected: at least one rule)");
    rejects(
        () -> AccessControl.builder("acl").allow().deny().methods().build(),
        "policies.acl: no allow, deny or methods (expected: at least one rule)");
  }

  @Test
  void sameRangeAllowedAndDenied() {
    rejects(
        () -> AccessControl.builder("acl").allow("10.0.0.0/8").deny("10.0.0.0/8").build(),
        "policies.acl.deny: '10.0.0.0/8' is also allowed (expected: a range in one list only; deny"
            + " wins, so the allow entry would do nothing)");
    // The same range written differently is still the same range.
    rejects(
        () -> AccessControl.builder("acl").allow("10.0.0.0/8").deny("10.1.2.3/8").build(),
        "policies.acl.deny: '10.1.2.3/8' is also allowed (expected: a range in one list only; deny"
            + " wins, so the allow entry would do nothing)");
    rejects(
        () -> AccessControl.builder("acl").allow("2001:db8::/32").deny("2001:0DB8:0:0::/32").build(),
        "policies.acl.deny: '2001:0DB8:0:0::/32' is also allowed (expected: a range in one list"
            + " only; deny wins, so the allow entry would do nothing)");
    // A narrower range inside an allowed one is the point of deny.
    assertThat(AccessControl.builder("acl").allow("10.0.0.0/8").deny("10.0.0.0/9").build())
        .isNotNull();
  }

  @Test
  void badRangesNameTheField() {
    rejects(
        () -> AccessControl.builder("acl").allow("10.0.0.0/33"),
        "policies.acl.allow: '10.0.0.0/33' is not a CIDR range (the prefix length must be 0..32; "
            + EXAMPLES + ")");
    rejects(
        () -> AccessControl.builder("acl").deny("10.0.0.0/8", "1.2.3"),
        "policies.acl.deny: '1.2.3' is not a CIDR range (not an IPv4 or IPv6 address; "
            + EXAMPLES + ")");
    rejects(
        () -> AccessControl.builder("acl").trustedProxies("::/129"),
        "policies.acl.trustedProxies: '::/129' is not a CIDR range (the prefix length must be"
            + " 0..128; " + EXAMPLES + ")");
    rejects(
        () -> AccessControl.builder("acl").trustedProxies("[::1]/128"),
        "policies.acl.trustedProxies: '[::1]/128' is not a CIDR range (not an IPv4 or IPv6"
            + " address; " + EXAMPLES + ")");
  }

  @Test
  void rejectedRangeListAddsNothing() {
    AccessControl.Builder b = AccessControl.builder("acl");
    assertThatThrownBy(() -> b.allow("10.0.0.0/8", "bad")).isInstanceOf(IllegalArgumentException.class);
    // The good range before the bad one was not kept either.
    rejects(b::build, "policies.acl: no allow, deny or methods (expected: at least one rule)");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"", "GE T", "GET\r\n", "GET,POST", "G/T", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"})
  void badMethods(String method) {
    rejects(
        () -> AccessControl.builder("acl").methods(method),
        "policies.acl.methods: '" + method + "' (expected: an HTTP method such as GET or"
            + " M-SEARCH)");
  }

  @Test
  void extensionMethodsAreAllowed() {
    AccessControl acl = AccessControl.builder("acl").methods("M-SEARCH", "PROPFIND").build();
    assertThat(acl.toString()).contains("methods [M-SEARCH, PROPFIND]");
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null
  void nullMethod() {
    rejects(
        () -> AccessControl.builder("acl").methods("GET", null),
        "policies.acl.methods: 'null' (expected: an HTTP method such as GET or M-SEARCH)");
    assertThatThrownBy(() -> AccessControl.builder("acl").methods((String[]) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  @SuppressWarnings("NullAway") // deliberately passes null
  void nullRanges() {
    assertThatThrownBy(() -> AccessControl.builder("acl").allow((String[]) null))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> AccessControl.builder("acl").forwardedHeader(null))
        .isInstanceOf(NullPointerException.class);
  }
}
