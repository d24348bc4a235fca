package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * Thousands of backends under the real default scheduler: every backend gets probed, on one
 * scheduling thread and not a thread per backend, and closing the load balancer ends that thread.
 *
 * <p>Threads are counted so that no other activity of the JVM can change the outcome: the threads
 * lb4j starts (named {@code lb4j-...}) exactly, the JVM's total only against a bound a thread per
 * backend would exceed many times over (a tenth of the backends) and nothing else comes near.
 */
class ProbeSchedulingScaleTest {

  private static final long WAIT_SECONDS = 30;
  private static int liveThreads() {
    return Thread.getAllStackTraces().size();
  }

  /** The live threads lb4j started, by name. */
  private static Set<String> lb4jThreads() {
    Set<String> names = new java.util.TreeSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("lb4j-") && t.isAlive()) {
        names.add(t.getName());
      }
    }
    return names;
  }

  /** The lb4j threads started since {@code before} was taken: exactly the one scheduler thread. */
  private static void assertOnlyTheSchedulerThreadWasAdded(Set<String> before) {
    Set<String> added = lb4jThreads();
    added.removeAll(before);
    assertThat(added).as("lb4j threads added").singleElement()
        .satisfies(name -> assertThat(name).startsWith("lb4j-scheduler-"));
  }

  private static Thread schedulerThread(Set<Thread> callers) {
    assertThat(callers).as("threads that called the probe").singleElement()
        .satisfies(t -> assertThat(t.getName()).startsWith("lb4j-scheduler-"));
    return callers.iterator().next();
  }

  private static void assertEnds(Thread scheduler) throws InterruptedException {
    scheduler.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
    assertThat(scheduler.isAlive()).as("%s ended after close", scheduler.getName()).isFalse();
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .doesNotContain(scheduler.getName());
  }

  @Test
  void tenThousandBackendsAreAllProbedFromOneSchedulerThread() throws Exception {
    int n = 10_000;
    ExecutorService completer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "scale-test-completer");
      t.setDaemon(true);
      return t;
    });
    try {
      // Start the completer thread before counting.
      completer.submit(() -> { }).get(WAIT_SECONDS, TimeUnit.SECONDS);
      Set<String> probed = ConcurrentHashMap.newKeySet();
      Set<Thread> callers = ConcurrentHashMap.newKeySet();
      CountDownLatch everyBackendProbed = new CountDownLatch(n);
      HealthProbe async = (backend, timeout) -> {
        callers.add(Thread.currentThread());
        if (probed.add(backend.id())) {
          everyBackendProbed.countDown();
        }
        CompletableFuture<HealthResult> f = new CompletableFuture<>();
        completer.execute(() -> f.complete(HealthResult.healthy()));
        return f;
      };
      int threadsBefore = liveThreads();
      Set<String> lb4jBefore = lb4jThreads();
      Thread scheduler;
      try (LoadBalancer lb =
          LoadBalancer.builder()
              .pool("api", p -> {
                for (int i = 0; i < n; i++) {
                  p.backend(BackendSpec.builder("http://10.0.0.1:8080").id("b" + i).build());
                }
                p.healthCheck(HealthCheck.builder(async)
                    .interval(Duration.ofSeconds(1))
                    .timeout(Duration.ofMillis(500))
                    .build());
              })
              .build()) {
        assertThat(everyBackendProbed.await(WAIT_SECONDS, TimeUnit.SECONDS))
            .as("all %s backends probed within %s s; probed: %s", n, WAIT_SECONDS, probed.size())
            .isTrue();
        assertOnlyTheSchedulerThreadWasAdded(lb4jBefore);
        assertThat(liveThreads() - threadsBefore).as("threads added for %s backends", n)
            .isLessThan(n / 10);
        scheduler = schedulerThread(callers);
        assertThat(lb.stats().pool("api").backends()).hasSize(n)
            .allMatch(b -> b.status() == BackendStatus.HEALTHY);
      }
      assertEnds(scheduler);
    } finally {
      completer.shutdownNow();
    }
  }

  @Test
  void aThousandBackendsProbedOverRealTcpAgainstOneLoopbackServerAddOneSchedulerThread()
      throws Exception {
    // Every backend passes a real connect, probes start on the one scheduler thread, the only
    // thread lb4j adds (the TCP probe's I/O thread is the JVM's, started by the warm-up), and that
    // thread ends with the load balancer.
    int n = 1_000;
    probeOverTcp(n, grown ->
        assertThat(grown).as("threads added for %s backends", n).isLessThan(n / 10));
  }

  /**
   * Probes {@code n} backends, all on one loopback server, with {@link TcpProbe} under the default
   * scheduler, until each has passed a probe; checks that the only lb4j thread added is the
   * scheduler's and hands the number of all threads added to {@code grown}.
   */
  private static void probeOverTcp(int n, IntConsumer grown) throws Exception {
    ServerSocket server = new ServerSocket(0, 1_000, InetAddress.getLoopbackAddress());
    Thread acceptor = null;
    try {
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            server.accept().close();
          } catch (IOException e) {
            // closed: the loop ends
          }
        }
      }, "scale-test-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      String host = server.getInetAddress().getHostAddress();
      String uri = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
          + server.getLocalPort();
      // Warm up the JVM's default asynchronous channel group (shared, created once per JVM) so its
      // first I/O threads are not counted as the load balancer's.
      try (LoadBalancer warm = LoadBalancer.builder().pool("warm", p -> p.backend(uri)).build()) {
        Backend any = warm.pool("warm").backends().get(0);
        assertThat(TcpProbe.create().check(any, Duration.ofSeconds(5)).toCompletableFuture()
            .get(WAIT_SECONDS, TimeUnit.SECONDS).isHealthy()).isTrue();
      }

      Set<String> healthy = ConcurrentHashMap.newKeySet();
      CountDownLatch everyBackendPassed = new CountDownLatch(n);
      AtomicInteger checks = new AtomicInteger();
      Set<Thread> callers = ConcurrentHashMap.newKeySet();
      HealthProbe counted = (backend, timeout) -> {
        callers.add(Thread.currentThread());
        checks.incrementAndGet();
        return TcpProbe.create().check(backend, timeout);
      };
      int threadsBefore = liveThreads();
      Set<String> lb4jBefore = lb4jThreads();
      Thread scheduler;
      try (LoadBalancer lb =
          LoadBalancer.builder()
              .healthListener(e -> {
                if (e instanceof HealthEvent.StatusChanged s
                    && s.to() == BackendStatus.HEALTHY
                    && healthy.add(s.backendId())) {
                  everyBackendPassed.countDown();
                }
              })
              .pool("api", p -> {
                for (int i = 0; i < n; i++) {
                  p.backend(BackendSpec.builder(uri).id("b" + i).build());
                }
                // Backends wait for a real connect to pass; first probes spread over 0.5 s.
                p.healthCheck(HealthCheck.builder(counted)
                    .interval(Duration.ofSeconds(1))
                    .timeout(Duration.ofSeconds(1))
                    .jitter(0.5)
                    .initialState(HealthCheck.InitialState.WAIT_FOR_FIRST_PROBE)
                    .build());
              })
              .build()) {
        assertThat(everyBackendPassed.await(WAIT_SECONDS, TimeUnit.SECONDS))
            .as("all %s backends passed a TCP probe within %s s; passed: %s, checks: %s", n,
                WAIT_SECONDS, healthy.size(), checks.get())
            .isTrue();
        assertOnlyTheSchedulerThreadWasAdded(lb4jBefore);
        grown.accept(liveThreads() - threadsBefore);
        scheduler = schedulerThread(callers);
        assertThat(lb.stats().pool("api").backends()).hasSize(n)
            .extracting(BackendStats::status).containsOnly(BackendStatus.HEALTHY);
      }
      assertEnds(scheduler);
    } finally {
      server.close();
      if (acceptor != null) {
        acceptor.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertThat(acceptor.isAlive()).as("accept thread ended").isFalse();
      }
    }
  }

  @Test
  void aLoadBalancerWithoutTimedWorkStartsNoSchedulerThread() {
    Set<String> before = threadNames();
    try (LoadBalancer lb = LoadBalancer.builder()
        .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
        .build()) {
      assertThat(lb.stats().pool("api").backends()).hasSize(2);
      Set<String> added = threadNames();
      added.removeAll(before);
      assertThat(added).noneMatch(name -> name.startsWith("lb4j-scheduler-"));
    }
  }

  private static Set<String> threadNames() {
    Set<String> names = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      names.add(t.getName());
    }
    return names;
  }
}
