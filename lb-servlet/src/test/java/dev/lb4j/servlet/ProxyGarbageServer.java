package dev.lb4j.servlet;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on loopback that answers every request with the same bytes and closes the connection:
 * by default bytes that are not HTTP.
 */
final class ProxyGarbageServer implements AutoCloseable {

  private final ServerSocket socket;
  private final byte[] answer;
  private final Thread thread;
  final AtomicInteger requests = new AtomicInteger();

  ProxyGarbageServer() throws IOException {
    this("SURPRISE garbage-status\r\nnot a header\r\n\r\ngarbage-body"
        .getBytes(StandardCharsets.US_ASCII));
  }

  ProxyGarbageServer(byte[] answer) throws IOException {
    this.answer = answer.clone();
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    thread = new Thread(this::serve, "garbage-backend");
    thread.setDaemon(true);
    thread.start();
  }

  String uri() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket s = socket.accept()) {
        s.setSoTimeout(5_000);
        InputStream in = s.getInputStream();
        // Read the request head (bounded), then answer with garbage and close.
        int state = 0;
        for (int i = 0; i < 65_536 && state < 4; i++) {
          int c = in.read();
          if (c < 0) {
            break;
          }
          state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
              ? state + 1 : 0;
        }
        requests.incrementAndGet();
        s.getOutputStream().write(answer);
        s.getOutputStream().flush();
      } catch (IOException closedOrBroken) {
        // closed by close(), or a connection the proxy gave up on: next one
      }
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
