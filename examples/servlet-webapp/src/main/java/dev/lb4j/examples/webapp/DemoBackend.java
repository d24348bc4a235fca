package dev.lb4j.examples.webapp;

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
 * A backend behind the proxy: a JDK {@link HttpServer} on a loopback port the system chooses,
 * answering every request with its name, the method and the path it received, and the client
 * address the proxy reported in {@code X-Forwarded-For}.
 *
 * <p>It handles requests on the JDK server's own dispatcher thread, one at a time, which is all a
 * demo needs; {@link #stop()} ends that thread.
 */
final class DemoBackend {

  static {
    // Read once, when the first JDK server starts. Without it the server's sockets keep Nagle's
    // algorithm on, and a small response written in two parts waits for the client's delayed
    // ACK: about 40 ms a request on Linux.
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
   * Starts a backend on the loopback address, port 0.
   *
   * @param name what it answers with
   * @return the running backend
   * @throws IOException if no port can be bound
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
    served.incrementAndGet();
    String forwardedFor = exchange.getRequestHeaders().getFirst("X-Forwarded-For");
    byte[] body = (name + " answered " + exchange.getRequestMethod() + " "
        + exchange.getRequestURI().getRawPath()
        + (forwardedFor == null ? "" : " for " + forwardedFor) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The name it answers with, also its backend id in the configuration. */
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

  /** The requests it answered. */
  int served() {
    return served.get();
  }

  /** Closes its port and open connections at once and ends its thread. Idempotent. */
  void stop() {
    if (stopped.compareAndSet(false, true)) {
      server.stop(0);
    }
  }
}
