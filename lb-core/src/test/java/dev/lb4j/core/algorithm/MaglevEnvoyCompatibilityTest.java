package dev.lb4j.core.algorithm;

import static dev.lb4j.core.algorithm.HashingFixtures.backend;
import static dev.lb4j.core.algorithm.HashingFixtures.hashingLb;
import static dev.lb4j.core.algorithm.HashingFixtures.loopback;
import static dev.lb4j.core.algorithm.HashingFixtures.pickAndRelease;
import static dev.lb4j.core.algorithm.HashingFixtures.pickId;
import static dev.lb4j.core.algorithm.HashingFixtures.port;
import static dev.lb4j.core.algorithm.HashingFixtures.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.internal.XxHash64;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * lb4j's Maglev against the expectations of Envoy's own tests, in {@code
 * test/extensions/load_balancing_policies/maglev/maglev_lb_test.cc} (envoyproxy/envoy). Envoy's
 * {@code TestLoadBalancerContext(i)} hands the raw hash {@code i} to {@code chooseHost}, which
 * reads slot {@code i mod M}; here the same hash goes through {@link Picker#pick} of {@link
 * Algorithms#maglev(int)}, the table comes from {@link Maglev#build}, and the public API is driven
 * with keys whose XXH64 falls in the wanted slot. Envoy's host {@code tcp://127.0.0.1:90} is hashed
 * as {@code 127.0.0.1:90}, lb4j's default id of {@code http://127.0.0.1:90}.
 */
class MaglevEnvoyCompatibilityTest {

  /** {@code Basic}, {@code BasicStability}: hosts :90..:95, table 7, slot i -> this port. */
  private static final int[] BASIC_TABLE = {92, 94, 90, 91, 95, 90, 93};

  /** {@code BasicWithHostName}: hosts hashed by hostname "90".."95", table 7. */
  private static final int[] HOSTNAME_TABLE = {92, 95, 90, 93, 94, 91, 90};

  /** {@code Weighted}: :90 weight 1, :91 weight 2, table 17. */
  private static final int[] WEIGHTED_TABLE = {
    91, 90, 90, 91, 90, 91, 91, 90, 91, 91, 91, 91, 91, 90, 91, 90, 91
  };

  private static int[] ports(Backend[] table) {
    return Arrays.stream(table).mapToInt(b -> port(b.id())).toArray();
  }

  private static Map<String, Integer> entriesPerHost(Backend[] table) {
    Map<String, Integer> counts = new HashMap<>();
    for (Backend b : table) {
      counts.merge(b.id(), 1, Integer::sum);
    }
    return counts;
  }

  /** A key whose XXH64 lands in slot {@code slot} of a table of size {@code m}. */
  private static String keyForSlot(int slot, int m) {
    for (int i = 0; i < 10_000; i++) {
      String key = "k" + i;
      if (Long.remainderUnsigned(XxHash64.hash(key), m) == slot) {
        return key;
      }
    }
    throw new AssertionError("no key in 10000 for slot " + slot + " of " + m);
  }

  // Envoy: MaglevLoadBalancerTest.Basic
  @Test
  void basicTableOfSixHostsMatchesEnvoy() {
    Backend[] table = Maglev.build(loopback(90, 91, 92, 93, 94, 95), 7);

    assertThat(ports(table)).containsExactly(BASIC_TABLE);
    // Envoy's stats: min_entries_per_host 1, max_entries_per_host 2.
    assertThat(Collections.min(entriesPerHost(table).values())).isEqualTo(1);
    assertThat(Collections.max(entriesPerHost(table).values())).isEqualTo(2);
  }

  // Envoy: MaglevLoadBalancerTest.Basic (chooseHost with hash i for i < 3 * 7)
  @Test
  void basicPickerMapsHashModuloTableSizeLikeEnvoy() {
    Picker picker = Algorithms.maglev(7).newPicker(set(loopback(90, 91, 92, 93, 94, 95)));

    for (int i = 0; i < 3 * 7; i++) {
      assertThat(pickId(picker, i)).as("hash %d", i).isEqualTo("127.0.0.1:" + BASIC_TABLE[i % 7]);
    }
    // A hash above 2^63 is read unsigned: 2^64 - 1 = 1 (mod 7), so slot 1.
    assertThat(pickId(picker, -1L)).isEqualTo("127.0.0.1:" + BASIC_TABLE[1]);
  }

  // Envoy: MaglevLoadBalancerTest.Basic, through lb4j's public API with real keys.
  @Test
  void basicTableHoldsThroughTheLoadBalancerWithHashedKeys() {
    try (LoadBalancer lb =
        hashingLb(
            Algorithms.maglev(7),
            p -> {
              for (int port = 90; port <= 95; port++) {
                p.backend("http://127.0.0.1:" + port);
              }
            })) {
      for (int slot = 0; slot < 7; slot++) {
        String key = keyForSlot(slot, 7);
        assertThat(pickAndRelease(lb, key))
            .as("key %s in slot %d", key, slot)
            .isEqualTo("127.0.0.1:" + BASIC_TABLE[slot]);
      }
    }
  }

  // Envoy: MaglevLoadBalancerTest.BasicStability (shuffled hosts give the same table)
  @Test
  void tableDoesNotDependOnTheOrderBackendsAreGivenIn() {
    List<Backend> hosts = new ArrayList<>(List.of(loopback(90, 91, 92, 93, 94, 95)));
    Random random = new Random(7);
    for (int round = 0; round < 20; round++) {
      Collections.shuffle(hosts, random);
      assertThat(ports(Maglev.build(hosts.toArray(Backend[]::new), 7)))
          .as("order %s", hosts)
          .containsExactly(BASIC_TABLE);
    }
  }

  // Envoy: MaglevLoadBalancerTest.BasicWithHostName (use_hostname_for_hashing: keys "90".."95")
  @Test
  void hostsHashedByNameMatchEnvoy() {
    Backend[] hosts = new Backend[6];
    for (int i = 0; i < 6; i++) {
      hosts[i] = backend(String.valueOf(90 + i));
    }
    int[] table =
        Arrays.stream(Maglev.build(hosts, 7)).mapToInt(b -> Integer.parseInt(b.id())).toArray();

    assertThat(table).containsExactly(HOSTNAME_TABLE);
  }

  // Envoy: MaglevLoadBalancerTest.BasicWithHostName, with ids set on the public BackendSpec.
  @Test
  void explicitBackendIdsAreWhatIsHashed() {
    try (LoadBalancer lb =
        hashingLb(
            Algorithms.maglev(7),
            p -> {
              for (int port = 90; port <= 95; port++) {
                p.backend(BackendSpec.builder("http://127.0.0.1:" + port).id("" + port).build());
              }
            })) {
      for (int slot = 0; slot < 7; slot++) {
        assertThat(pickAndRelease(lb, keyForSlot(slot, 7)))
            .as("slot %d", slot)
            .isEqualTo(String.valueOf(HOSTNAME_TABLE[slot]));
      }
    }
  }

  // Envoy: MaglevLoadBalancerTest.Weighted
  @Test
  void weightedTableMatchesEnvoy() {
    Backend[] hosts = {backend("127.0.0.1:90", 1), backend("127.0.0.1:91", 2)};
    Backend[] table = Maglev.build(hosts, 17);

    assertThat(ports(table)).containsExactly(WEIGHTED_TABLE);
    // Envoy's stats: min_entries_per_host 6, max_entries_per_host 11.
    assertThat(entriesPerHost(table))
        .containsExactlyInAnyOrderEntriesOf(Map.of("127.0.0.1:90", 6, "127.0.0.1:91", 11));

    Picker picker = Algorithms.maglev(17).newPicker(set(hosts));
    for (int i = 0; i < 3 * 17; i++) {
      assertThat(pickId(picker, i))
          .as("hash %d", i)
          .isEqualTo("127.0.0.1:" + WEIGHTED_TABLE[i % 17]);
    }
  }

  /**
   * The weighted fill gives each backend its weight's share of the default table to within two
   * slots (the last round stops part way), which the placement tests rely on: ten equal backends
   * own 6553 or 6554 slots each, weights 1:2:3 own about 10923, 21846 and 32768.
   */
  @Test
  void defaultTableSharesFollowTheWeightsToWithinTwoSlots() {
    int m = Algorithms.DEFAULT_MAGLEV_TABLE_SIZE;
    int[][] weightSets = {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 2, 3}, {5, 1, 1}, {100, 37, 1, 9999}};
    for (int[] weights : weightSets) {
      Backend[] backends = new Backend[weights.length];
      for (int i = 0; i < weights.length; i++) {
        backends[i] = backend("10.0.0." + (i + 1) + ":8080", weights[i]);
      }
      Map<String, Integer> counts = entriesPerHost(Maglev.build(backends, m));
      double sum = Arrays.stream(weights).sum();
      for (int i = 0; i < weights.length; i++) {
        double expected = m * weights[i] / sum;
        assertThat((double) counts.getOrDefault(backends[i].id(), 0))
            .as("weights %s, backend %d", Arrays.toString(weights), i)
            .isBetween(expected - 2, expected + 2);
      }
    }
  }

  // Envoy: MaglevLoadBalancerTest.SingleHost and WeightedSingleHost
  @Test
  void singleHostOwnsEverySlotWhateverItsWeight() {
    assertThat(ports(Maglev.build(loopback(90), 7))).containsOnly(90).hasSize(7);
    assertThat(ports(Maglev.build(new Backend[] {backend("127.0.0.1:90", 7)}, 17)))
        .containsOnly(90)
        .hasSize(17);
  }

  // Envoy: MaglevLoadBalancerTest.LocalityWeightedLopsided. Envoy gets the weights 127/128 and
  // (1/128)/1023 from locality weights; lb4j has no localities, so the same normalized weights come
  // from host weights 127 * 1023 and 1 (outside BackendSpec's 1..10000, hence fake backends).
  @Test
  void lopsidedWeightsGiveEveryLightHostExactlyOneSlot() {
    int m = Algorithms.DEFAULT_MAGLEV_TABLE_SIZE;
    Backend[] hosts = new Backend[1024];
    hosts[0] = backend("127.0.0.1:0", 127 * 1023);
    for (int i = 1; i < 1024; i++) {
      hosts[i] = backend("127.0.0.1:" + i, 1);
    }
    int[] counts = new int[1024];
    for (Backend b : Maglev.build(hosts, m)) {
      counts[port(b.id())]++;
    }

    for (int i = 1; i < 1024; i++) {
      assertThat(counts[i]).as("light host :%d", i).isEqualTo(1);
    }
    assertThat(counts[0]).isEqualTo(m - 1023);
  }

  // Envoy: MaglevLoadBalancerTest.BasicWithRetryHostPredicate, first attempts. Hash 10 is slot 3,
  // owned by :91, whatever the retry count.
  @Test
  void hashTenLandsOnPort91AsInEnvoysRetryTest() {
    Picker picker = Algorithms.maglev(7).newPicker(set(loopback(90, 91, 92, 93, 94, 95)));

    assertThat(pickId(picker, 10)).isEqualTo("127.0.0.1:91");
  }

  // Envoy: MaglevLoadBalancerTest.BasicWithRetryHostPredicate, second attempt. Envoy re-hashes a
  // retry (hash ^= ~0 - attempt + 1, so slot (2^64 - 11) mod 7 = 5) and expects :90. lb4j re-hashes
  // the same way for as long as the previous targets are excluded, so both pick the same retry.
  @Test
  void retryReHashesAsEnvoysRetryAttemptsDo() {
    Picker picker = Algorithms.maglev(7).newPicker(set(loopback(90, 91, 92, 93, 94, 95)));

    assertThat(pickId(picker, 10, "127.0.0.1:91")).isEqualTo("127.0.0.1:90");
    // With :91 and :90 excluded, attempts 1 and 2 look at slots (10 ^ -1) mod 7 and (10 ^ -2) mod 7.
    long hash = 10;
    long secondAttempt = 2;
    String third =
        "127.0.0.1:" + BASIC_TABLE[(int) Long.remainderUnsigned(hash ^ -secondAttempt, 7)];
    if (!third.equals("127.0.0.1:90") && !third.equals("127.0.0.1:91")) {
      assertThat(pickId(picker, 10, "127.0.0.1:91", "127.0.0.1:90")).isEqualTo(third);
    }
    assertThat(pickId(picker, 10, "127.0.0.1:91", "127.0.0.1:90"))
        .isNotIn("127.0.0.1:90", "127.0.0.1:91")
        .isNotNull();
    assertThat(
            pickId(
                picker,
                10,
                "127.0.0.1:90",
                "127.0.0.1:91",
                "127.0.0.1:92",
                "127.0.0.1:93",
                "127.0.0.1:94",
                "127.0.0.1:95"))
        .isNull();
  }

  /**
   * An independent model of Envoy's {@code MaglevTable::constructMaglevTableInternal} and {@code
   * OriginalMaglevTable::constructImplementationInternals}: hosts sorted by the bytes of their hash
   * key, {@code offset = XXH64(key, 0) mod M}, {@code skip = XXH64(key, 1) mod (M - 1) + 1},
   * normalized weights, and rounds in which a host whose {@code iteration * weight} has reached its
   * {@code target} takes the next free slot of its permutation and raises its target by the largest
   * weight.
   */
  private static String[] envoyModel(String[] ids, int[] weights, int m) {
    Integer[] order = new Integer[ids.length];
    for (int i = 0; i < ids.length; i++) {
      order[i] = i;
    }
    Arrays.sort(
        order,
        (a, b) ->
            Arrays.compareUnsigned(
                ids[a].getBytes(StandardCharsets.UTF_8), ids[b].getBytes(StandardCharsets.UTF_8)));
    double sum = Arrays.stream(weights).asLongStream().sum();
    double max = Arrays.stream(weights).max().orElseThrow() / sum;
    int n = ids.length;
    long[] offset = new long[n];
    long[] skip = new long[n];
    long[] next = new long[n];
    double[] target = new double[n];
    for (int k = 0; k < n; k++) {
      String id = ids[order[k]];
      offset[k] = Long.remainderUnsigned(XxHash64.hash(id, 0), m);
      skip[k] = Long.remainderUnsigned(XxHash64.hash(id, 1), m - 1) + 1;
    }
    String[] table = new String[m];
    int filled = 0;
    for (int iteration = 1; filled < m; iteration++) {
      for (int k = 0; k < n && filled < m; k++) {
        double weight = weights[order[k]] / sum;
        if (iteration * weight < target[k]) {
          continue;
        }
        target[k] += max;
        int c = (int) ((offset[k] + skip[k] * next[k]) % m);
        while (table[c] != null) {
          next[k]++;
          c = (int) ((offset[k] + skip[k] * next[k]) % m);
        }
        table[c] = ids[order[k]];
        next[k]++;
        filled++;
      }
    }
    return table;
  }

  @Test
  void tableMatchesAModelOfEnvoysConstructionForLargerTablesAndWeights() {
    Random random = new Random(2016);
    String[][] idSets = {
      {"10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"},
      {"127.0.0.1:90", "127.0.0.1:100", "127.0.0.1:9", "[::1]:8080", "b\u00e9ta:80", "zeta:1"},
      {"a", "ab", "abc", "b", "\u00ff", "\u65e5\u672c:443", "A", "0"},
    };
    for (int m : new int[] {7, 17, 251, 4099, Algorithms.DEFAULT_MAGLEV_TABLE_SIZE}) {
      for (String[] ids : idSets) {
        for (int round = 0; round < 3; round++) {
          int[] weights = new int[ids.length];
          for (int i = 0; i < ids.length; i++) {
            weights[i] = round == 0 ? 1 : 1 + random.nextInt(round == 1 ? 3 : 100);
          }
          Backend[] backends = new Backend[ids.length];
          for (int i = 0; i < ids.length; i++) {
            backends[i] = backend(ids[i], weights[i]);
          }
          String[] table =
              Arrays.stream(Maglev.build(backends, m)).map(Backend::id).toArray(String[]::new);
          assertThat(table)
              .as("M = %d, ids %s, weights %s", m, Arrays.toString(ids), Arrays.toString(weights))
              .isEqualTo(envoyModel(ids, weights, m));
        }
      }
    }
  }

  // Envoy: MaglevLoadBalancerTest.NoPrimeNumber ("The table size of maglev must be prime number")
  @Test
  void nonPrimeTableSizeIsRefusedNamingTableSize() {
    for (int size : new int[] {0, 1, 4, 8, 65536, 65535, Algorithms.MAX_MAGLEV_TABLE_SIZE + 2}) {
      assertThatThrownBy(() -> Algorithms.maglev(size))
          .as("table size %d", size)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tableSize")
          .hasMessageContaining(String.valueOf(size));
    }
    // Primes are fine, up to Envoy's largest table (5000011, itself prime).
    assertThat(Algorithms.maglev(7).name()).isEqualTo("maglev");
    assertThat(Algorithms.maglev(Algorithms.MAX_MAGLEV_TABLE_SIZE)).isNotNull();
  }

  // Envoy: MaglevLoadBalancerTest.DefaultMaglevTableSize
  @Test
  void defaultTableSizeIsEnvoysDefault() {
    assertThat(Algorithms.DEFAULT_MAGLEV_TABLE_SIZE).isEqualTo(65537);
    assertThat(Algorithms.maglev()).hasToString("maglev(tableSize=65537)");
  }
}
