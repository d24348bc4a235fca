package dev.lb4j.core.health;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A probe that passes when a TCP connection to the backend's host and port can be established (then
 * closes it). It sends nothing, so it proves the port accepts connections, not that the application
 * answers; use the HTTP probe of {@code lb-jdk-httpclient} for that.
 *
 * <p>Asynchronous: connects through {@link AsynchronousSocketChannel} on a channel group of its own
 * with one daemon thread ({@code lb4j-tcp-probe}), so thousands of backends share one I/O thread and
 * the thread count never grows with them (the JVM's default group would start a thread for every
 * connect that completes while its threads are busy). A host name that is not an IP literal is resolved on up to four daemon threads
 * ({@code lb4j-dns-<n>}), because resolution blocks; the JVM caches answers; idle resolver threads
 * end after a minute. The port is the URI's, or 80 for {@code http} and 443 for {@code https}. When the engine
 * gives up on a probe at its timeout it cancels the returned stage, which closes the connection
 * attempt.
 *
 * <p>Threads are the JVM's, not a load balancer's: the channel group and its one thread ({@code
 * lb4j-tcp-probe}) are created when the class is first used and live as long as the JVM, shared by
 * every load balancer; closing a load balancer does not end them. However many load balancers and
 * backends come and go, TCP probing uses that one thread plus at most four resolver threads (none
 * when backends are IP literals). Not tied to load balancers because any probe may wrap this one
 * (and tests do) without passing {@link #close()} on: a thread whose life depends on every wrapper
 * forwarding {@code close()} would leak where one does not.
 *
 * @since 0.1.0
 */
public final class TcpProbe implements HealthProbe {

  private static final TcpProbe INSTANCE = new TcpProbe();
  private static final ExecutorService RESOLVER = daemonPool("lb4j-dns-", 4);
  private static final AsynchronousChannelGroup GROUP = channelGroup();

  private static AsynchronousChannelGroup channelGroup() {
    try {
      return AsynchronousChannelGroup.withFixedThreadPool(
          1,
          task -> {
            Thread t = new Thread(task, "lb4j-tcp-probe");
            t.setDaemon(true);
            return t;
          });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the TCP probe's channel group", e);
    }
  }

  private static ExecutorService daemonPool(String name, int threads) {
    AtomicInteger count = new AtomicInteger();
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            1,
            TimeUnit.MINUTES,
            new LinkedBlockingQueue<>(),
            task -> {
              Thread t =
                  new Thread(task, threads == 1 ? name : name + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  private TcpProbe() {}

  /**
   * The TCP-connect probe; stateless and shareable.
   *
   * @return the probe
   */
  public static TcpProbe create() {
    return INSTANCE;
  }

  @Override
  public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
    URI uri = backend.uri();
    String host = uri.getHost();
    int port = uri.getPort() != -1 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
    CompletableFuture<HealthResult> result = new CompletableFuture<>();
    if (host == null) {
      result.complete(HealthResult.unhealthy("no host in " + uri));
      return result;
    }
    String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (isIpLiteral(literal)) {
      connect(literal, port, result);
    } else {
      RESOLVER.execute(() -> connect(literal, port, result));
    }
    return result;
  }



  private static void connect(String host, int port, CompletableFuture<HealthResult> result) {
    if (result.isDone()) {
      return; // cancelled while the name was being resolved
    }
    InetSocketAddress address;
    try {
      address = new InetSocketAddress(InetAddress.getByName(host), port);
    } catch (UnknownHostException e) {
      result.complete(HealthResult.unhealthy("unknown host " + host));
      return;
    }
    AsynchronousSocketChannel channel;
    try {
      channel = AsynchronousSocketChannel.open(GROUP);
    } catch (IOException e) {
      result.complete(HealthResult.unhealthy("cannot open a socket: " + e.getMessage()));
      return;
    }
    // Done, timed out or cancelled: close the socket. The returned stage only mirrors `result`.
    @SuppressWarnings("FutureReturnValueIgnored")
    Object unused = result.whenComplete((r, e) -> closeQuietly(channel));
    try {
      channel.connect(
          address,
          null,
          new CompletionHandler<Void, Void>() {
            @Override
            public void completed(Void v, Void attachment) {
              result.complete(HealthResult.healthy());
            }

            @Override
            public void failed(Throwable e, Void attachment) {
              result.complete(
                  HealthResult.unhealthy("connect to " + address + " failed: " + describe(e)));
            }
          });
    } catch (RuntimeException e) { // unsupported address type and the like
      result.complete(HealthResult.unhealthy("connect to " + address + " failed: " + describe(e)));
    }
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message;
  }

  private static void closeQuietly(AsynchronousSocketChannel channel) {
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing useful to do: the probe's verdict stands
    }
  }

  /**
   * True for IPv4 dotted quads (each part 0..255) and IPv6 literals (URI hosts with a colon come from
   * brackets): resolving them performs no lookup.
   */
  static boolean isIpLiteral(String host) {
    if (host.indexOf(':') >= 0) {
      return true;
    }
    int parts = 0;
    int value = -1; // -1: no digit yet in this part
    int digits = 0;
    for (int i = 0; i <= host.length(); i++) {
      char c = i < host.length() ? host.charAt(i) : '.';
      if (c == '.') {
        if (value < 0 || value > 255) {
          return false;
        }
        parts++;
        value = -1;
        digits = 0;
      } else if (c >= '0' && c <= '9' && ++digits <= 3) {
        value = (value < 0 ? 0 : value * 10) + (c - '0');
      } else {
        return false;
      }
    }
    return parts == 4;
  }

  @Override
  public String toString() {
    return "tcp";
  }
}
