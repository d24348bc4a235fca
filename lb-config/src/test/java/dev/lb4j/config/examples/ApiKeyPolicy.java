package dev.lb4j.config.examples;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import java.util.HashMap;
import java.util.Map;

// region extend-policy
/**
 * Lets through requests whose {@code X-Api-Key} is one of the keys; replaces the key with the
 * client's name ({@code X-Client}) before forwarding, so backends never see keys.
 */
public final class ApiKeyPolicy implements Policy {

  private final String name;
  private final Map<String, PolicyDecision> admitted; // key -> its decision, built once
  private final PolicyDecision unauthorized =
      PolicyDecision.reject(
          401,
          "missing or unknown X-Api-Key",
          HeaderChanges.builder().set("WWW-Authenticate", "ApiKey").build());

  public ApiKeyPolicy(String name, Map<String, String> clientByKey) {
    this.name = name;
    Map<String, PolicyDecision> decisions = new HashMap<>();
    clientByKey.forEach(
        (key, client) ->
            decisions.put(
                key,
                PolicyDecision.proceed(
                    HeaderChanges.builder().remove("X-Api-Key").set("X-Client", client).build())));
    this.admitted = Map.copyOf(decisions);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PolicyDecision onRequest(RequestView request) {
    String key = request.header("X-Api-Key");
    PolicyDecision decision = key == null ? null : admitted.get(key);
    return decision == null ? unauthorized : decision;
  }
}
// endregion
