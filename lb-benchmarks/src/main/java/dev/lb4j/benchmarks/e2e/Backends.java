package dev.lb4j.benchmarks.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Loopback HTTP backends for the end-to-end benchmark: one JDK {@link HttpServer} per port given
 * on the command line, each answering every request with {@code 200} and the same small body. The
 * handler runs on the server's dispatcher thread (no executor), which on a small machine is
 * faster than handing each exchange to a pool. Prints {@code backends ready} once every port is
 * bound, then runs until the process is stopped.
 *
 * <pre>java -cp benchmarks.jar dev.lb4j.benchmarks.e2e.Backends 38081 38082 38083</pre>
 */
public final class Backends {

  private static final byte[] BODY = "hello from lb4j e2e backend\n".getBytes(StandardCharsets.US_ASCII);

  private Backends() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length == 0) {
      System.err.println("usage: Backends PORT...");
      System.exit(2);
    }
    List<Integer> ports = new ArrayList<>();
    for (String arg : args) {
      ports.add(Integer.parseInt(arg));
    }
    List<HttpServer> servers = start(ports);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  servers.forEach(server -> server.stop(0));
                  stopped.countDown();
                }));
    System.out.println("backends ready on " + String.join(", ", args));
    System.out.flush();
    stopped.await();
  }

  /**
   * Starts one backend on each loopback port (0 for any free port) and returns them, started. Each
   * names its own port in an {@code X-Backend} header, so a caller can see where a proxy sent it.
   */
  static List<HttpServer> start(List<Integer> ports) throws IOException {
    // Read once, when the JDK server's configuration class loads: set before the first server.
    // Without it every small response waits on Nagle's algorithm and the client's delayed ACK.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    InetAddress loopback = InetAddress.getLoopbackAddress();
    List<HttpServer> servers = new ArrayList<>();
    for (int port : ports) {
      HttpServer server = HttpServer.create(new InetSocketAddress(loopback, port), 1024);
      String name = Integer.toString(server.getAddress().getPort());
      server.createContext("/", exchange -> handle(exchange, name));
      server.start();
      servers.add(server);
    }
    return servers;
  }

  private static void handle(HttpExchange exchange, String name) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.getResponseHeaders().set("X-Backend", name);
    exchange.sendResponseHeaders(200, BODY.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(BODY);
    }
  }
}
