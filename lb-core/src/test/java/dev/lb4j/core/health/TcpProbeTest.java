package dev.lb4j.core.health;

import static dev.lb4j.core.health.PassiveTestSupport.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link TcpProbe} against real loopback servers. Probes are scheduled by a {@link ManualClock}, so
 * the test decides when each round starts; the TCP connect itself happens on real I/O threads, and
 * the test waits for it with bounded waits, never by sleeping.
 */
class TcpProbeTest {

  private static final Duration INTERVAL = Duration.ofSeconds(2);
  private static final long WAIT_SECONDS = 20;

  private final List<ServerSocket> servers = new CopyOnWriteArrayList<>();
  private final List<Socket> holders = new CopyOnWriteArrayList<>();
  private final Map<ServerSocket, Thread> acceptors = new ConcurrentHashMap<>();
  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();

  /** Runs before the fixture closes the load balancers; with the manual clock nothing probes meanwhile. */
  @AfterEach
  void closeServers() throws Exception {
    for (ServerSocket s : servers) {
      closeAndWait(s);
    }
    for (Socket holder : holders) {
      holder.close();
    }
  }

  /**
   * Closes a server and waits for its accept thread to end: only then is the listening socket really
   * gone (while a thread is blocked in accept, the JDK defers the close, and a connect in that window
   * would still succeed).
   */
  private void closeAndWait(ServerSocket server) throws Exception {
    server.close();
    Thread t = acceptors.get(server);
    if (t != null) {
      t.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      assertThat(t.isAlive()).as("accept thread %s ended", t.getName()).isFalse();
    }
  }

  /** Accepts and closes connections on a daemon thread until the server is closed. */
  private ServerSocket serve(ServerSocket server) {
    servers.add(server);
    Thread t = new Thread(() -> {
      while (!server.isClosed()) {
        try {
          server.accept().close(); // the connect succeeded; the probe needs nothing more
        } catch (IOException e) {
          // closed: the loop ends
        }
      }
    }, "tcp-probe-test-accept-" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
    acceptors.put(server, t);
    return server;
  }

  /**
   * Holds a loopback port for the whole test: a socket bound to it that never listens, with {@code
   * SO_REUSEPORT}, so a server can {@linkplain #listenOn listen} on the port, close (a connect is
   * then refused: nothing listens) and listen on it again, while no other socket can take the port
   * in between. Closed after the test.
   */
  private Socket holdPort() throws IOException {
    Socket holder = new Socket();
    assertThat(holder.supportedOptions()).as("socket options of this platform")
        .contains(StandardSocketOptions.SO_REUSEPORT);
    holder.setOption(StandardSocketOptions.SO_REUSEPORT, true);
    holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    holders.add(holder);
    return holder;
  }

  /** A server listening on a port {@link #holdPort} holds. */
  private ServerSocket listenOn(int heldPort) throws IOException {
    ServerSocket server = new ServerSocket();
    try {
      server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), heldPort), 50);
    } catch (IOException e) {
      server.close();
      throw e;
    }
    return serve(server);
  }

  private ServerSocket newServer() throws IOException {
    return serve(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
  }

  private static String uri(ServerSocket server) {
    return uri(server.getInetAddress(), server.getLocalPort());
  }

  private static String uri(InetAddress address, int port) {
    String host = address.getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * Wraps the TCP probe so that the engine sees each result at a point the test chooses: the real
   * connect runs at once, and {@link #deliver} hands its result to the engine on the test thread,
   * which then updates the backend's state before {@code deliver} returns. A stage the engine
   * cancels cancels the real probe.
   */
  private static final class RelayedTcpProbe implements HealthProbe {
    private record Started(Backend backend, CompletableFuture<HealthResult> real,
        CompletableFuture<HealthResult> toEngine) {}

    private final BlockingQueue<Started> started = new LinkedBlockingQueue<>();

    @Override
    public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
      CompletableFuture<HealthResult> real =
          TcpProbe.create().check(backend, timeout).toCompletableFuture();
      CompletableFuture<HealthResult> toEngine = new CompletableFuture<>();
      @SuppressWarnings("FutureReturnValueIgnored")
      Object unused = toEngine.whenComplete((r, e) -> {
        if (toEngine.isCancelled()) {
          real.cancel(true);
        }
      });
      started.add(new Started(backend, real, toEngine));
      return toEngine;
    }

    /** Waits for the real results of the {@code expected} checks started so far, and passes them on. */
    List<HealthResult> deliver(int expected) throws InterruptedException {
      List<HealthResult> results = new ArrayList<>();
      for (int i = 0; i < expected; i++) {
        Started s = started.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        if (s == null) {
          throw new AssertionError(
              "only " + i + " of " + expected + " probes started within " + WAIT_SECONDS + " s");
        }
        HealthResult result;
        try {
          result = s.real().get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
          throw new AssertionError("TCP probe of " + s.backend().id() + " did not finish", e);
        }
        s.toEngine().complete(result);
        results.add(result);
      }
      assertThat(started).as("probes started beyond the expected").isEmpty();
      return results;
    }
  }

  @Test
  void aClosedServerTurnsUnhealthyAfterExactlyTheThresholdAndHealthyAgainWhenItListensAgain()
      throws Exception {
    // The first backend's port stays held the whole test (see holdPort), so it can listen again.
    Socket held = holdPort();
    int port = held.getLocalPort();
    List<ServerSocket> three = List.of(listenOn(port), newServer(), newServer());
    RelayedTcpProbe probe = new RelayedTcpProbe();
    LoadBalancer lb =
        engine.pool("api", p -> {
          three.forEach(s -> p.backend(uri(s)));
          p.panicThreshold(0)
              .healthCheck(HealthCheck.builder(probe).interval(INTERVAL).jitter(0).build());
        });
    List<String> ids = new ArrayList<>();
    lb.stats().pool("api").backends().forEach(b -> ids.add(b.id()));
    String down = ids.get(0);

    clock.runDue();
    assertThat(probe.deliver(3)).allMatch(HealthResult::isHealthy);

    closeAndWait(three.get(0));
    for (int failures = 1; failures <= HealthCheck.DEFAULT_UNHEALTHY_THRESHOLD; failures++) {
      assertThat(status(lb, down)).as("after %s failed probes", failures - 1)
          .isEqualTo(BackendStatus.HEALTHY);
      clock.advance(INTERVAL);
      List<HealthResult> round = probe.deliver(3);
      assertThat(round).filteredOn(r -> !r.isHealthy()).singleElement()
          .satisfies(r -> assertThat(r.reason()).contains("connect to").contains(":" + port));
    }
    assertThat(status(lb, down)).isEqualTo(BackendStatus.UNHEALTHY);
    String reason = lb.stats().pool("api").backend(down).statusReason();
    assertThat(reason).startsWith(HealthCheck.DEFAULT_UNHEALTHY_THRESHOLD + " consecutive probes failed")
        .contains(String.valueOf(port));
    assertThat(status(lb, ids.get(1))).isEqualTo(BackendStatus.HEALTHY);
    assertThat(status(lb, ids.get(2))).isEqualTo(BackendStatus.HEALTHY);

    serve(listenOn(port));
    for (int passes = 1; passes <= HealthCheck.DEFAULT_HEALTHY_THRESHOLD; passes++) {
      assertThat(status(lb, down)).as("after %s passed probes", passes - 1)
          .isEqualTo(BackendStatus.UNHEALTHY);
      clock.advance(INTERVAL);
      assertThat(probe.deliver(3)).allMatch(HealthResult::isHealthy);
    }
    assertThat(status(lb, down)).isEqualTo(BackendStatus.HEALTHY);
    assertThat(engine.events().all()).hasSize(2).allSatisfy(e -> assertThat(e)
        .isInstanceOfSatisfying(HealthEvent.StatusChanged.class,
            s -> assertThat(s.backendId()).isEqualTo(down)));
  }

  @Test
  void anUnknownHostIsUnhealthyWithTheHostInTheReason() throws Exception {
    CountDownLatch unhealthy = new CountDownLatch(1);
    LoadBalancer lb =
        engine.balancer(b -> b
            .healthListener(e -> {
              if (e instanceof HealthEvent.StatusChanged s && s.to() == BackendStatus.UNHEALTHY) {
                unhealthy.countDown();
              }
            })
            .pool("api", p -> p.backend("http://no-such-host.invalid:80").panicThreshold(0)
                .healthCheck(HealthCheck.builder(TcpProbe.create()).jitter(0)
                    .unhealthyThreshold(1).build())));
    clock.runDue(); // the name is resolved off the scheduler; the timeout is not due until we advance
    assertThat(unhealthy.await(WAIT_SECONDS, TimeUnit.SECONDS))
        .as("backend turned unhealthy within %s s", WAIT_SECONDS).isTrue();
    String reason = lb.stats().pool("api").backend("no-such-host.invalid:80").statusReason();
    assertThat(reason).contains("no-such-host.invalid").doesNotContain("timed out");
  }

  @Test
  void tcpProbeOnItsOwnPassesForAListeningPortAndFailsForAClosedOne() throws Exception {
    ServerSocket open = newServer();
    // A port held by a socket that never listens: a connect to it is refused, and no other
    // socket can start listening on it meanwhile.
    Socket closed = holdPort();
    int closedPort = closed.getLocalPort();
    String closedUri = uri(closed.getLocalAddress(), closedPort);
    try (LoadBalancer lb = LoadBalancer.builder()
        .pool("api", p -> p.backend(uri(open)).backend(closedUri))
        .build()) {
      List<Backend> backends = lb.pool("api").backends();
      HealthResult up = TcpProbe.create().check(backends.get(0), Duration.ofSeconds(1))
          .toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      HealthResult refused = TcpProbe.create().check(backends.get(1), Duration.ofSeconds(1))
          .toCompletableFuture().get(WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(up.isHealthy()).isTrue();
      assertThat(refused.isHealthy()).isFalse();
      assertThat(refused.reason()).contains("connect to").contains(":" + closedPort);
      assertThat(TcpProbe.create()).hasToString("tcp").isSameAs(TcpProbe.create());
    }
  }
}
