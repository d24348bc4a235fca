package dev.lb4j.core.internal.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.Backend;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Selection;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PoolEdgeCaseTest {

  private static final RequestView GET = RequestView.of("GET", "/");

  /**
   * An admin change that passed the load balancer's open check just before close() must not
   * publish a live picker over the closed one: the pool itself refuses changes once closed.
   */
  @Test
  void aChangeArrivingAfterCloseCannotReopenThePool() {
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://10.0.0.1:80").backend("http://10.0.0.2:80"))
            .build();
    PoolImpl pool = (PoolImpl) lb.pool("api");
    lb.close();

    assertThatThrownBy(() -> pool.setDraining("10.0.0.1:80", true))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("load balancer is closed");
    Selection selection = pool.select(GET);
    assertThat(selection).isInstanceOf(NoBackend.class);
    assertThat(((NoBackend) selection).reason()).isEqualTo(NoBackend.Reason.CLOSED);
  }

  @Test
  void aNullAmongExcludedBackendsIsTheCallersErrorNotTheAlgorithms() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://10.0.0.1:80").backend("http://10.0.0.2:80"))
            .build()) {
      Backend first = lb.pool("api").backends().get(0);
      assertThatThrownBy(() -> lb.pool("api").select(GET, Arrays.asList(first, null)))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("exclude");
      assertThat(lb.stats().pool("api").algorithmErrors()).isZero();
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  /** A user ticker that throws while a lease is released must not leave the request in flight. */
  @Test
  void aThrowingTickerStillReleasesTheLease() {
    AtomicLong now = new AtomicLong();
    AtomicBoolean broken = new AtomicBoolean();
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(
                () -> {
                  if (broken.get()) {
                    throw new IllegalStateException("clock broke");
                  }
                  return now.get();
                })
            .pool("api", p -> p.backend("http://10.0.0.1:80"))
            .build()) {
      Lease lease = lb.select(GET).leaseOrThrow();
      broken.set(true);
      assertThatThrownBy(() -> lease.complete(200)).hasMessage("clock broke");
      assertThat(lease.isOpen()).isFalse();
      broken.set(false); // stats() reads the ticker too
      assertThat(lb.stats().pool("api").inFlight()).isZero();
      assertThat(lb.stats().pool("api").backends().get(0).inFlight()).isZero();

      // close() without an outcome reads no clock at all, so it cannot throw.
      broken.set(false);
      Lease second = lb.select(GET).leaseOrThrow();
      broken.set(true);
      second.close();
      broken.set(false);
      // The first lease lost its outcome to the broken clock and counts as cancelled too.
      assertThat(lb.stats().pool("api").backends().get(0).cancelled()).isEqualTo(2);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }
}
