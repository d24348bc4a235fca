package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.internal.XxHash64;
import dev.lb4j.core.testing.Allocations;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * The per-request work of hashing a key, checking access and taking a per-key permit allocates
 * nothing in steady state. Each case is warmed up ({@value #WARM_UP} calls, so the JIT has compiled
 * it), then the bytes the test thread allocates over {@value #CALLS} calls are read from {@link
 * com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} (a per-thread counter, so the
 * loop runs on the test thread; see {@link Allocations}). The limit is below one byte per call on
 * average: one allocation of even the smallest object (16 bytes) per call would exceed it sixteen
 * times over.
 */
class PolicyAllocationTest {

  private static final int WARM_UP = 20_000;
  private static final int CALLS = 10_000;

  private final ManualClock clock = new ManualClock();

  /** Where results go, so the JIT cannot drop a call whose result is unused. */
  private static long sink;

  /** The bytes the current thread allocates per call, after warming up. */
  private static <T> double allocatedBytes(T subject, ToLongFunction<T> call) throws Exception {
    return Allocations.bytesPerCall(WARM_UP, CALLS, () -> sink += call.applyAsLong(subject));
  }

  private static void assertAllocationFree(String what, double bytesPerCall) {
    assertThat(bytesPerCall).as("%s: bytes allocated per call", what).isLessThan(1.0);
  }

  /** 1 when the policy admits the request; fails otherwise (a rejection allocates its message). */
  private static long admits(Policy policy, RequestView request) {
    PolicyDecision decision = policy.onRequest(request);
    if (!(decision instanceof PolicyDecision.Proceed)) {
      throw new AssertionError("rejected: " + decision);
    }
    return 1;
  }

  @Test
  void hashingAnAsciiStringKeyAllocatesNothing() throws Exception {
    String key = "user-7f3a9c2e-41d8-session"; // the 28-char keys of the benchmarks, more or less
    assertAllocationFree("XxHash64.hash(ASCII String)", allocatedBytes(key, XxHash64::hash));
    String longKey = "tenant-0042/user-7f3a9c2e-41d8-4b1e-9a77-0c5d3e8f1a2b"; // over 32 chars
    assertAllocationFree("XxHash64.hash(long ASCII String)", allocatedBytes(longKey, XxHash64::hash));
  }

  @Test
  void checkingAClientAddressAllocatesNothing() throws Exception {
    AccessControl acl =
        AccessControl.builder("acl").allow("192.0.2.0/24", "2001:db8::/32").deny("192.0.2.13").build();
    RequestView v4 = RequestView.builder().clientAddress("192.0.2.7").build();
    RequestView v6 = RequestView.builder().clientAddress("2001:db8::7:1").build();
    RequestView mapped = RequestView.builder().clientAddress("::ffff:192.0.2.8").build();
    assertAllocationFree("IPv4 peer", allocatedBytes(v4, r -> admits(acl, r)));
    assertAllocationFree("IPv6 peer", allocatedBytes(v6, r -> admits(acl, r)));
    assertAllocationFree("IPv4-mapped IPv6 peer", allocatedBytes(mapped, r -> admits(acl, r)));
  }

  @Test
  void checkingAClientForwardedByTrustedProxiesAllocatesNothing() throws Exception {
    AccessControl xff =
        AccessControl.builder("xff").allow("203.0.113.0/24").trustedProxies("10.0.0.0/8").build();
    RequestView viaProxies =
        RequestView.builder()
            .clientAddress("10.0.0.1")
            .header("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.0.0.9")
            .build();
    assertAllocationFree("X-Forwarded-For", allocatedBytes(viaProxies, r -> admits(xff, r)));

    AccessControl forwarded =
        AccessControl.builder("fwd")
            .allow("2001:db8::/32")
            .trustedProxies("10.0.0.0/8")
            .forwardedHeader(AccessControl.ForwardedHeader.FORWARDED)
            .build();
    RequestView viaForwarded =
        RequestView.builder()
            .clientAddress("10.0.0.1")
            .header("Forwarded", "for=\"[2001:db8::7]:4711\";proto=https, For=10.0.0.9")
            .build();
    assertAllocationFree("Forwarded", allocatedBytes(viaForwarded, r -> admits(forwarded, r)));
  }

  @Test
  void takingAPermitForAKeySeenBeforeAllocatesNothing() throws Exception {
    // A billion per second with a burst as large: the standing clock never runs the buckets dry.
    RateLimit perApiKey =
        RateLimit.builder("per-key")
            .rate(1_000_000_000, Duration.ofSeconds(1))
            .perKey(HashKey.header("X-Api-Key"))
            .ticker(clock)
            .build();
    RequestView request =
        RequestView.builder().header("X-Api-Key", "key-0123456789abcdef").build();
    assertAllocationFree("per-key rate limit", allocatedBytes(request, r -> admits(perApiKey, r)));

    RateLimit perClient =
        RateLimit.builder("per-client")
            .rate(1_000_000_000, Duration.ofSeconds(1))
            .perKey(HashKey.clientAddress())
            .ticker(clock)
            .build();
    RequestView client = RequestView.builder().clientAddress("192.0.2.7").build();
    assertAllocationFree("per-client rate limit", allocatedBytes(client, r -> admits(perClient, r)));
  }
}
