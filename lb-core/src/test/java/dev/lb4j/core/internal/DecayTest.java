package dev.lb4j.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DecayTest {

  @Test
  void seriesBranchStaysWithinOneTenMillionthOfExp() {
    for (int i = 0; i < 10_000; i++) {
      double x = i * 1e-6; // 0 .. 0.01, the series branch
      assertThat(Decay.weight(x)).as("x = %s", x).isCloseTo(Math.exp(-x), within(2e-7));
    }
  }

  @Test
  void largerAgesUseExpItself() {
    for (double x : new double[] {0.01, 0.5, 1, 4.6, 30}) {
      assertThat(Decay.weight(x)).as("x = %s", x).isEqualTo(Math.exp(-x));
    }
  }
}
