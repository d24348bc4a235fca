package dev.lb4j.examples.client;

import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackendAvailableException;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.httpclient.HttpProbe;
import dev.lb4j.httpclient.LoadBalancedHttpClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Client-side load balancing with lb4j, end to end, on one machine:
 *
 * <ol>
 *   <li>starts three demo backends on loopback ports, each answering with its name;
 *   <li>balances requests to {@code http://demo/hello} over them with round robin, through a {@link
 *       LoadBalancedHttpClient} (a {@link HttpClient}), and prints how many each one served;
 *   <li>stops one backend: its connections fail, every request that was sent to it is retried on
 *       another backend, and passive outlier detection ejects it after three failures in a row;
 *   <li>waits for the active health check (an HTTP probe of {@code /healthz}) to report it down,
 *       then shows that it gets no more requests;
 *   <li>prints every health event as it arrives, and the final stats of each backend.
 * </ol>
 *
 * <p>Run it with {@code ./mvnw -B -q -pl examples/client-side compile exec:java} (see the module's
 * README). {@link #run(PrintStream, int)} is the whole program; it stops every server, client
 * thread and load balancer it started before it returns.
 */
public final class ClientSideDemo {

  /** Requests per phase when {@link #main} gets no argument. */
  static final int DEFAULT_REQUESTS = 30;

  /** The pool; requests name it as their host. */
  static final String POOL = "demo";

  /** The backends, in the order they are added to the pool; the last one is stopped. */
  static final List<String> BACKENDS = List.of("backend-a", "backend-b", "backend-c");

  /**
   * How long the program waits for the health check to report the stopped backend down: far more
   * than the check needs (two failed probes half a second apart, then the end of the two-second
   * ejection), so that only a broken check makes it give up.
   */
  static final Duration HEALTH_WAIT = Duration.ofSeconds(10);

  private static final Duration PROBE_INTERVAL = Duration.ofMillis(500);
  private static final Duration EJECTION_TIME = Duration.ofSeconds(2);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);

  private ClientSideDemo() {}

  /**
   * What the program did.
   *
   * @param sent requests sent in all (three phases)
   * @param succeeded requests answered with 200 by one of the backends
   * @param servedBeforeStop per backend name, requests it answered while all three were running
   * @param servedDuringFailover per backend name, requests it answered right after one stopped
   * @param servedAfterDown per backend name, requests it answered once the health check reported
   *     the stopped one down
   * @param retries attempts the client retried on another backend
   * @param stopped the name (and id) of the stopped backend
   * @param stoppedChanges the stopped backend's state changes since it was stopped, in the order
   *     they happened
   * @param stoppedStatus the stopped backend's state at the end
   * @param stoppedPicksAfterDown how often the load balancer picked the stopped backend once the
   *     health check had reported it down
   * @param addresses where the backends listened; all closed when {@code run} returns
   */
  public record Result(
      int sent,
      int succeeded,
      Map<String, Integer> servedBeforeStop,
      Map<String, Integer> servedDuringFailover,
      Map<String, Integer> servedAfterDown,
      long retries,
      String stopped,
      List<HealthEvent.StatusChanged> stoppedChanges,
      BackendStatus stoppedStatus,
      long stoppedPicksAfterDown,
      List<InetSocketAddress> addresses) {

    /**
     * Copies the collections.
     *
     * @param sent requests sent
     * @param succeeded requests answered with 200
     * @param servedBeforeStop served per backend before the stop
     * @param servedDuringFailover served per backend right after the stop
     * @param servedAfterDown served per backend once the stopped one was reported down
     * @param retries retried attempts
     * @param stopped the stopped backend
     * @param stoppedChanges its state changes
     * @param stoppedStatus its final state
     * @param stoppedPicksAfterDown its picks once reported down
     * @param addresses the backends' addresses
     */
    public Result {
      servedBeforeStop = Map.copyOf(servedBeforeStop);
      servedDuringFailover = Map.copyOf(servedDuringFailover);
      servedAfterDown = Map.copyOf(servedAfterDown);
      stoppedChanges = List.copyOf(stoppedChanges);
      addresses = List.copyOf(addresses);
    }
  }

  /**
   * Runs the demo and prints to standard output.
   *
   * @param args optionally the number of requests per phase (default {@value #DEFAULT_REQUESTS})
   * @throws IOException if a backend cannot start
   * @throws InterruptedException if interrupted
   * @throws IllegalStateException if a request failed, so that the exit status says so
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    int requests = args.length == 0 ? DEFAULT_REQUESTS : Integer.parseInt(args[0]);
    Result result = run(System.out, requests);
    if (result.succeeded() != result.sent()) {
      throw new IllegalStateException(
          (result.sent() - result.succeeded()) + " of " + result.sent() + " requests failed");
    }
  }

  /**
   * Runs the demo, printing what happens to {@code out}. Everything it starts (backends, the load
   * balancer and its health checks, the HTTP client's threads) is stopped before it returns, but
   * for the JDK client's selector thread on Java 17, where a client cannot be closed: that thread
   * ends once the client is garbage-collected.
   *
   * @param out where to print
   * @param requests requests per phase, at least one per backend
   * @return what happened
   * @throws IOException if a backend cannot start
   * @throws InterruptedException if interrupted
   * @throws IllegalStateException if the health check did not report the stopped backend within
   *     {@link #HEALTH_WAIT}
   */
  public static Result run(PrintStream out, int requests) throws IOException, InterruptedException {
    if (requests < BACKENDS.size()) {
      throw new IllegalArgumentException(
          "requests: " + requests + " (expected: at least " + BACKENDS.size()
              + ", one per backend)");
    }
    long start = System.nanoTime();
    List<DemoBackend> backends = new ArrayList<>();
    // The JDK client runs its internal tasks on this executor; the demo shuts it down at the end.
    // (Its default executor's threads would linger for a minute after the last request.)
    ExecutorService clientThreads = Executors.newFixedThreadPool(2, daemonThreads("demo-client-"));
    // The balancing client's timers (request timeouts, back-off before a retry) run on this
    // thread. By default they use the JDK's shared delayed executor, whose thread outlives the
    // demo (it lasts as long as the JVM).
    ScheduledExecutorService clientTimers =
        Executors.newSingleThreadScheduledExecutor(daemonThreads("demo-client-timer-"));
    try {
      for (String name : BACKENDS) {
        backends.add(DemoBackend.start(name));
      }
      HttpClient http =
          HttpClient.newBuilder()
              .executor(clientThreads)
              .connectTimeout(Duration.ofSeconds(1))
              .build();
      try {
        return balance(out, requests, backends, http, Scheduler.of(clientTimers), start);
      } finally {
        closeIfPossible(http);
      }
    } finally {
      for (DemoBackend backend : backends) {
        backend.stop();
      }
      clientTimers.shutdownNow(); // the timers of calls that have ended, already cancelled
      clientThreads.shutdown();
      if (!clientThreads.awaitTermination(5, TimeUnit.SECONDS)
          || !clientTimers.awaitTermination(5, TimeUnit.SECONDS)) {
        out.println("warning: the HTTP client's threads did not end within 5 s");
      }
    }
  }

  private static Result balance(
      PrintStream out,
      int requests,
      List<DemoBackend> backends,
      HttpClient http,
      Scheduler timers,
      long start)
      throws InterruptedException {
    DemoBackend victim = backends.get(backends.size() - 1);
    HealthLog healthLog = new HealthLog(out, start, victim.name());
    out.println("backends:");
    for (DemoBackend backend : backends) {
      out.println("  " + backend.name() + " at " + backend.uri());
    }

    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool(
                    POOL,
                    pool -> {
                      for (DemoBackend backend : backends) {
                        // The id names the backend in events and stats (default: host:port).
                        pool.backend(BackendSpec.builder(backend.uri()).id(backend.name()).build());
                      }
                      pool.algorithm(Algorithms.roundRobin())
                          // Passive: 3 failed requests in a row eject a backend for 2 s (then
                          // 4 s, 6 s... if it keeps failing).
                          .outlierDetection(
                              OutlierDetection.builder()
                                  .consecutiveFailures(3)
                                  .baseEjectionTime(EJECTION_TIME)
                                  .build())
                          // Active: GET /healthz every 500 ms (a probe that takes longer fails);
                          // down after 2 failures in a row, up again after 2 passes. Demo speed:
                          // the defaults are 2 s, 3 and 2.
                          .healthCheck(
                              HealthCheck.builder(HttpProbe.of("/healthz"))
                                  .interval(PROBE_INTERVAL)
                                  .timeout(PROBE_INTERVAL)
                                  .unhealthyThreshold(2)
                                  .healthyThreshold(2)
                                  .build());
                    })
                .healthListener(healthLog)
                .build();
        LoadBalancedHttpClient client =
            LoadBalancedHttpClient.builder(lb)
                .client(http)
                .scheduler(timers)
                // Up to 3 attempts, each on a backend not yet tried (GET is idempotent).
                .retryPolicy(RetryPolicy.builder().maxAttempts(3).build())
                .logHealthChanges(false) // the demo prints health events itself
                .build()) {

      out.printf("%n1. %d requests to http://%s/hello, round robin over three backends%n",
          requests, POOL);
      Phase before = send(client, requests, out);
      out.println("   served: " + before.served());

      out.printf("%n2. stopping %s, then %d more requests%n", victim.name(), requests);
      long retriesBefore = lb.stats().pool(POOL).retries();
      healthLog.watchFromNow();
      victim.stop();
      Phase failover = send(client, requests, out);
      long retries = lb.stats().pool(POOL).retries() - retriesBefore;
      out.printf("   served: %s; %d of %d succeeded, %d retried on another backend%n",
          failover.served(), failover.succeeded(), requests, retries);

      out.printf("%n3. waiting (at most %d s) until the health check reports %s down%n",
          HEALTH_WAIT.toSeconds(), victim.name());
      if (!healthLog.awaitDown(HEALTH_WAIT)) {
        throw new IllegalStateException(
            victim.name() + " was not reported " + BackendStatus.UNHEALTHY + " within "
                + HEALTH_WAIT.toSeconds() + " s; its state: "
                + backendStats(lb, victim.name()).status());
      }
      long picksAtDown = backendStats(lb, victim.name()).picks();
      Phase after = send(client, requests, out);
      long picksAfterDown = backendStats(lb, victim.name()).picks() - picksAtDown;
      out.printf("   %d more requests; served: %s; %s picked %d times%n",
          requests, after.served(), victim.name(), picksAfterDown);

      PoolStats stats = lb.stats().pool(POOL);
      out.printf("%n4. final stats of pool '%s' (retries: %d)%n", POOL, stats.retries());
      printStats(out, stats, backends);

      return new Result(
          3 * requests,
          before.succeeded() + failover.succeeded() + after.succeeded(),
          before.served(),
          failover.served(),
          after.served(),
          retries,
          victim.name(),
          healthLog.changes(),
          stats.backend(victim.name()).status(),
          picksAfterDown,
          backends.stream().map(DemoBackend::address).toList());
    }
  }

  /** Requests answered with 200, per backend name, in one phase. */
  private record Phase(Map<String, Integer> served, int succeeded) {}

  /** Sends {@code n} GET requests one after another; a failure is printed and counted. */
  private static Phase send(HttpClient client, int n, PrintStream out)
      throws InterruptedException {
    Map<String, Integer> served = new TreeMap<>();
    int succeeded = 0;
    for (int i = 0; i < n; i++) {
      // The host names the pool; the client sends the request to the backend the pool picks.
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://" + POOL + "/hello"))
              .timeout(REQUEST_TIMEOUT)
              .build();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          served.merge(response.body(), 1, Integer::sum);
          succeeded++;
        } else {
          out.println("   request " + (i + 1) + ": status " + response.statusCode()
              + " from " + response.uri());
        }
      } catch (IOException | NoBackendAvailableException e) {
        out.println("   request " + (i + 1) + " failed: " + e);
      }
    }
    return new Phase(served, succeeded);
  }

  private static BackendStats backendStats(LoadBalancer lb, String id) {
    return lb.stats().pool(POOL).backend(id);
  }

  private static void printStats(PrintStream out, PoolStats stats, List<DemoBackend> backends) {
    String format = "   %-10s %-9s %6s %9s %9s %10s  %s%n";
    out.printf(format, "backend", "status", "picks", "answered", "failures", "ejections",
        "reason");
    for (BackendStats b : stats.backends()) {
      int answered =
          backends.stream().filter(d -> d.name().equals(b.id())).mapToInt(DemoBackend::served)
              .sum();
      out.printf(format, b.id(), b.status(), b.picks(), answered, b.failures(), b.ejections(),
          b.statusReason());
    }
  }

  /**
   * Prints every health event when it arrives, on the thread that delivers it (a probe's, or the
   * request's whose failure ejected a backend), and remembers the watched backend's changes from
   * {@link #watchFromNow()} on. Before that, a probe that timed out on a busy machine may have
   * reported it (or any backend) unhealthy for a moment; that must not count as its stop.
   */
  private static final class HealthLog implements HealthListener {
    private final PrintStream out;
    private final long start;
    private final String watched;
    private final List<HealthEvent.StatusChanged> changes = new CopyOnWriteArrayList<>();
    private final CountDownLatch down = new CountDownLatch(1);
    private volatile boolean watching;

    HealthLog(PrintStream out, long start, String watched) {
      this.out = out;
      this.start = start;
      this.watched = watched;
    }

    @Override
    public void onEvent(HealthEvent event) {
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      out.printf("   [health event at %,d ms] %s%n", millis, describe(event));
      if (watching
          && event instanceof HealthEvent.StatusChanged change
          && change.backendId().equals(watched)) {
        changes.add(change);
        if (change.to() == BackendStatus.UNHEALTHY) {
          down.countDown();
        }
      }
    }

    void watchFromNow() {
      watching = true;
    }

    /** Waits for a change of the watched backend to UNHEALTHY since {@link #watchFromNow()}. */
    boolean awaitDown(Duration timeout) throws InterruptedException {
      return down.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    List<HealthEvent.StatusChanged> changes() {
      return List.copyOf(changes);
    }

    private static String describe(HealthEvent event) {
      if (event instanceof HealthEvent.StatusChanged c) {
        return c.backendId() + ": " + c.from() + " -> " + c.to() + " (" + c.reason() + ")";
      } else if (event instanceof HealthEvent.BackendAdded a) {
        return a.backendId() + ": joined as " + a.status() + " (" + a.reason() + ")";
      } else if (event instanceof HealthEvent.BackendRemoved r) {
        return r.backendId() + ": left, was " + r.lastStatus() + " (" + r.reason() + ")";
      } else if (event instanceof HealthEvent.PanicChanged p) {
        return "pool " + p.pool() + (p.panic() ? " entered" : " left") + " panic mode ("
            + p.reason() + ")";
      }
      return event.toString();
    }
  }

  /** Daemon threads named after {@code prefix}, numbered from 1. */
  private static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return task -> {
      Thread t = new Thread(task, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * Closes the JDK client where it can be closed (Java 21 and later), which ends its selector
   * thread. On Java 17 a client cannot be closed: that thread ends once the client is
   * garbage-collected.
   */
  private static void closeIfPossible(HttpClient http) {
    if (http instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the HTTP client", e);
      }
    }
  }
}
