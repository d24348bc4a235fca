package dev.lb4j.benchmarks;

import dev.lb4j.api.RequestView;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The workload every benchmark shares, so lb4j, the floor and the peers are measured on the same
 * inputs: N fake backends at {@code 127.0.0.1:20000+i} (never contacted), weights {@code 1..5}
 * cyclic for weighted algorithms, and a fixed set of {@value #KEY_COUNT} realistic hash keys with
 * their request views built once.
 *
 * <p>Keys and views are immutable and shared by all threads; each thread walks them with its own
 * index ({@link #next}), so key choice costs one increment and one mask.
 */
public final class Workload {

  /** How many distinct hash keys there are; a power of two so the index wraps with a mask. */
  public static final int KEY_COUNT = 1024;

  /** The header that carries the hash key, as a user id or session would. */
  public static final String KEY_HEADER = "x-user";

  /** The first fake backend's port; backend {@code i} listens (in theory) on {@code BASE_PORT + i}. */
  public static final int BASE_PORT = 20_000;

  /** The fake backends' host. Nothing is ever sent there. */
  public static final String HOST = "127.0.0.1";

  /** Weights of weighted setups cycle through {@code 1..MAX_CYCLIC_WEIGHT}. */
  public static final int MAX_CYCLIC_WEIGHT = 5;

  private static final List<String> KEYS = List.copyOf(makeKeys());
  private static final RequestView[] REQUESTS = makeRequests(KEYS);

  private Workload() {}

  /**
   * The fixed hash keys: a mix of numeric user ids, UUIDs, session cookies and tenant-qualified
   * account ids, drawn from a fixed seed so every run and every library sees the same strings.
   *
   * @return {@value #KEY_COUNT} distinct keys
   */
  public static List<String> keys() {
    return KEYS;
  }

  /**
   * The key at an index.
   *
   * @param index {@code 0..KEY_COUNT-1}
   * @return the key
   */
  public static String key(int index) {
    return KEYS.get(index);
  }

  /**
   * The prebuilt request view carrying key {@code index} in the {@value #KEY_HEADER} header.
   *
   * @param index {@code 0..KEY_COUNT-1}
   * @return the view
   */
  public static RequestView request(int index) {
    return REQUESTS[index];
  }

  /**
   * The index after {@code index}, wrapping at {@value #KEY_COUNT}.
   *
   * @param index the current index
   * @return the next index
   */
  public static int next(int index) {
    return (index + 1) & (KEY_COUNT - 1);
  }

  /**
   * The port of backend {@code i}.
   *
   * @param i the backend's position
   * @return {@code BASE_PORT + i}
   */
  public static int port(int i) {
    return BASE_PORT + i;
  }

  /**
   * The URI of backend {@code i}.
   *
   * @param i the backend's position
   * @return {@code http://127.0.0.1:(20000+i)}
   */
  public static String uri(int i) {
    return "http://" + HOST + ":" + port(i);
  }

  /**
   * The weight of backend {@code i} in weighted setups.
   *
   * @param i the backend's position
   * @return {@code 1..MAX_CYCLIC_WEIGHT}, cyclic
   */
  public static int weight(int i) {
    return 1 + i % MAX_CYCLIC_WEIGHT;
  }

  private static Set<String> makeKeys() {
    SplittableRandom random = new SplittableRandom(0x1b4f_2026L);
    String[] tenants = {"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"};
    String[] regions = {"eu-west-1", "us-east-1", "ap-south-1", "sa-east-1"};
    Set<String> keys = new LinkedHashSet<>();
    while (keys.size() < KEY_COUNT) {
      switch (keys.size() % 4) {
        case 0 -> keys.add("user-" + (1_000_000 + random.nextInt(90_000_000)));
        case 1 ->
            keys.add(
                String.format(
                    Locale.ROOT,
                    "%08x-%04x-4%03x-%04x-%012x",
                    random.nextInt(),
                    random.nextInt(0x10000),
                    random.nextInt(0x1000),
                    0x8000 | random.nextInt(0x4000),
                    random.nextLong() & 0xffff_ffff_ffffL));
        case 2 ->
            keys.add(
                String.format(
                    Locale.ROOT,
                    "sess_%016X%016X",
                    random.nextLong(),
                    random.nextLong()));
        default ->
            keys.add(
                tenants[random.nextInt(tenants.length)]
                    + ":"
                    + regions[random.nextInt(regions.length)]
                    + ":acct-"
                    + random.nextInt(1_000_000));
      }
    }
    return keys;
  }

  private static RequestView[] makeRequests(List<String> keys) {
    RequestView[] requests = new RequestView[keys.size()];
    for (int i = 0; i < requests.length; i++) {
      requests[i] =
          RequestView.builder().method("GET").path("/api/orders").header(KEY_HEADER, keys.get(i)).build();
    }
    return requests;
  }
}
