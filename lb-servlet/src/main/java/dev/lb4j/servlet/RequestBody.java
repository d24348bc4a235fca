package dev.lb4j.servlet;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * The client's request body as the JDK client's body publisher, read with the servlet's
 * non-blocking input ({@link ReadListener}): a chunk is read only when the upstream connection asked
 * for one and the container says it can be read without blocking, so the body streams through with
 * at most one chunk in hand and no thread ever waits for the client.
 *
 * <p>Every read happens inside {@link #drain()}, which runs on one thread at a time (the thread that
 * finds the work counter at zero does the work of every signal that arrives meanwhile): the
 * container's listener callbacks and the JDK client's demand both only signal it, and no lock is
 * held while calling into either side.
 */
final class RequestBody implements HttpRequest.BodyPublisher, ReadListener {

  private static final int CHUNK = 16 * 1024;

  private final ServletInputStream in;
  private final long length;
  private final Runnable onClientFailure;
  private final AtomicReference<Flow.@Nullable Subscriber<? super ByteBuffer>> subscriber =
      new AtomicReference<>();
  private final AtomicInteger wip = new AtomicInteger();
  private final AtomicLong demand = new AtomicLong();
  private final byte[] buffer = new byte[CHUNK];
  private volatile boolean cancelled;
  private volatile @Nullable Throwable failure;
  private boolean terminated; // read and written by drain() only

  RequestBody(ServletInputStream in, long length, Runnable onClientFailure) {
    this.in = in;
    this.length = length;
    this.onClientFailure = onClientFailure;
  }

  @Override
  public long contentLength() {
    return length;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
    if (!subscriber.compareAndSet(null, s)) {
      // The body streams from the client once; the loop never retries a request that has one.
      s.onSubscribe(new Flow.Subscription() {
        @Override
        public void request(long n) {}

        @Override
        public void cancel() {}
      });
      s.onError(new IllegalStateException("the client's request body can be sent only once"));
      return;
    }
    s.onSubscribe(
        new Flow.Subscription() {
          @Override
          public void request(long n) {
            if (n <= 0) {
              failure = new IllegalArgumentException("request: " + n + " (expected: > 0)");
            } else {
              demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            }
            drain();
          }

          @Override
          public void cancel() {
            cancelled = true;
          }
        });
    drain();
  }

  @Override
  public void onDataAvailable() {
    drain();
  }

  @Override
  public void onAllDataRead() {
    drain();
  }

  @Override
  public void onError(Throwable t) {
    failure = t;
    onClientFailure.run();
    drain();
  }

  /** Whether reading the client's body failed (the client went away). */
  boolean failed() {
    return failure != null;
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
    Flow.Subscriber<? super ByteBuffer> s = subscriber.get();
    if (terminated || s == null) {
      return;
    }
    if (cancelled) {
      terminated = true;
      return;
    }
    Throwable f = failure;
    if (f != null) {
      terminated = true;
      s.onError(f);
      return;
    }
    boolean eof = false;
    try {
      // Bounded by the demand the JDK client granted and by what the container has buffered.
      while (demand.get() > 0 && !cancelled && !in.isFinished()) {
        if (!in.isReady()) {
          return; // the container calls onDataAvailable when more arrives
        }
        int n = in.read(buffer);
        if (n < 0) {
          eof = true;
          break;
        }
        if (n > 0) {
          demand.decrementAndGet();
          s.onNext(ByteBuffer.wrap(Arrays.copyOf(buffer, n)));
        }
      }
      if (!cancelled && (eof || in.isFinished())) {
        terminated = true;
        s.onComplete();
      }
    } catch (IOException | RuntimeException e) {
      terminated = true;
      failure = e;
      onClientFailure.run();
      s.onError(e);
    }
  }
}
