package dev.lb4j.api;

import java.util.Map;

/**
 * Creates a {@link HealthProbe} by name, so a configuration file can say {@code probe: tcp} or name
 * a user's own probe.
 *
 * <p>Providers are discovered with {@link java.util.ServiceLoader}: on the module path through
 * {@code provides dev.lb4j.api.HealthProbeProvider with ...}, on the class path through {@code
 * META-INF/services/dev.lb4j.api.HealthProbeProvider}. The built-in probes register the same way
 * ({@code tcp} in lb-core, {@code http} in lb-jdk-httpclient). Implementations must have a public
 * no-argument constructor and be thread-safe.
 *
 * @since 0.1.0
 */
public interface HealthProbeProvider {

  /**
   * The unique name of the probe this provider creates: lower case letters, digits and underscores,
   * starting with a letter (for example {@code http}).
   *
   * @return the name
   */
  String name();

  /**
   * Creates the probe with the given options.
   *
   * @param options option name to value, as written in configuration; unknown names and invalid
   *     values must be rejected with an {@link IllegalArgumentException} naming the option, the value
   *     and what is allowed
   * @return a new probe (or a shared one, if the probe is stateless)
   * @throws IllegalArgumentException on an unknown option or an invalid value
   */
  HealthProbe create(Map<String, String> options);
}
