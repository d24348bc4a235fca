package dev.lb4j.httpclient;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A backend on loopback (the JDK's {@code HttpServer}, port 0) that holds every request it receives
 * until the test {@linkplain #release() releases} it, then answers each with one status and body:
 * a backend as slow as the test wants, with no real delay deciding anything. Tests that run the
 * client on a {@link ManualClock} wait until a request {@linkplain #awaitReceived arrived}, move the
 * clock, and only then let the answer go (or never do, for a backend that never answers).
 *
 * <p>{@link #close()} releases whatever is still held, stops the server and waits for its threads.
 */
final class HeldBackend implements AutoCloseable {

  /** How long the test waits for a request to arrive, and a held request for its release. */
  private static final long WAIT_SECONDS = 10;

  private final int status;
  private final String body;
  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "held-backend");
    t.setDaemon(true);
    return t;
  });
  private final CountDownLatch released = new CountDownLatch(1);
  // Guarded by this.
  private int received;

  HeldBackend(int status, String body) throws IOException {
    this.status = status;
    this.body = body;
    this.server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getRequestBody().readAllBytes();
      synchronized (this) {
        received++;
        notifyAll();
      }
      boolean answer;
      try {
        // Bounded: a test that forgets to release still ends (close releases everything).
        answer = released.await(WAIT_SECONDS * 6, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return; // stopped
      }
      byte[] bytes = (answer ? body : "never released").getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(answer ? status : 500, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException gone) {
      // the client gave up on the exchange (a timeout, a cancel): nothing to answer
    }
  }

  String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The backend id the engine gives this backend. */
  String id() {
    return "127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests received so far (held or answered). */
  synchronized int received() {
    return received;
  }

  /** Waits until {@code count} requests arrived, at most {@value #WAIT_SECONDS} s. */
  synchronized void awaitReceived(int count) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (received < count) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "backend " + id() + ": " + received + " of " + count + " requests within "
                + WAIT_SECONDS + " s");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /** Lets every request held now and every later one have its answer. */
  void release() {
    released.countDown();
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError("backend " + id() + ": threads still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while stopping backend " + id(), e);
    }
  }
}
