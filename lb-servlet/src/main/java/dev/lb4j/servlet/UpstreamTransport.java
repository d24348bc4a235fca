package dev.lb4j.servlet;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * How the proxy sends one attempt to a backend: the upstream transport. The JDK {@link HttpClient}
 * is the default ({@link #of(HttpClient)}); another HTTP client can take its place through {@link
 * LoadBalancingFilter.Builder#transport(UpstreamTransport)}, for instance one that serves more
 * requests per second on few cores (the end-to-end benchmark in {@code lb-benchmarks} shows the JDK
 * client bounding the proxy's throughput).
 *
 * <p>The shape is the JDK client's {@code sendAsync}, so the request and response stay plain
 * {@code java.net.http} values: the request carries the method, the URI, the headers, the timeout
 * until the response head, and the body as a {@code Flow.Publisher} to subscribe to once; the
 * handler is called with the response head and returns the subscriber the body must be delivered
 * to, with back-pressure (the proxy asks for one item at a time).
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>never blocks: the future completes when the response (head and body) has been delivered, or
 *       exceptionally;
 *   <li>cancelling the returned future aborts the exchange and closes its connection;
 *   <li>failures are the JDK client's exception types, which decide how the load balancer counts
 *       them ({@code dev.lb4j.httpclient.TransportErrors}): {@code ConnectException} (or {@code
 *       HttpConnectTimeoutException}) when no connection could be made, {@code
 *       HttpTimeoutException} when the head did not arrive in time, {@code ProtocolException} when
 *       the response is not valid HTTP, another {@code IOException} when the connection broke;
 *   <li>redirects are not followed, and no {@code Connection}-level or hop-by-hop headers of its
 *       own are added beyond what HTTP/1.1 framing needs.
 * </ul>
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface UpstreamTransport {

  /**
   * Sends one request to a backend.
   *
   * @param request the request as the proxy forwards it
   * @param handler receives the response head and returns the body's subscriber
   * @return completes with the response once its body has been delivered
   */
  CompletableFuture<HttpResponse<@Nullable Void>> send(
      HttpRequest request, HttpResponse.BodyHandler<@Nullable Void> handler);

  /**
   * The JDK client as a transport.
   *
   * @param client the client; use HTTP/1.1, no redirects and no proxy unless you mean them
   * @return the transport
   */
  static UpstreamTransport of(HttpClient client) {
    Objects.requireNonNull(client, "client");
    return client::sendAsync;
  }
}
