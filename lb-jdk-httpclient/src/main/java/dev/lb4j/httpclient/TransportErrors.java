package dev.lb4j.httpclient;

import dev.lb4j.api.ErrorKind;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.ProtocolException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.util.concurrent.CancellationException;
import javax.net.ssl.SSLHandshakeException;
import org.jspecify.annotations.Nullable;

/**
 * How a failed exchange of the JDK HTTP client counts: the {@link ErrorKind} that health checking,
 * outlier detection and the retry policy see. Every adapter that sends with {@code java.net.http}
 * (the load-balanced client, the servlet proxy) classifies the same way.
 *
 * @since 0.1.0
 */
public final class TransportErrors {

  private static final int MAX_CAUSES = 16;

  private TransportErrors() {}

  /**
   * The error kind of an exchange's failure, unwrapped from {@code CompletionException} and
   * {@code ExecutionException} by the caller:
   *
   * <ul>
   *   <li>{@link ErrorKind#CANCELLED}: the exchange was cancelled;
   *   <li>{@link ErrorKind#CONNECT}: no connection (refused, unreachable, unknown or unresolved
   *       host, TLS handshake, connect timeout);
   *   <li>{@link ErrorKind#TIMEOUT}: no response head in time;
   *   <li>{@link ErrorKind#PROTOCOL}: the response is not valid HTTP;
   *   <li>{@link ErrorKind#RESET}: any other I/O failure (reset, closed, end of stream before a
   *       complete response).
   * </ul>
   *
   * @param t the failure
   * @return the kind, or {@code null} when it is not an I/O failure of the exchange (such as what
   *     a caller's body publisher or handler threw, which the JDK wraps in a plain {@code
   *     IOException})
   */
  public static @Nullable ErrorKind classify(Throwable t) {
    if (t instanceof CancellationException) {
      return ErrorKind.CANCELLED;
    }
    if (t instanceof HttpConnectTimeoutException) {
      return ErrorKind.CONNECT;
    }
    if (t instanceof HttpTimeoutException) {
      return ErrorKind.TIMEOUT;
    }
    int depth = 0;
    for (Throwable c = t; c != null && depth < MAX_CAUSES; c = c.getCause(), depth++) {
      if (c instanceof ConnectException
          || c instanceof NoRouteToHostException
          || c instanceof UnknownHostException
          || c instanceof UnresolvedAddressException
          || c instanceof SSLHandshakeException) {
        return ErrorKind.CONNECT;
      }
    }
    if (t.getClass() == IOException.class
        && (t.getCause() instanceof RuntimeException || t.getCause() instanceof Error)) {
      return null; // the JDK's send wraps what the caller's body publisher or handler threw
    }
    depth = 0;
    for (Throwable c = t; c != null && depth < MAX_CAUSES; c = c.getCause(), depth++) {
      if (c instanceof ProtocolException) {
        return ErrorKind.PROTOCOL;
      }
    }
    if (t instanceof IOException) {
      return ErrorKind.RESET; // reset, closed, EOF before a complete response
    }
    return null;
  }
}
