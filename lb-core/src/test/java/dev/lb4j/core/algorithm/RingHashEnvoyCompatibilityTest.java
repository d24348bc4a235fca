package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.backend;
import static dev.lb4j.core.algorithm.HashingFixtures.loopback;
import static dev.lb4j.core.algorithm.HashingFixtures.owner;
import static dev.lb4j.core.algorithm.HashingFixtures.port;
import static dev.lb4j.core.algorithm.HashingFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * lb4j's ring against the expectations of Envoy's own tests, in {@code
 * test/extensions/load_balancing_policies/ring_hash/ring_hash_lb_test.cc} (envoyproxy/envoy, {@code
 * RingHashLoadBalancerTest}). Envoy hashes host {@code tcp://127.0.0.1:90} as {@code 127.0.0.1:90},
 * lb4j's default id of {@code http://127.0.0.1:90}; Envoy's {@code TestLoadBalancerContext(h)}
 * hands the raw 64-bit hash {@code h} to {@code chooseHost}.
 *
 * <p>Envoy's tests use rings as small as 2 entries, which lb4j's public factory refuses (its
 * smallest {@code minRingSize} is Envoy's default, 1024); those tests build the package-private
 * {@link Ring} directly. Positions are Envoy's unsigned 64-bit values.
 */
class RingHashEnvoyCompatibilityTest {

  private static final long MAX = Algorithms.DEFAULT_MAX_RING_SIZE;

  /** The ring as (unsigned position, owner id) pairs, in ring order. */
  private static String[] describe(Ring ring, Backend[] backends) {
    String[] out = new String[ring.size()];
    for (int i = 0; i < ring.size(); i++) {
      out[i] =
          Long.toUnsignedString(ring.points[i] ^ Long.MIN_VALUE)
              + " "
              + backends[ring.owners[i]].id();
    }
    return out;
  }

  private static String ownerOf(Ring ring, Backend[] backends, long hash) {
    return backends[ring.owners[ring.indexOf(hash)]].id();
  }

  private static long unsigned(String decimal) {
    return Long.parseUnsignedLong(decimal);
  }

  private static Map<String, Integer> pointsPerHost(Ring ring, Backend[] backends) {
    Map<String, Integer> counts = new HashMap<>();
    for (int owner : ring.owners) {
      counts.merge(backends[owner].id(), 1, Integer::sum);
    }
    return counts;
  }

  // Envoy: RingHashLoadBalancerTest.Basic (minimum_ring_size 12)
  @Test
  void basicRingOfSixHostsMatchesEnvoy() {
    Backend[] hosts = loopback(90, 91, 92, 93, 94, 95);
    Ring ring = Ring.envoy(hosts, 12, MAX);

    assertThat(describe(ring, hosts))
        .containsExactly(
            "833437586790550860 127.0.0.1:94",
            "928266305478181108 127.0.0.1:92",
            "1033482794131418490 127.0.0.1:90",
            "3551244743356806947 127.0.0.1:95",
            "3851675632748031481 127.0.0.1:93",
            "5583722120771150861 127.0.0.1:91",
            "6311230543546372928 127.0.0.1:91",
            "7700377290971790572 127.0.0.1:93",
            "13144177310400110813 127.0.0.1:95",
            "13444792449719432967 127.0.0.1:92",
            "15516499411664133160 127.0.0.1:94",
            "16117243373044804889 127.0.0.1:90");
    assertThat(pointsPerHost(ring, hosts).values()).containsOnly(2);

    assertThat(ownerOf(ring, hosts, 0)).isEqualTo("127.0.0.1:94");
    assertThat(ownerOf(ring, hosts, -1L)).as("2^64 - 1 wraps").isEqualTo("127.0.0.1:94");
    assertThat(ownerOf(ring, hosts, unsigned("3551244743356806947"))).isEqualTo("127.0.0.1:95");
    assertThat(ownerOf(ring, hosts, unsigned("3551244743356806948"))).isEqualTo("127.0.0.1:93");
    assertThat(ownerOf(ring, hosts, unsigned("16117243373044804880"))).isEqualTo("127.0.0.1:90");
  }

  // Envoy: RingHashLoadBalancerTest.BasicWithHostname (use_hostname_for_hashing: "90".."95")
  @Test
  void hostsHashedByNameMatchEnvoy() {
    Backend[] hosts = new Backend[6];
    for (int i = 0; i < 6; i++) {
      hosts[i] = backend(String.valueOf(90 + i));
    }
    Ring ring = Ring.envoy(hosts, 12, MAX);

    assertThat(describe(ring, hosts))
        .containsExactly(
            "1975508444536362413 95",
            "2376063919839173711 95",
            "2386806903309390596 93",
            "6749904478991551885 94",
            "6803900775736438537 93",
            "7225015537174310577 92",
            "8787465352164086522 90",
            "11282020843382717940 92",
            "13723418369486627818 91",
            "13776502110861797421 90",
            "14338313586354474791 91",
            "15364271037087512980 94");
    assertThat(ownerOf(ring, hosts, 0)).isEqualTo("95");
    assertThat(ownerOf(ring, hosts, -1L)).isEqualTo("95");
    assertThat(ownerOf(ring, hosts, unsigned("7225015537174310577"))).isEqualTo("92");
    assertThat(ownerOf(ring, hosts, unsigned("6803900775736438537"))).isEqualTo("93");
  }

  // Envoy: RingHashLoadBalancerTest.BasicWithRetryHostPredicate: hash 0 is :94; with :94 rejected
  // the second attempt takes the next entry of the ring, :92. lb4j's RingHash walks the same way
  // (checked on a full-size ring in HashingExclusionTest).
  @Test
  void nextEntryClockwiseIsEnvoysRetryTarget() {
    Backend[] hosts = loopback(90, 91, 92, 93, 94, 95);
    Ring ring = Ring.envoy(hosts, 12, MAX);

    int at = ring.indexOf(0);
    assertThat(hosts[ring.owners[at]].id()).isEqualTo("127.0.0.1:94");
    assertThat(hosts[ring.owners[(at + 1) % ring.size()]].id()).isEqualTo("127.0.0.1:92");
  }

  // Envoy: RingHashLoadBalancerTest.UnevenHosts (2 hosts, minimum_ring_size 3 -> ring of 4)
  @Test
  void twoHostsWithMinimumThreeGiveARingOfFour() {
    Backend[] hosts = loopback(80, 81);
    Ring ring = Ring.envoy(hosts, 3, MAX);
    assertThat(describe(ring, hosts))
        .containsExactly(
            "5454692015285649509 127.0.0.1:80",
            "7859399908942313493 127.0.0.1:81",
            "13838424394637650569 127.0.0.1:80",
            "16064866803292627174 127.0.0.1:81");
    assertThat(ownerOf(ring, hosts, 0)).isEqualTo("127.0.0.1:80");

    Backend[] next = loopback(81, 82);
    Ring nextRing = Ring.envoy(next, 3, MAX);
    assertThat(describe(nextRing, next))
        .containsExactly(
            "7859399908942313493 127.0.0.1:81",
            "8241336090459785962 127.0.0.1:82",
            "12882406409176325258 127.0.0.1:82",
            "16064866803292627174 127.0.0.1:81");
    assertThat(ownerOf(nextRing, next, 0)).isEqualTo("127.0.0.1:81");
  }

  // Envoy: RingHashLoadBalancerTest.HostWeightedTinyRing (weights 1, 2, 3; ring of exactly 6)
  @Test
  void weightedTinyRingMatchesEnvoy() {
    Backend[] hosts = {
      backend("127.0.0.1:90", 1), backend("127.0.0.1:91", 2), backend("127.0.0.1:92", 3)
    };
    Ring ring = Ring.envoy(hosts, 6, 6);

    assertThat(ring.size()).isEqualTo(6);
    assertThat(pointsPerHost(ring, hosts))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("127.0.0.1:90", 1, "127.0.0.1:91", 2, "127.0.0.1:92", 3));
    Map<String, Integer> expected =
        Map.of(
            "928266305478181108", 92,
            "4443673547860492590", 92,
            "5583722120771150861", 91,
            "6311230543546372928", 91,
            "13444792449719432967", 92,
            "16117243373044804889", 90);
    expected.forEach(
        (hash, owner) ->
            assertThat(port(ownerOf(ring, hosts, unsigned(hash))))
                .as("hash %s", hash)
                .isEqualTo(owner));
  }

  // Envoy: RingHashLoadBalancerTest.HostWeightedLargeRing (minimum_ring_size 6144), through the
  // public factory and picker: 6000 evenly spaced hashes give exactly Envoy's histogram.
  @Test
  void weightedLargeRingGivesEnvoysExactHistogram() {
    Backend[] hosts = {
      backend("127.0.0.1:90", 1), backend("127.0.0.1:91", 2), backend("127.0.0.1:92", 3)
    };
    Ring ring = Ring.envoy(hosts, 6144, MAX);
    assertThat(ring.size()).isEqualTo(6144);
    assertThat(pointsPerHost(ring, hosts))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("127.0.0.1:90", 1024, "127.0.0.1:91", 2048, "127.0.0.1:92", 3072));

    Picker picker = Algorithms.ringHash(6144, MAX).newPicker(set(hosts));
    int[] counts = new int[3];
    long step = Long.divideUnsigned(-1L, 6000);
    for (int i = 0; i < 6000; i++) {
      counts[port(owner(picker, i * step)) - 90]++;
    }
    assertThat(counts).containsExactly(987, 1932, 3081);
  }

  // Envoy: RingHashLoadBalancerTest.SmallFractionalScale (4 hosts, ring of exactly 2)
  @Test
  void ringSmallerThanTheHostCountLeavesHostsOut() {
    Backend[] hosts = loopback(90, 91, 92, 93);
    Ring ring = Ring.envoy(hosts, 2, 2);

    assertThat(ring.size()).isEqualTo(2);
    int[] counts = new int[4];
    long step = Long.divideUnsigned(-1L, 1024);
    for (int i = 0; i < 1024; i++) {
      counts[port(ownerOf(ring, hosts, i * step)) - 90]++;
    }
    assertThat(Arrays.stream(counts).filter(c -> c == 0).count()).isEqualTo(2);
    assertThat(Arrays.stream(counts).sum()).isEqualTo(1024);
  }

  // Envoy: RingHashLoadBalancerTest.LargeFractionalScale (2 hosts, ring of exactly 1023)
  @Test
  void oddRingSplitsFiveHundredTwelveAndFiveHundredElevenLikeEnvoy() {
    Backend[] hosts = loopback(90, 91);
    Ring ring = Ring.envoy(hosts, 1023, 1023);

    assertThat(ring.size()).isEqualTo(1023);
    assertThat(pointsPerHost(ring, hosts))
        .containsExactlyInAnyOrderEntriesOf(Map.of("127.0.0.1:90", 512, "127.0.0.1:91", 511));
    int[] counts = new int[2];
    long step = Long.divideUnsigned(-1L, 1023);
    for (int i = 0; i < 1023; i++) {
      counts[port(ownerOf(ring, hosts, i * step)) - 90]++;
    }
    assertThat(counts).containsExactly(526, 497);
  }

  // Envoy: RingHashLoadBalancerTest.LopsidedWeightSmallScale. Envoy derives the normalized weights
  // 127/128 and (1/128)/1023 from locality weights; lb4j gets the same ratios from host weights
  // 127 * 1023 and 1 (outside BackendSpec's 1..10000, hence fake backends). Host :0 takes 1016 of
  // 1024 entries, and every 128th light host one entry.
  @Test
  void lopsidedWeightsPlaceEnvoysEightLightHosts() {
    Backend[] hosts = new Backend[1024];
    hosts[0] = backend("127.0.0.1:0", 127 * 1023);
    for (int i = 1; i < 1024; i++) {
      hosts[i] = backend("127.0.0.1:" + i, 1);
    }
    Ring ring = Ring.envoy(hosts, 1024, 1024);

    assertThat(ring.size()).isEqualTo(1024);
    assertThat(pointsPerHost(ring, hosts)).containsEntry("127.0.0.1:0", 1016).hasSize(9);
    Map<String, Integer> expected =
        Map.of(
            "11664790346325243808", 1,
            "15894554872961148518", 128,
            "13958138884277627155", 256,
            "15803774069438192949", 384,
            "3829253010855396576", 512,
            "17918147347826565154", 640,
            "6442769608292299103", 768,
            "5881074926069334434", 896);
    expected.forEach(
        (hash, owner) ->
            assertThat(port(ownerOf(ring, hosts, unsigned(hash))))
                .as("hash %s", hash)
                .isEqualTo(owner));
  }
}
