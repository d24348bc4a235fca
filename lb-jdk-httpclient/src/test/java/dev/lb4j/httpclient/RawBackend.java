package dev.lb4j.httpclient;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on loopback that misbehaves in one of the ways a real server can, on a raw {@link
 * ServerSocket}: what no well-behaved test server (WireMock, the JDK's) can be made to send. One
 * thread accepts, one thread per connection answers; {@link #close()} closes every socket and
 * waits for those threads, at most a few seconds.
 */
final class RawBackend implements AutoCloseable {

  /** How the backend answers every request. */
  enum Behaviour {
    /** A status line that is not HTTP at all, then the connection is closed. */
    GARBAGE_STATUS_LINE,
    /** A 200 promising 1,000 bytes, 10 of them, a pause, then a reset (RST). */
    RESET_MID_BODY,
    /** Accepts and reads the request, never answers. */
    ACCEPT_AND_HANG,
    /** A 200 with 100 KB of headers. */
    HUGE_HEADERS,
    /** A 200 promising 100 bytes, sent 1 byte per 100 ms. */
    SLOW_BODY,
    /** Closes every connection as soon as it is accepted. */
    CLOSE_ON_ACCEPT
  }

  private final Behaviour behaviour;
  private final ServerSocket server;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private volatile boolean closed;

  RawBackend(Behaviour behaviour) throws IOException {
    this.behaviour = behaviour;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    Thread acceptor = new Thread(this::acceptLoop, "raw-" + behaviour + "-accept");
    acceptor.setDaemon(true);
    threads.add(acceptor);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  String uri() {
    return "http://127.0.0.1:" + port();
  }

  /** Connections accepted so far. */
  int accepted() {
    return accepted.get();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      accepted.incrementAndGet();
      sockets.add(s);
      Thread t = new Thread(() -> answer(s), "raw-" + behaviour + "-conn");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void answer(Socket s) {
    try (s) {
      if (behaviour == Behaviour.CLOSE_ON_ACCEPT) {
        return;
      }
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      // One request per connection is enough: every answer below ends the connection.
      if (!readRequestHead(in)) {
        return;
      }
      switch (behaviour) {
        case GARBAGE_STATUS_LINE -> write(out, "THIS IS NOT HTTP AT ALL\r\n\r\n");
        case RESET_MID_BODY -> {
          write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789");
          pause(200);
          s.setSoLinger(true, 0); // close() now sends RST
        }
        case ACCEPT_AND_HANG -> {
          while (!closed && in.read() >= 0) {
            // the request's bytes, then nothing: blocks until the client or close() ends it
          }
        }
        case HUGE_HEADERS -> {
          StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
          String pad = "x".repeat(100);
          for (int i = 0; i < 1000; i++) {
            head.append("X-Pad-").append(i).append(": ").append(pad).append("\r\n");
          }
          write(out, head.append("Content-Length: 4\r\nConnection: close\r\n\r\nhuge").toString());
        }
        case SLOW_BODY -> {
          write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n");
          for (int i = 0; i < 100 && !closed; i++) {
            pause(100);
            out.write('x');
            out.flush();
          }
        }
        case CLOSE_ON_ACCEPT -> throw new AssertionError("handled above");
      }
    } catch (IOException e) {
      // the client went away (timed out, cancelled): nothing to do
    }
  }

  /** Reads up to the end of the request's head; {@code false} when the client closed first. */
  private static boolean readRequestHead(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    for (int n = 0; n < 1_000_000; n++) {
      int b = in.read();
      if (b < 0) {
        return false;
      }
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return true;
      }
    }
    return false;
  }

  private static void write(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  private static void pause(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (SocketException ignored) {
        // closed already
      }
    }
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public String toString() {
    return behaviour + " on " + port();
  }
}
