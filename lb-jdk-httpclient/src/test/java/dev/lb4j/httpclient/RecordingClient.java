package dev.lb4j.httpclient;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
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
final class RecordingClient extends ForwardingHttpClient {
  private final List<HttpRequest> sent = new CopyOnWriteArrayList<>();
  private volatile Consumer<HttpRequest> afterExchange = request -> { };

  RecordingClient(HttpClient jdk) {
    super(jdk);
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
      HttpRequest request,
      HttpResponse.BodyHandler<T> handler,
      HttpResponse.@Nullable PushPromiseHandler<T> push) {
    sent.add(request);
    Consumer<HttpRequest> hook = afterExchange;
    return jdk.sendAsync(request, handler, push).whenComplete((r, e) -> hook.accept(request));
  }
}
