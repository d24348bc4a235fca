package dev.lb4j.examples.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny HTTP backend on a loopback port chosen by the system: {@code GET /healthz} answers {@code
 * ok} (for the active health check), every other path answers the backend's name and counts as
 * served.
 *
 * <p>It runs on the JDK server's own dispatcher thread (no executor): requests are handled one at a
 * time, which is all the demo needs, and {@link #stop()} ends that thread.
 */
final class DemoBackend {

  static {
    // Must be set before the JDK's HTTP server reads its configuration (when the first server is
    // created). Without it, the server's socket keeps Nagle's algorithm on, so a small response
    // written in two parts waits for the client's delayed ACK: about 40 ms a request on Linux.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String name;
  private final HttpServer server;
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicBoolean stopped = new AtomicBoolean();

  private DemoBackend(String name, HttpServer server) {
    this.name = name;
    this.server = server;
  }

  /**
   * Starts a backend on {@code 127.0.0.1} (or the loopback address the JDK reports), port 0.
   *
   * @param name what it answers and how the load balancer calls it
   * @return the running backend
   * @throws IOException if no port could be bound
   */
  static DemoBackend start(String name) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    DemoBackend backend = new DemoBackend(name, server);
    server.createContext("/", backend::handle);
    server.start();
    return backend;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      in.readAllBytes(); // a request body, if any, is read before answering
    }
    boolean health = exchange.getRequestURI().getPath().equals("/healthz");
    if (!health) {
      served.incrementAndGet();
    }
    byte[] body = (health ? "ok" : name).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The name it answers with. */
  String name() {
    return name;
  }

  /** Where it listens. */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /** Its base URI, such as {@code http://127.0.0.1:40123}. */
  String uri() {
    InetSocketAddress address = address();
    String host = address.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Requests it answered, health checks not included. */
  int served() {
    return served.get();
  }

  /**
   * Closes the port and every open connection at once (no grace period: the demo wants an abrupt
   * failure), and ends the server's threads. Idempotent.
   */
  void stop() {
    if (stopped.compareAndSet(false, true)) {
      server.stop(0);
    }
  }
}
