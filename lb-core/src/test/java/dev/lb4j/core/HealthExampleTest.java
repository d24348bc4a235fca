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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs the README's health example with the real scheduler and TCP probe: a stopped server turns
 * unhealthy and gets no traffic. The wait is for the probe's verdict (an event), bounded, not a sleep.
 */
class HealthExampleTest {

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
    CompletableFuture<HealthEvent.StatusChanged> down = new CompletableFuture<>();
    try (LoadBalancer lb =
        HealthExample.build(
            uris,
            Duration.ofMillis(50),
            event -> {
              if (event instanceof HealthEvent.StatusChanged changed
                  && changed.to() == BackendStatus.UNHEALTHY) {
                down.complete(changed);
              }
            })) {
      String victim = lb.defaultPool().backends().get(0).id();
      servers.get(0).stop(0);

      HealthEvent.StatusChanged event = down.get(30, TimeUnit.SECONDS);

      assertThat(event.backendId()).isEqualTo(victim);
      assertThat(event.reason()).startsWith("3 consecutive probes failed; last: connect to");
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
