package dev.lb4j.core.algorithm;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The built-in algorithms, and the registry that finds any algorithm by name.
 *
 * <p>Every factory returns an immutable, shareable {@link Algorithm}. By name, {@link #byName}
 * finds built-ins and every {@link AlgorithmProvider} on the class path or module path ({@link
 * ServiceLoader}), plus providers {@linkplain #register registered} programmatically.
 *
 * <table>
 *   <caption>Built-in algorithms</caption>
 *   <tr><th>name</th><th>factory</th><th>weights</th><th>hash key</th></tr>
 *   <tr><td>{@code round_robin}</td><td>{@link #roundRobin()}</td><td>no</td><td>no</td></tr>
 *   <tr><td>{@code weighted_round_robin}</td><td>{@link #weightedRoundRobin()}</td><td>yes</td><td>no</td></tr>
 *   <tr><td>{@code random}</td><td>{@link #random()}</td><td>no</td><td>no</td></tr>
 *   <tr><td>{@code weighted_random}</td><td>{@link #weightedRandom()}</td><td>yes</td><td>no</td></tr>
 *   <tr><td>{@code least_request}</td><td>{@link #leastRequest()}</td><td>yes</td><td>no</td></tr>
 *   <tr><td>{@code peak_ewma}</td><td>{@link #peakEwma()}</td><td>yes</td><td>no</td></tr>
 *   <tr><td>{@code ring_hash}</td><td>{@link #ringHash()}</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code maglev}</td><td>{@link #maglev()}</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code rendezvous}</td><td>{@link #rendezvous()}</td><td>yes</td><td>yes</td></tr>
 *   <tr><td>{@code bounded_load}</td><td>{@link #boundedLoad()}</td><td>yes</td><td>yes</td></tr>
 * </table>
 *
 * <p>Thread-safety: all methods are thread-safe.
 *
 * @since 0.1.0
 */
public final class Algorithms {

  /** Pools of at most this many backends are fully scanned by {@link #leastRequest()}. */
  public static final int DEFAULT_FULL_SCAN_MAX = 16;

  /** Envoy's default {@code active_request_bias}. */
  public static final double DEFAULT_ACTIVE_REQUEST_BIAS = 1.0;

  /** Envoy's default {@code minimum_ring_size}, and the smallest ring lb4j accepts. */
  public static final long DEFAULT_MIN_RING_SIZE = 1024;

  /** Envoy's default (and largest) {@code maximum_ring_size}, 8M entries. */
  public static final long DEFAULT_MAX_RING_SIZE = 8L * 1024 * 1024;

  /** Envoy's default Maglev table size, a prime. */
  public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65537;

  /** Envoy's largest allowed Maglev table size, a prime. */
  public static final int MAX_MAGLEV_TABLE_SIZE = 5_000_011;

  /** The default load bound factor {@code c} of {@link #boundedLoad()}. */
  public static final double DEFAULT_BALANCE_FACTOR = 1.25;

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");
  private static final Map<String, AlgorithmProvider> REGISTERED = new ConcurrentHashMap<>();

  private Algorithms() {}

  /**
   * Round robin: each available backend in turn. Ignores weights.
   *
   * @return the algorithm
   */
  public static Algorithm roundRobin() {
    return RoundRobin.INSTANCE;
  }

  /**
   * Smooth weighted round robin, as nginx does it: interleaved, never bursty (weights 5, 1, 1 give
   * {@code a a b a c a a} every cycle). Equal weights give plain round robin.
   *
   * @return the algorithm
   */
  public static Algorithm weightedRoundRobin() {
    return WeightedRoundRobin.INSTANCE;
  }

  /**
   * Uniformly random. Ignores weights.
   *
   * @return the algorithm
   */
  public static Algorithm random() {
    return RandomAlgorithm.INSTANCE;
  }

  /**
   * Random in proportion to weight, O(1) per pick (Vose's alias method).
   *
   * @return the algorithm
   */
  public static Algorithm weightedRandom() {
    return WeightedRandom.INSTANCE;
  }

  /**
   * Least request with the defaults: full scan up to {@value #DEFAULT_FULL_SCAN_MAX} backends,
   * power of two choices above; active-request bias {@value #DEFAULT_ACTIVE_REQUEST_BIAS}.
   *
   * @return the algorithm
   */
  public static Algorithm leastRequest() {
    return leastRequest(DEFAULT_FULL_SCAN_MAX, DEFAULT_ACTIVE_REQUEST_BIAS);
  }

  /**
   * Least request. With equal weights the backend with the fewest requests in flight wins: pools of
   * at most {@code fullScanMax} backends are scanned completely, larger ones compare two distinct
   * random backends (power of two choices, Mitzenmacher 2001). With unequal weights backends get
   * traffic in proportion to Envoy's effective weight {@code weight / (in_flight + 1)^bias}, so an
   * idle pool is split by weight and busy backends get less.
   *
   * @param fullScanMax the largest pool that is fully scanned, {@code 0..1024}
   * @param activeRequestBias the exponent {@code bias}, {@code 0.0..10.0}; with unequal weights, 0
   *     ignores load (pure weighted random); with equal weights any bias picks the fewest in flight
   * @return the algorithm
   */
  public static Algorithm leastRequest(int fullScanMax, double activeRequestBias) {
    return new LeastRequest(fullScanMax, activeRequestBias);
  }

  /**
   * Peak EWMA latency with power of two choices (Finagle's and Linkerd's {@code p2c-peak-ewma}):
   * of two random backends, the one with the lower {@code latency_estimate * (in_flight + 1) /
   * weight} wins. The estimate decays with the load balancer's latency decay time.
   *
   * @return the algorithm
   */
  public static Algorithm peakEwma() {
    return PeakEwma.INSTANCE;
  }

  /**
   * Ring hash with Envoy's default ring sizes (1024 to 8M entries).
   *
   * @return the algorithm
   */
  public static Algorithm ringHash() {
    return ringHash(DEFAULT_MIN_RING_SIZE, DEFAULT_MAX_RING_SIZE);
  }

  /**
   * Ketama-style ring hash, built exactly as Envoy builds its ring, so the same backends, weights
   * and sizes place every key on the same backend as Envoy does.
   *
   * @param minRingSize {@value #DEFAULT_MIN_RING_SIZE}..{@value #DEFAULT_MAX_RING_SIZE}
   * @param maxRingSize {@code minRingSize}..{@value #DEFAULT_MAX_RING_SIZE}
   * @return the algorithm
   */
  public static Algorithm ringHash(long minRingSize, long maxRingSize) {
    return new RingHash(minRingSize, maxRingSize);
  }

  /**
   * Ring hash where every backend owns exactly {@code pointsPerWeight * weight} points, whatever
   * else is in the pool, so removing a backend moves only its own keys and a backend that stays
   * keeps every key it had. (Envoy-compatible {@link #ringHash()} sizes the ring from the pool, so
   * keys also move between backends that stay.)
   *
   * @param pointsPerWeight {@code 1..65536}; 100 gives each backend of weight 1 about {@code 1/n} of
   *     the keys within roughly 10% (the standard deviation of a share is about {@code 1 /
   *     sqrt(points)})
   * @return the algorithm
   */
  public static Algorithm stableRingHash(int pointsPerWeight) {
    return new RingHash(pointsPerWeight);
  }

  /**
   * Maglev with Envoy's default table size, {@value #DEFAULT_MAGLEV_TABLE_SIZE}.
   *
   * @return the algorithm
   */
  public static Algorithm maglev() {
    return maglev(DEFAULT_MAGLEV_TABLE_SIZE);
  }

  /**
   * Maglev consistent hashing (Eisenbud et al., NSDI 2016), built exactly as Envoy builds its
   * table, so an lb4j client and an Envoy sidecar agree on which backend owns a key.
   *
   * @param tableSize a prime, at least the number of backends and at most {@value
   *     #MAX_MAGLEV_TABLE_SIZE}
   * @return the algorithm
   */
  public static Algorithm maglev(int tableSize) {
    return new Maglev(tableSize);
  }

  /**
   * Weighted rendezvous (highest random weight) hashing, Thaler and Ravishankar 1998, with the
   * logarithmic weighting of Schindelhauer and Schomaker 2005: perfectly minimal disruption, O(n)
   * per pick.
   *
   * @return the algorithm
   */
  public static Algorithm rendezvous() {
    return Rendezvous.INSTANCE;
  }

  /**
   * Consistent hashing with bounded loads and the default factor {@value #DEFAULT_BALANCE_FACTOR}.
   *
   * @return the algorithm
   */
  public static Algorithm boundedLoad() {
    return boundedLoad(DEFAULT_BALANCE_FACTOR);
  }

  /**
   * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018): a key goes
   * to the first backend clockwise on an Envoy-compatible ring whose in-flight count is below {@code
   * ceil(c * (pool_in_flight + 1) / n)}, so no backend takes more than {@code c} times the average.
   *
   * @param balanceFactor {@code c}, {@code 1.0..100.0}
   * @return the algorithm
   */
  public static Algorithm boundedLoad(double balanceFactor) {
    return new BoundedLoad(balanceFactor, DEFAULT_MIN_RING_SIZE, DEFAULT_MAX_RING_SIZE, 0);
  }

  /**
   * Consistent hashing with bounded loads over a stable ring (see {@link #stableRingHash(int)}).
   *
   * @param balanceFactor {@code c}, {@code 1.0..100.0}
   * @param pointsPerWeight {@code 1..65536}
   * @return the algorithm
   */
  public static Algorithm boundedLoad(double balanceFactor, int pointsPerWeight) {
    return new BoundedLoad(
        balanceFactor, DEFAULT_MIN_RING_SIZE, DEFAULT_MAX_RING_SIZE, pointsPerWeight);
  }

  /**
   * Creates an algorithm by name: a built-in, a provider found by {@link ServiceLoader}, or one
   * {@linkplain #register registered} here.
   *
   * @param name the algorithm's name, such as {@code maglev}
   * @param options the provider's options; unknown ones are rejected
   * @return the algorithm
   * @throws IllegalArgumentException on an unknown name or a bad option
   */
  public static Algorithm byName(String name, Map<String, String> options) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(options, "options");
    AlgorithmProvider provider = providers().get(name);
    if (provider == null) {
      throw new IllegalArgumentException(
          "algorithm: '" + name + "' (expected one of " + names() + ")");
    }
    Algorithm algorithm = provider.create(Map.copyOf(options));
    if (algorithm == null) {
      throw new IllegalStateException("algorithm provider '" + name + "' created null");
    }
    return algorithm;
  }

  /**
   * Every name {@link #byName} knows.
   *
   * @return the names, sorted
   */
  public static List<String> names() {
    return new ArrayList<>(new TreeSet<>(providers().keySet()));
  }

  /**
   * Registers a provider programmatically (for tests, or code that cannot use {@link
   * ServiceLoader}).
   *
   * @param provider the provider; its name must be new
   * @throws IllegalStateException if a provider with that name already exists
   */
  public static void register(AlgorithmProvider provider) {
    Objects.requireNonNull(provider, "provider");
    String name = checkName(provider);
    if (providers().containsKey(name)) {
      throw new IllegalStateException("algorithm provider '" + name + "' is already registered");
    }
    if (REGISTERED.putIfAbsent(name, provider) != null) {
      throw new IllegalStateException("algorithm provider '" + name + "' is already registered");
    }
  }

  /**
   * Removes a provider registered with {@link #register}; discovered ones cannot be removed.
   *
   * @param name the provider's name
   * @return {@code true} if it was registered
   */
  public static boolean unregister(String name) {
    return REGISTERED.remove(name) != null;
  }

  private static Map<String, AlgorithmProvider> providers() {
    Map<String, AlgorithmProvider> all = discovered();
    all.putAll(REGISTERED);
    return all;
  }

  private static String checkName(AlgorithmProvider provider) {
    String name = provider.name();
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "algorithm provider "
              + provider.getClass().getName()
              + " name: '"
              + name
              + "' (expected: lower case letters, digits and '_', starting with a letter)");
    }
    return name;
  }

  /**
   * Providers visible to the calling thread's context class loader (or on the module path),
   * looked up on every call: this runs when configuration is read, never per request, and a web app
   * in a shared container sees its own providers. A provider with a bad or duplicate name fails
   * only the lookup that meets it.
   */
  private static Map<String, AlgorithmProvider> discovered() {
    Map<String, AlgorithmProvider> found = new TreeMap<>();
    for (AlgorithmProvider p : ServiceLoader.load(AlgorithmProvider.class)) {
      String name = checkName(p);
      AlgorithmProvider previous = found.putIfAbsent(name, p);
      if (previous != null && previous.getClass() != p.getClass()) {
        throw new IllegalStateException(
            "two algorithm providers are named '"
                + name
                + "': "
                + previous.getClass().getName()
                + " and "
                + p.getClass().getName());
      }
    }
    return found;
  }
}
