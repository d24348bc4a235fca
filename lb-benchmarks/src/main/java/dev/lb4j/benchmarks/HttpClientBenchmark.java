package dev.lb4j.benchmarks;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.httpclient.LoadBalancedHttpClient;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@link LoadBalancedHttpClient} adds to a real request: the same GET, with the same JDK client
 * configuration and the same body handler, sent to one loopback backend (the JDK's {@code
 * HttpServer} on {@code 127.0.0.1}, a fixed 2-byte body) either directly ({@code plainClient*}: {@code
 * HttpClient.send} to {@code http://127.0.0.1:PORT/x}) or through the load-balanced client ({@code
 * balancedClient*}: {@code send} to {@code http://api/x}, a pool {@code api} whose one backend is
 * that server). The difference is what a user pays per request for balancing.
 *
 * <p>{@code plainAsync*} is the plain client again, through {@code sendAsync(...).get()}, and
 * {@code balancedAsync*} the load-balanced client the same way: the JDK client's {@code sendAsync}
 * completes its future through {@code CompletableFuture}'s default executor, one more hand-off per
 * request (on a machine of two cores or fewer, common pool parallelism 1, that executor starts a
 * new thread for every task), so asynchronous calls compare with asynchronous ones: {@code
 * balancedClient* - plainClient*} and {@code balancedAsync* - plainAsync*} are lb4j's own work
 * (routing by host, the lease with its outcome and latency, the request rewritten to the backend,
 * and with {@code retries=default} the retry policy's bookkeeping; asynchronously also the call's
 * own future).
 *
 * <p>{@code *1} runs on one thread, {@code *4} on four sharing one client, one load balancer and one
 * server (connections are kept alive, so a thread reuses a pooled connection). Throughput: requests
 * per second, all threads together.
 *
 * <p>With {@code -prof gc}, bytes per operation count every thread of the benchmark's JVM, the
 * server's and the JDK client's own included: compare the methods with each other, not any one
 * with zero.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
public class HttpClientBenchmark {

  /** The body every response carries. */
  static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);

  /** The one body handler every method uses. */
  static final HttpResponse.BodyHandler<byte[]> HANDLER = HttpResponse.BodyHandlers.ofByteArray();

  /** Threads of the server; enough for {@code *4}'s four connections. */
  static final int SERVER_THREADS = 4;

  /**
   * The loopback backend and the plain JDK client, shared by every benchmark thread; the
   * load-balanced client wraps that same client.
   */
  @State(Scope.Benchmark)
  public static class Backend {
    HttpServer server;
    ExecutorService executor;
    HttpClient http;
    HttpRequest direct;
    URI uri;

    /**
     * Starts the server on a free port and builds the client and the direct request.
     *
     * @throws IOException when the server cannot bind
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
      // The JDK server leaves Nagle's algorithm on and writes the response headers and the body
      // separately: the body then waits for the client's delayed ACK (~40 ms on Linux), and both
      // clients measure that wait (about 20 requests per second) instead of themselves. Read once,
      // when the JVM's first server is created, so it is set here, before this one.
      System.setProperty("sun.net.httpserver.nodelay", "true");
      executor = Executors.newFixedThreadPool(SERVER_THREADS);
      InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
      server = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
      server.createContext("/", HttpClientBenchmark::answer);
      server.setExecutor(executor);
      server.start();
      uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
      http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .proxy(HttpClient.Builder.NO_PROXY)
              .build();
      direct = HttpRequest.newBuilder(uri.resolve("/x")).GET().build();
    }

    /** Stops the server and its threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  /** A load balancer with one pool, {@code api}, whose one backend is the server. */
  @State(Scope.Benchmark)
  public static class Balanced {

    /**
     * The retry policy: {@code default}, the client's own default ({@code RetryPolicy.builder()
     * .build()}: what {@code LoadBalancedHttpClient.of(lb)} gives); {@code off}, {@code
     * noRetries()}. No request is ever retried here (every answer is a 200); the difference is the
     * policy's per-request bookkeeping.
     */
    @Param({"default", "off"})
    public String retries = "default";

    LoadBalancer lb;
    LoadBalancedHttpClient client;
    HttpRequest logical;

    /**
     * Builds the load balancer and the client over the backend's JDK client.
     *
     * @param backend the running server and its client
     */
    @Setup(Level.Trial)
    public void setUp(Backend backend) {
      lb =
          LoadBalancer.builder()
              .pool(
                  "api",
                  p -> {
                    p.backend(backend.uri.toString());
                    p.algorithm(Algorithms.roundRobin());
                  })
              .build();
      LoadBalancedHttpClient.Builder b = LoadBalancedHttpClient.builder(lb).client(backend.http);
      switch (retries) {
        case "default" -> {}
        case "off" -> b.noRetries();
        default -> throw new IllegalArgumentException("retries: " + retries);
      }
      client = b.build();
      logical = HttpRequest.newBuilder(URI.create("http://api/x")).GET().build();
    }

    /** Closes the client and the load balancer. */
    @TearDown(Level.Trial)
    public void tearDown() {
      client.close();
      lb.close();
    }
  }

  /** The server's handler: drains the request and answers 200 with {@link #BODY}. */
  static void answer(HttpExchange exchange) throws IOException {
    try {
      exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
      exchange.sendResponseHeaders(200, BODY.length);
      exchange.getResponseBody().write(BODY);
    } finally {
      exchange.close();
    }
  }

  /**
   * The plain JDK client, one thread.
   *
   * @param backend the server and the client
   * @return the body
   * @throws IOException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  public byte[] plainClient1(Backend backend) throws IOException, InterruptedException {
    return backend.http.send(backend.direct, HANDLER).body();
  }

  /**
   * The plain JDK client, four threads.
   *
   * @param backend the server and the client
   * @return the body
   * @throws IOException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  @Threads(4)
  public byte[] plainClient4(Backend backend) throws IOException, InterruptedException {
    return backend.http.send(backend.direct, HANDLER).body();
  }

  /**
   * The plain JDK client through {@code sendAsync(...).get()}, one thread.
   *
   * @param backend the server and the client
   * @return the body
   * @throws ExecutionException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  public byte[] plainAsync1(Backend backend) throws ExecutionException, InterruptedException {
    return backend.http.sendAsync(backend.direct, HANDLER).get().body();
  }

  /**
   * The plain JDK client through {@code sendAsync(...).get()}, four threads.
   *
   * @param backend the server and the client
   * @return the body
   * @throws ExecutionException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  @Threads(4)
  public byte[] plainAsync4(Backend backend) throws ExecutionException, InterruptedException {
    return backend.http.sendAsync(backend.direct, HANDLER).get().body();
  }

  /**
   * The load-balanced client over the same JDK client, one thread.
   *
   * @param balanced the load balancer and the client
   * @return the body
   * @throws IOException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  public byte[] balancedClient1(Balanced balanced) throws IOException, InterruptedException {
    return balanced.client.send(balanced.logical, HANDLER).body();
  }

  /**
   * The load-balanced client over the same JDK client, four threads.
   *
   * @param balanced the load balancer and the client
   * @return the body
   * @throws IOException on an I/O failure
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  @Threads(4)
  public byte[] balancedClient4(Balanced balanced) throws IOException, InterruptedException {
    return balanced.client.send(balanced.logical, HANDLER).body();
  }

  /**
   * The load-balanced client through {@code sendAsync(...).get()}, one thread.
   *
   * @param balanced the load-balanced client
   * @return the body
   * @throws ExecutionException when the request fails
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  public byte[] balancedAsync1(Balanced balanced) throws ExecutionException, InterruptedException {
    return balanced.client.sendAsync(balanced.logical, HANDLER).get().body();
  }

  /**
   * The load-balanced client through {@code sendAsync(...).get()}, four threads.
   *
   * @param balanced the load-balanced client
   * @return the body
   * @throws ExecutionException when the request fails
   * @throws InterruptedException when interrupted
   */
  @Benchmark
  @Threads(4)
  public byte[] balancedAsync4(Balanced balanced) throws ExecutionException, InterruptedException {
    return balanced.client.sendAsync(balanced.logical, HANDLER).get().body();
  }
}
