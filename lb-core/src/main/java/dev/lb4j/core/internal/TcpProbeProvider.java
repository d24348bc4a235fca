package dev.lb4j.core.internal;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthProbeProvider;
import dev.lb4j.core.health.TcpProbe;
import java.util.Map;

/** The {@code tcp} probe by name: {@link TcpProbe}, which takes no options. */
public final class TcpProbeProvider implements HealthProbeProvider {

  /** Used by {@link java.util.ServiceLoader}. */
  public TcpProbeProvider() {}

  @Override
  public String name() {
    return "tcp";
  }

  @Override
  public HealthProbe create(Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException(
          "probe 'tcp' option: '" + options.keySet().iterator().next()
              + "' (expected: no options; the tcp probe only connects)");
    }
    return TcpProbe.create();
  }
}
