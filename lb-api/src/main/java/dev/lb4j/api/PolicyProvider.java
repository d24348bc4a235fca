package dev.lb4j.api;

import java.util.Map;

/**
 * Creates a {@link Policy} by provider name, so a configuration file can use a user's own policy:
 * <code>provider: {name: my_policy, options: {...}}</code>.
 *
 * <p>Providers are discovered with {@link java.util.ServiceLoader}: on the module path through
 * {@code provides dev.lb4j.api.PolicyProvider with ...}, on the class path through {@code
 * META-INF/services/dev.lb4j.api.PolicyProvider}. Implementations must have a public no-argument
 * constructor and be thread-safe.
 *
 * @since 0.1.0
 */
public interface PolicyProvider {

  /**
   * The unique name of the kind of policy this provider creates: lower case letters, digits and
   * underscores, starting with a letter (for example {@code api_key}).
   *
   * @return the name
   */
  String name();

  /**
   * Creates a policy.
   *
   * @param policyName the name the configuration gives this policy (its {@link Policy#name()})
   * @param options option name to value, as written in configuration; unknown names and invalid
   *     values must be rejected with an {@link IllegalArgumentException} naming the option, the value
   *     and what is allowed
   * @return a new policy
   * @throws IllegalArgumentException on an unknown option or an invalid value
   */
  Policy create(String policyName, Map<String, String> options);
}
