package dev.lb4j.httpclient;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.jspecify.annotations.Nullable;

/**
 * A wrapped client for {@link LoadBalancedHttpClient} that sends through a JDK client, records
 * every request it is given (each one is an attempt, as the load-balanced client forwarded it), and
 * runs a hook once each exchange has ended, before the load-balanced client learns the result: the
 * place to change the load balancer "while the response was on its way".
 *
 * <p>Not for cancellation tests: the future {@code sendAsync} returns is a stage after the JDK's,
 * so cancelling it does not cancel the JDK's exchange.
 */
final class RecordingClient extends HttpClient {
  private final HttpClient jdk;
  private final List<HttpRequest> sent = new CopyOnWriteArrayList<>();
  private volatile Consumer<HttpRequest> afterExchange = request -> { };

  RecordingClient(HttpClient jdk) {
    this.jdk = jdk;
  }

  /** The attempts sent so far, oldest first. */
  List<HttpRequest> sent() {
    return List.copyOf(sent);
  }

  /** Runs {@code hook} with the attempt's request each time an exchange ends, failed or not. */
  void afterExchange(Consumer<HttpRequest> hook) {
    this.afterExchange = hook;
  }

  @Override
  public Optional<CookieHandler> cookieHandler() {
    return jdk.cookieHandler();
  }

  @Override
  public Optional<Duration> connectTimeout() {
    return jdk.connectTimeout();
  }

  @Override
  public Redirect followRedirects() {
    return jdk.followRedirects();
  }

  @Override
  public Optional<ProxySelector> proxy() {
    return jdk.proxy();
  }

  @Override
  public SSLContext sslContext() {
    return jdk.sslContext();
  }

  @Override
  public SSLParameters sslParameters() {
    return jdk.sslParameters();
  }

  @Override
  public Optional<Authenticator> authenticator() {
    return jdk.authenticator();
  }

  @Override
  public Version version() {
    return jdk.version();
  }

  @Override
  public Optional<Executor> executor() {
    return jdk.executor();
  }

  @Override
  public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws IOException, InterruptedException {
    sent.add(request);
    try {
      return jdk.send(request, handler);
    } finally {
      afterExchange.accept(request);
    }
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request, HttpResponse.BodyHandler<T> handler) {
    return sendAsync(request, handler, null);
  }

  @Override
  public <T> CompletableFuture<HttpResponse<T>> sendAsync(
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> push) {
    sent.add(request);
    Consumer<HttpRequest> hook = afterExchange;
    return jdk.sendAsync(request, handler, push).whenComplete((r, e) -> hook.accept(request));
  }
}
