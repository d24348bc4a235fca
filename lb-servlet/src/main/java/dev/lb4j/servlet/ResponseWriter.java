package dev.lb4j.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Writes the client's response with the servlet's non-blocking output ({@link WriteListener}):
 * either the backend's body, as the JDK client's body subscriber, or a short error of the proxy's
 * own. The backend's body is asked for one item at a time, and the next only once the container
 * took the last one without blocking, so a slow client slows the backend's connection down instead
 * of filling memory, and no thread waits for either side.
 *
 * <p>Every write happens inside {@link #drain()}, which runs on one thread at a time; the
 * container's callbacks, the JDK client's and the exchange's decisions only signal it.
 */
final class ResponseWriter implements WriteListener {

  /** An error response the proxy writes itself, waiting for {@link #drain()}. */
  private record ErrorResponse(int status, String reason, String message) {}

  private final AsyncContext async;
  private final HttpServletResponse response;
  private final ServletOutputStream out;
  private final Runnable onClientFailure;
  private final ConcurrentLinkedQueue<ByteBuffer> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicBoolean completed = new AtomicBoolean();
  private final CompletableFuture<@Nullable Void> written = new CompletableFuture<>();
  private volatile Flow.@Nullable Subscription upstream;
  private volatile boolean requested;
  private volatile boolean ended;
  private volatile boolean aborted;
  private volatile @Nullable ErrorResponse error;

  ResponseWriter(
      AsyncContext async,
      HttpServletResponse response,
      ServletOutputStream out,
      Runnable onClientFailure) {
    this.async = async;
    this.response = response;
    this.out = out;
    this.onClientFailure = onClientFailure;
  }

  @Override
  public void onWritePossible() {
    drain();
  }

  @Override
  public void onError(Throwable t) {
    clientFailed(t);
  }

  /** The subscriber for the backend's body; its result completes once the body is written. */
  HttpResponse.BodySubscriber<@Nullable Void> body() {
    return new Upstream();
  }

  /**
   * Writes a body that is already whole: a response kept aside for a retry that did not follow.
   * The head must be set first.
   */
  void whole(List<ByteBuffer> body) {
    for (ByteBuffer b : body) {
      if (b.hasRemaining()) {
        queue.add(b);
      }
    }
    ended = true;
    drain();
  }

  /**
   * Answers with the proxy's own error, unless the response is already committed: then the
   * exchange is aborted, as nothing truthful can follow a response that started.
   */
  void error(int status, String reason, String message) {
    error = new ErrorResponse(status, reason, message);
    drain();
  }

  /** Stops: the upstream body is cancelled and the exchange ends without another byte. */
  void abort() {
    aborted = true;
    drain();
  }

  private void clientFailed(Throwable t) {
    if (!written.isDone()) {
      written.completeExceptionally(new ClientGoneException(t));
    }
    onClientFailure.run();
    abort();
  }

  private void drain() {
    if (wip.getAndIncrement() != 0) {
      return;
    }
    int missed = 1;
    do {
      work();
      missed = wip.addAndGet(-missed);
    } while (missed != 0);
  }

  private void work() {
    if (completed.get()) {
      return;
    }
    try {
      if (aborted) {
        Flow.Subscription s = upstream;
        if (s != null) {
          s.cancel();
        }
        complete();
        return;
      }
      ErrorResponse e = error;
      if (e != null) {
        error = null;
        if (response.isCommitted()) {
          aborted = true;
          work();
          return;
        }
        writeError(e);
      }
      // Bounded: each pass writes a queued buffer or returns.
      while (true) {
        ByteBuffer b = queue.peek();
        if (b == null) {
          if (ended) {
            if (out.isReady()) { // the last write is flushed
              written.complete(null);
              complete();
            }
            return;
          }
          Flow.Subscription s = upstream;
          if (s != null && !requested) {
            requested = true;
            s.request(1);
          }
          return;
        }
        if (!out.isReady()) {
          return; // the container calls onWritePossible
        }
        if (b.hasArray()) {
          out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
        } else {
          byte[] copy = new byte[b.remaining()];
          b.duplicate().get(copy);
          out.write(copy);
        }
        queue.poll();
      }
    } catch (IOException | RuntimeException failure) {
      if (!written.isDone()) {
        written.completeExceptionally(new ClientGoneException(failure));
      }
      onClientFailure.run();
      aborted = true;
      Flow.Subscription s = upstream;
      if (s != null) {
        s.cancel();
      }
      complete();
    }
  }

  private void writeError(ErrorResponse e) {
    Flow.Subscription s = upstream;
    if (s != null) {
      s.cancel();
      upstream = null;
    }
    queue.clear();
    response.reset();
    byte[] bytes =
        (e.status() + " " + e.message() + "\n").getBytes(StandardCharsets.UTF_8);
    response.setStatus(e.status());
    response.setHeader(LoadBalancingFilter.ERROR_HEADER, e.reason());
    response.setContentType("text/plain;charset=utf-8");
    response.setContentLength(bytes.length);
    queue.add(ByteBuffer.wrap(bytes));
    ended = true;
  }

  private void complete() {
    if (completed.compareAndSet(false, true)) {
      try {
        async.complete();
      } catch (IllegalStateException alreadyCompleted) {
        // The container completed the request itself (an error it detected first).
      }
    }
  }

  /** The backend's body, one item at a time. */
  private final class Upstream implements HttpResponse.BodySubscriber<@Nullable Void> {

    @Override
    public CompletionStage<@Nullable Void> getBody() {
      return written;
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      upstream = subscription;
      drain();
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      for (ByteBuffer b : item) {
        if (b.hasRemaining()) {
          queue.add(b);
        }
      }
      requested = false;
      drain();
    }

    @Override
    public void onError(Throwable throwable) {
      // The backend's body broke off; the exchange decides what the client gets.
      written.completeExceptionally(throwable);
    }

    @Override
    public void onComplete() {
      ended = true;
      drain();
    }
  }

  /** The client went away (or its connection failed) while the response was being written. */
  static final class ClientGoneException extends IOException {
    private static final long serialVersionUID = 1L;

    ClientGoneException(Throwable cause) {
      super("the client's connection failed: " + cause, cause);
    }
  }
}
