package dev.lb4j.examples.proxy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * One of the demo's backends: a JDK HTTP server on a free loopback port that answers every request
 * with {@code hello from <name>} and the path it was asked for. It handles requests one at a time
 * on the server's own dispatcher thread, which is plenty for trying the proxy by hand.
 */
final class DemoBackend {

  static {
    // Read once, when the JDK's HTTP server is first used, so it must be set before the first
    // server is created: without it the server's sockets keep Nagle's algorithm on, and a
    // response written in two parts waits for the client's delayed ACK (about 40 ms on Linux).
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private final String name;
  private final HttpServer server;

  private DemoBackend(String name, HttpServer server) {
    this.name = name;
    this.server = server;
  }

  /**
   * Starts a backend on the loopback address, port 0.
   *
   * @param name what it answers with, and its id in the load balancer
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
      in.readAllBytes();
    }
    byte[] body = ("hello from " + name + " (" + exchange.getRequestMethod() + " "
        + exchange.getRequestURI().getRawPath() + ")\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    if (exchange.getRequestMethod().equals("HEAD")) {
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
      return;
    }
    exchange.sendResponseHeaders(200, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** The name it answers with. */
  String name() {
    return name;
  }

  /** Its base URI, such as {@code http://127.0.0.1:40123}. */
  String uri() {
    InetSocketAddress address = server.getAddress();
    String host = address.getAddress().getHostAddress();
    return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + address.getPort();
  }

  /** Closes its port and connections at once. */
  void stop() {
    server.stop(0);
  }
}
