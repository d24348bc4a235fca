package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.health.HealthEvent;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's health example with the real scheduler and TCP probe: a stopped server turns
 * unhealthy and gets no traffic. The wait is for the probe's verdict (an event), bounded, not a sleep.
 *
 * <p>Real probes take real time, so the margins are wide enough for a loaded machine: probes every
 * {@value #INTERVAL_SECONDS} s with a timeout of half that, so a live backend turns unhealthy (and,
 * with a second one, tips the pool into panic, which would send traffic to the stopped one) only if
 * three loopback connects in a row each take over a second. The stopped server refuses at once.
 */
class HealthExampleTest {

  private static final int INTERVAL_SECONDS = 2;

  private final List<HttpServer> servers = new ArrayList<>();

  @AfterEach
  void stopServers() {
    servers.forEach(s -> s.stop(0));
  }

  @Test
  void stoppedServerTurnsUnhealthyAndGetsNoTraffic() throws Exception {
    List<String> uris = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.start();
      servers.add(server);
      uris.add("http://127.0.0.1:" + server.getAddress().getPort());
    }
    java.util.concurrent.BlockingQueue<HealthEvent.StatusChanged> unhealthy =
        new java.util.concurrent.LinkedBlockingQueue<>();
    try (LoadBalancer lb =
        HealthExample.build(
            uris,
            Duration.ofSeconds(INTERVAL_SECONDS),
            event -> {
              if (event instanceof HealthEvent.StatusChanged changed
                  && changed.to() == BackendStatus.UNHEALTHY) {
                unhealthy.add(changed);
              }
            })) {
      String victim = lb.defaultPool().backends().get(0).id();
      servers.get(0).stop(0);

      // Wait (bounded) for the victim's verdict: three refused probes, about 6 s.
      HealthEvent.StatusChanged event = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (event == null && System.nanoTime() < deadline) {
        HealthEvent.StatusChanged e = unhealthy.poll(1, TimeUnit.SECONDS);
        if (e != null && e.backendId().equals(victim)) {
          event = e;
        }
      }
      assertThat(event).as("the stopped backend turned unhealthy within 30 s").isNotNull();
      HealthEvent.StatusChanged found = java.util.Objects.requireNonNull(event);

      assertThat(found.backendId()).isEqualTo(victim);
      assertThat(found.reason()).startsWith("3 consecutive probes failed; last: connect to");
      assertThat(lb.stats().pool("api").backend(victim).status())
          .isEqualTo(BackendStatus.UNHEALTHY);
      for (int i = 0; i < 100; i++) {
        try (Lease lease = lb.select(RequestView.of("GET", "/")).leaseOrThrow()) {
          assertThat(lease.backend().id()).isNotEqualTo(victim);
        }
      }
    }
  }

  @Test
  void closingStopsTheSchedulerThread() throws InterruptedException {
    Set<Thread> before = schedulerThreads();
    List<String> uris = List.of("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3");
    LoadBalancer lb = HealthExample.build(uris, Duration.ofSeconds(1), event -> {});
    Set<Thread> started = schedulerThreads();
    started.removeAll(before);
    assertThat(started).as("scheduler threads started by this load balancer").hasSize(1);

    lb.close();

    for (Thread t : started) {
      t.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(t.isAlive()).as("%s alive 30 s after close", t.getName()).isFalse();
    }
  }

  private static Set<Thread> schedulerThreads() {
    Set<Thread> threads = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("lb4j-scheduler-") && t.isAlive()) {
        threads.add(t);
      }
    }
    return threads;
  }
}
