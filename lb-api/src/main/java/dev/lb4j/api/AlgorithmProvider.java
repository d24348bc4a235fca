package dev.lb4j.api;

import java.util.Map;

/**
 * Creates an {@link Algorithm} by name, so a configuration file can say {@code maglev} or the name
 * of a user's own algorithm.
 *
 * <p>Providers are discovered with {@link java.util.ServiceLoader}: on the module path through
 * {@code provides dev.lb4j.api.AlgorithmProvider with ...}, on the class path through {@code
 * META-INF/services/dev.lb4j.api.AlgorithmProvider}. The built-in algorithms register the same way.
 * Implementations must have a public no-argument constructor and be thread-safe.
 *
 * @since 0.1.0
 */
public interface AlgorithmProvider {

  /**
   * The unique name of the algorithm this provider creates: lower case letters, digits and
   * underscores, starting with a letter (for example {@code least_request}).
   *
   * @return the name
   */
  String name();

  /**
   * Creates the algorithm with the given options.
   *
   * @param options option name to value, as written in configuration; unknown names and invalid
   *     values must be rejected with an {@link IllegalArgumentException} naming the option, the value
   *     and what is allowed
   * @return a new algorithm
   * @throws IllegalArgumentException on an unknown option or an invalid value
   */
  Algorithm create(Map<String, String> options);
}
