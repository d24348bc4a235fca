package dev.lb4j.config.examples;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import java.util.Map;

// region extend-algorithm-provider
/** Makes {@code algorithm: {name: zone_first, options: {zone: eu-west-1a}}} work in a file. */
public final class ZoneFirstProvider implements AlgorithmProvider {

  @Override
  public String name() {
    return "zone_first";
  }

  @Override
  public Algorithm create(Map<String, String> options) {
    for (String key : options.keySet()) {
      if (!key.equals("zone")) {
        throw new IllegalArgumentException(
            "algorithm 'zone_first' option: '" + key + "' (expected one of [zone])");
      }
    }
    String zone = options.get("zone");
    if (zone == null || zone.isEmpty()) {
      throw new IllegalArgumentException(
          "algorithm 'zone_first' option 'zone': missing (expected: a zone name)");
    }
    return new ZoneFirst(zone);
  }
}
// endregion
