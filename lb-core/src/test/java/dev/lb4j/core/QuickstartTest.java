package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QuickstartTest {

  @Test
  void quickstartBalancesRealRequestsOverEveryBackendAndDrainsOne() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Map<String, Integer> served;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      served = Quickstart.run(out);
    }
    // Sequential requests leave every backend idle, so least request splits them by weight (1:1:2).
    // A weight-1 backend misses all 100 with probability (3/4)^100 < 1e-12.
    assertThat(served).containsOnlyKeys("backend-0", "backend-1", "backend-2");
    assertThat(served.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(100);
    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("after draining 127.0.0.1:");
    assertThat(printed).contains("status=DRAINING");
    // Sequential requests leave nothing in flight, and every lease recorded a 200.
    assertThat(printed).contains("inFlight=0");
  }
}
