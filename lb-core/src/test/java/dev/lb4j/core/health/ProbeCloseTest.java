package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Closing a load balancer releases its probes' resources: each distinct probe is closed exactly once,
 * and the engine's scheduler thread does not outlive {@code close()}; TCP probing keeps its one
 * thread for the JVM.
 */
class ProbeCloseTest {

  /** A probe that passes at once and counts its closes. */
  private static final class CountingProbe implements HealthProbe {
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
      return CompletableFuture.completedFuture(HealthResult.healthy());
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void closingTheLoadBalancerClosesEachProbeOnceHoweverManyPoolsShareIt() {
    CountingProbe shared = new CountingProbe();
    CountingProbe own = new CountingProbe();
    ManualClock clock = new ManualClock();
    LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(clock)
            .scheduler(clock)
            .pool("a", p -> p.backend("http://127.0.0.1:1").healthCheck(HealthCheck.of(shared)))
            .pool("b", p -> p.backend("http://127.0.0.1:2").healthCheck(HealthCheck.of(shared)))
            .pool("c", p -> p.backend("http://127.0.0.1:3").healthCheck(HealthCheck.of(own)))
            .pool("d", p -> p.backend("http://127.0.0.1:4"))
            .build();
    clock.advance(Duration.ofSeconds(10));
    assertThat(shared.closes).as("closes while open").hasValue(0);

    lb.close();
    lb.close();

    assertThat(shared.closes).as("closes of the probe of pools a and b").hasValue(1);
    assertThat(own.closes).as("closes of the probe of pool c").hasValue(1);
  }

  @Test
  void aProbeThatThrowsOnCloseDoesNotStopTheOthersClosing() {
    CountingProbe other = new CountingProbe();
    HealthProbe broken =
        new HealthProbe() {
          @Override
          public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
            return CompletableFuture.completedFuture(HealthResult.healthy());
          }

          @Override
          public void close() {
            throw new IllegalStateException("broken on purpose");
          }
        };
    ManualClock clock = new ManualClock();
    LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(clock)
            .scheduler(clock)
            .pool("a", p -> p.backend("http://127.0.0.1:1").healthCheck(HealthCheck.of(broken)))
            .pool("b", p -> p.backend("http://127.0.0.1:2").healthCheck(HealthCheck.of(other)))
            .build();

    lb.close();

    assertThat(other.closes).hasValue(1);
    assertThat(lb.isClosed()).isTrue();
  }

  /** Names of live lb4j threads. */
  private static List<String> lb4jThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(n -> n.startsWith("lb4j-"))
        .sorted()
        .collect(Collectors.toList());
  }

  @Test
  void noSchedulerThreadOutlivesCloseAndTcpProbingKeepsOneThread() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String uri = "http://127.0.0.1:" + server.getLocalPort();
      for (int i = 0; i < 50; i++) {
        CountDownLatch probed = new CountDownLatch(1);
        HealthProbe tcp = TcpProbe.create();
        HealthProbe counted =
            (backend, timeout) -> tcp.check(backend, timeout).whenComplete((r, e) -> probed.countDown());
        LoadBalancer lb =
            LoadBalancer.builder()
                .pool(
                    "api",
                    p ->
                        p.backend(uri)
                            .healthCheck(
                                HealthCheck.builder(counted)
                                    .jitter(0) // the first probe starts at once
                                    .build()))
                .build();
        List<String> open;
        try {
          assertThat(probed.await(10, TimeUnit.SECONDS)).as("a probe ran").isTrue();
          open = lb4jThreads();
        } finally {
          lb.close();
        }
        List<String> after = lb4jThreads();
        String scheduler =
            open.stream().filter(n -> n.startsWith("lb4j-scheduler-")).reduce((a, b) -> b)
                .orElseThrow();
        assertThat(after).as("lb4j threads after close, cycle %d", i).doesNotContain(scheduler);
        assertThat(after.stream().filter("lb4j-tcp-probe"::equals).count())
            .as("TCP probe threads (one for the JVM)").isEqualTo(1);
      }
    }
  }
}
