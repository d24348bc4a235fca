package dev.lb4j.core.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.core.LoadBalancer;
import org.junit.jupiter.api.Test;

/**
 * A backend's completed count shares one word with its in-flight count (one atomic add per
 * release), modulo 2^32; the exact count survives the word's wrap-arounds. Billions of releases are
 * not run here: the word is set just below each boundary, then real releases cross it.
 */
class CompletionCountTest {

  private static final long EPOCH = 1L << 31;

  private static BackendState backend(LoadBalancer lb) {
    return (BackendState) lb.defaultPool().backends().get(0);
  }

  private static void completeOne(BackendState b) {
    b.acquire();
    b.release(200, ErrorKind.NONE, -1, 0, 1);
  }

  @Test
  void theCountStaysExactAcrossEveryBoundaryOfTheWord() {
    try (LoadBalancer lb = LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build()) {
      BackendState b = backend(lb);
      b.load = (EPOCH - 1) << 32; // 2^31 - 1 completed, none in flight
      assertThat(b.completed()).isEqualTo(EPOCH - 1);
      completeOne(b);
      assertThat(b.completed()).isEqualTo(EPOCH);
      assertThat(b.completedEpochs).isEqualTo(1);

      b.load = (2 * EPOCH - 1) << 32; // 2^32 - 1: the next completion wraps the word
      assertThat(b.completed()).isEqualTo(2 * EPOCH - 1);
      completeOne(b);
      assertThat(b.load >>> 32).isZero();
      assertThat(b.completed()).isEqualTo(2 * EPOCH);
      completeOne(b);
      assertThat(b.completed()).isEqualTo(2 * EPOCH + 1);
      assertThat(b.inFlight()).isZero();
    }
  }

  @Test
  void aReaderBetweenTheAddAndTheEpochsRecordCountsTheNewEpoch() {
    try (LoadBalancer lb = LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build()) {
      BackendState b = backend(lb);
      // The release that made 2^31 completions has added to the word but not recorded its epoch.
      b.load = EPOCH << 32;
      b.completedEpochs = 0;
      assertThat(b.completed()).isEqualTo(EPOCH);
      // The same at the wrap: 2^32 completions, the word's count back at 0, one epoch recorded.
      b.load = 0;
      b.completedEpochs = 1;
      assertThat(b.completed()).isEqualTo(2 * EPOCH);
    }
  }

  @Test
  void inFlightSlotsAreUntouchedByTheCountAbove() {
    try (LoadBalancer lb = LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).build()) {
      BackendState b = backend(lb);
      b.load = (2 * EPOCH - 1) << 32;
      b.acquire();
      b.acquire();
      assertThat(b.tryAcquire(3)).isTrue();
      assertThat(b.tryAcquire(3)).isFalse();
      b.release(200, ErrorKind.NONE, -1, 0, 1); // wraps the count while others are in flight
      b.release(0, ErrorKind.CANCELLED, -1, 0, 1);
      assertThat(b.inFlight()).isEqualTo(1);
      assertThat(b.completed()).isEqualTo(2 * EPOCH);
      b.release(503, ErrorKind.NONE, -1, 0, 1);
      assertThat(b.inFlight()).isZero();
      assertThat(b.completed()).isEqualTo(2 * EPOCH + 1);
    }
  }
}
