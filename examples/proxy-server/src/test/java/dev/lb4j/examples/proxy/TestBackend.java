package dev.lb4j.examples.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend for the tests: a JDK HTTP server on loopback, port 0. Every path answers {@code
 * <name>}; {@link #SLOW_PATH} answers {@link #slowBody(String)} only once the test opens its
 * {@link Gate} (bounded: it gives up after {@link #HOLD_LIMIT_SECONDS}).
 */
final class TestBackend implements AutoCloseable {

  static {
    System.setProperty("sun.net.httpserver.nodelay", "true"); // before the first server
  }

  /** The path whose answer waits for the gate. */
  static final String SLOW_PATH = "/slow";

  /** The longest a slow request is held, should a test never open the gate. */
  static final long HOLD_LIMIT_SECONDS = 60;

  /** Tells the test a slow request arrived; lets the answers go. Shared by the backends. */
  static final class Gate {
    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch open = new CountDownLatch(1);

    boolean awaitArrival(long seconds) throws InterruptedException {
      return arrived.await(seconds, TimeUnit.SECONDS);
    }

    void open() {
      open.countDown();
    }
  }

  private final String name;
  private final Gate gate;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicInteger served = new AtomicInteger();

  private TestBackend(String name, Gate gate) throws IOException {
    this.name = name;
    this.gate = gate;
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    this.executor = Executors.newFixedThreadPool(4);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static TestBackend start(String name, Gate gate) throws IOException {
    return new TestBackend(name, gate);
  }

  /** The body of a slow answer: large enough to take many writes through the proxy. */
  static String slowBody(String name) {
    return "slow answer from " + name + "\n" + "0123456789abcdef".repeat(16_384) + "end\n";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      in.readAllBytes();
    }
    String body = name;
    if (exchange.getRequestURI().getPath().equals(SLOW_PATH)) {
      gate.arrived.countDown();
      try {
        if (!gate.open.await(HOLD_LIMIT_SECONDS, TimeUnit.SECONDS)) {
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        exchange.close();
        return;
      }
      body = slowBody(name);
    }
    served.incrementAndGet();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(200, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  String name() {
    return name;
  }

  int served() {
    return served.get();
  }

  String uri() {
    InetSocketAddress a = server.getAddress();
    return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort();
  }

  /** Opens the gate (so no handler stays blocked), stops the server and its threads. */
  @Override
  public void close() {
    gate.open();
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
