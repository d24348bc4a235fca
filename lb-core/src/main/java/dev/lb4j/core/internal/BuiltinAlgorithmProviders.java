package dev.lb4j.core.internal;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import dev.lb4j.core.algorithm.Algorithms;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link AlgorithmProvider}s of the built-in algorithms, registered through {@code module-info}
 * and {@code META-INF/services} like any user's provider. Option names are the camel-case names of
 * the factory parameters in {@link Algorithms}.
 */
public final class BuiltinAlgorithmProviders {

  private BuiltinAlgorithmProviders() {}

  /** Base class: a name, the allowed options, and option parsing with clear errors. */
  abstract static class Base implements AlgorithmProvider {
    private final String name;
    private final Set<String> allowed;

    Base(String name, String... allowed) {
      this.name = name;
      this.allowed = Set.of(allowed);
    }

    @Override
    public final String name() {
      return name;
    }

    @Override
    public final Algorithm create(Map<String, String> options) {
      for (String key : options.keySet()) {
        if (!allowed.contains(key)) {
          throw new IllegalArgumentException(
              "algorithm '" + name + "' option: '" + key + "' (expected one of "
                  + (allowed.isEmpty() ? "no options" : new TreeSet<>(allowed)) + ")");
        }
      }
      return create(new Options(name, options));
    }

    abstract Algorithm create(Options options);
  }

  /** Typed access to string options. */
  static final class Options {
    private final String algorithm;
    private final Map<String, String> values;

    Options(String algorithm, Map<String, String> values) {
      this.algorithm = algorithm;
      this.values = values;
    }

    boolean has(String key) {
      return values.containsKey(key);
    }

    /** Refuses {@code others} when {@code key} is set: they describe the same thing differently. */
    void refuseWith(String key, String... others) {
      for (String other : others) {
        if (values.containsKey(other)) {
          throw new IllegalArgumentException(
              "algorithm '" + algorithm + "' option '" + other + "': set together with '" + key
                  + "' (expected: one or the other)");
        }
      }
    }

    long longValue(String key, long defaultValue) {
      String text = values.get(key);
      if (text == null) {
        return defaultValue;
      }
      try {
        return Long.parseLong(text.trim());
      } catch (NumberFormatException e) {
        throw invalid(key, text, "an integer");
      }
    }

    int intValue(String key, int defaultValue) {
      long value = longValue(key, defaultValue);
      if (value != (int) value) {
        throw invalid(key, String.valueOf(value), "a 32-bit integer");
      }
      return (int) value;
    }

    double doubleValue(String key, double defaultValue) {
      String text = values.get(key);
      if (text == null) {
        return defaultValue;
      }
      try {
        double value = Double.parseDouble(text.trim());
        if (Double.isNaN(value) || Double.isInfinite(value)) {
          throw invalid(key, text, "a finite number");
        }
        return value;
      } catch (NumberFormatException e) {
        throw invalid(key, text, "a number");
      }
    }

    private IllegalArgumentException invalid(String key, String text, String expected) {
      return new IllegalArgumentException(
          "algorithm '" + algorithm + "' option '" + key + "': '" + text + "' (expected: " + expected
              + ")");
    }
  }

  /** {@code round_robin}. */
  public static final class RoundRobin extends Base {
    /** For ServiceLoader. */
    public RoundRobin() {
      super("round_robin");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.roundRobin();
    }
  }

  /** {@code weighted_round_robin}. */
  public static final class WeightedRoundRobin extends Base {
    /** For ServiceLoader. */
    public WeightedRoundRobin() {
      super("weighted_round_robin");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.weightedRoundRobin();
    }
  }

  /** {@code random}. */
  public static final class Random extends Base {
    /** For ServiceLoader. */
    public Random() {
      super("random");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.random();
    }
  }

  /** {@code weighted_random}. */
  public static final class WeightedRandom extends Base {
    /** For ServiceLoader. */
    public WeightedRandom() {
      super("weighted_random");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.weightedRandom();
    }
  }

  /** {@code least_request}: options {@code fullScanMax}, {@code activeRequestBias}. */
  public static final class LeastRequest extends Base {
    /** For ServiceLoader. */
    public LeastRequest() {
      super("least_request", "fullScanMax", "activeRequestBias");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.leastRequest(
          options.intValue("fullScanMax", Algorithms.DEFAULT_FULL_SCAN_MAX),
          options.doubleValue("activeRequestBias", Algorithms.DEFAULT_ACTIVE_REQUEST_BIAS));
    }
  }

  /** {@code peak_ewma}. */
  public static final class PeakEwma extends Base {
    /** For ServiceLoader. */
    public PeakEwma() {
      super("peak_ewma");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.peakEwma();
    }
  }

  /**
   * {@code ring_hash}: options {@code minRingSize} and {@code maxRingSize} (Envoy's ring), or
   * {@code pointsPerWeight} (a stable ring); not both.
   */
  public static final class RingHash extends Base {
    /** For ServiceLoader. */
    public RingHash() {
      super("ring_hash", "minRingSize", "maxRingSize", "pointsPerWeight");
    }

    @Override
    Algorithm create(Options options) {
      if (options.has("pointsPerWeight")) {
        options.refuseWith("pointsPerWeight", "minRingSize", "maxRingSize");
        return Algorithms.stableRingHash(options.intValue("pointsPerWeight", 0));
      }
      return Algorithms.ringHash(
          options.longValue("minRingSize", Algorithms.DEFAULT_MIN_RING_SIZE),
          options.longValue("maxRingSize", Algorithms.DEFAULT_MAX_RING_SIZE));
    }
  }

  /** {@code maglev}: option {@code tableSize}. */
  public static final class Maglev extends Base {
    /** For ServiceLoader. */
    public Maglev() {
      super("maglev", "tableSize");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.maglev(options.intValue("tableSize", Algorithms.DEFAULT_MAGLEV_TABLE_SIZE));
    }
  }

  /** {@code rendezvous}. */
  public static final class Rendezvous extends Base {
    /** For ServiceLoader. */
    public Rendezvous() {
      super("rendezvous");
    }

    @Override
    Algorithm create(Options options) {
      return Algorithms.rendezvous();
    }
  }

  /** {@code bounded_load}: options {@code balanceFactor} and {@code pointsPerWeight}. */
  public static final class BoundedLoad extends Base {
    /** For ServiceLoader. */
    public BoundedLoad() {
      super("bounded_load", "balanceFactor", "pointsPerWeight");
    }

    @Override
    Algorithm create(Options options) {
      double balanceFactor =
          options.doubleValue("balanceFactor", Algorithms.DEFAULT_BALANCE_FACTOR);
      return options.has("pointsPerWeight")
          ? Algorithms.boundedLoad(balanceFactor, options.intValue("pointsPerWeight", 0))
          : Algorithms.boundedLoad(balanceFactor);
    }
  }
}
