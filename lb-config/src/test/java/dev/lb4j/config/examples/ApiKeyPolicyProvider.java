package dev.lb4j.config.examples;

import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyProvider;
import java.util.HashMap;
import java.util.Map;

// region extend-policy-provider
/** Makes {@code provider: {name: api_key, options: {keys: "k1=acme,k2=globex"}}} work in a file. */
public final class ApiKeyPolicyProvider implements PolicyProvider {

  @Override
  public String name() {
    return "api_key";
  }

  @Override
  public Policy create(String policyName, Map<String, String> options) {
    String keys = options.get("keys");
    if (keys == null || options.size() > 1) {
      throw new IllegalArgumentException(
          "policy 'api_key' options: " + options.keySet() + " (expected: [keys])");
    }
    Map<String, String> clientByKey = new HashMap<>();
    for (String pair : keys.split(",", -1)) {
      String[] keyAndClient = pair.strip().split("=", 2);
      if (keyAndClient.length != 2 || keyAndClient[0].isEmpty() || keyAndClient[1].isEmpty()) {
        throw new IllegalArgumentException(
            "policy 'api_key' option 'keys': '"
                + pair
                + "' (expected: key=client, comma-separated)");
      }
      clientByKey.put(keyAndClient[0], keyAndClient[1]);
    }
    return new ApiKeyPolicy(policyName, clientByKey);
  }
}
// endregion
