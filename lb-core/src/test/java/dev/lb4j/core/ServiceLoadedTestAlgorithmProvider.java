package dev.lb4j.core;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.AlgorithmProvider;
import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import java.util.Map;

/**
 * A user's algorithm provider, registered only through {@code
 * src/test/resources/META-INF/services/dev.lb4j.api.AlgorithmProvider}: always the first backend.
 */
public final class ServiceLoadedTestAlgorithmProvider implements AlgorithmProvider {

  /** The name it registers. */
  public static final String NAME = "test_service_loaded";

  /** For ServiceLoader. */
  public ServiceLoadedTestAlgorithmProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Algorithm create(Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException(
          "algorithm '"
              + NAME
              + "' option: '"
              + options.keySet().iterator().next()
              + "' (expected one of no options)");
    }
    return new Algorithm() {
      @Override
      public String name() {
        return NAME;
      }

      @Override
      public Picker newPicker(BackendSet backends) {
        Backend first = backends.backends().get(0);
        return context -> first;
      }
    };
  }
}
