package dev.lb4j.httpclient;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The two ways to call a client, for tests that check both: {@link HttpClient#send} (on a thread of
 * its own, so the test waits for it with a bound) and {@link HttpClient#sendAsync}. Either way a
 * failed call throws its failure as {@code send} would, not wrapped in an {@link
 * ExecutionException}, and a call that has not ended within {@value #WAIT_SECONDS} s fails the test.
 */
enum CallMode {
  SEND {
    @Override
    <T> Pending<T> start(
        HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      FutureTask<HttpResponse<T>> task = new FutureTask<>(() -> client.send(request, handler));
      Thread caller = new Thread(task, "send-" + request.uri());
      caller.start();
      return new Pending<>() {
        @Override
        public boolean isDone() {
          return task.isDone();
        }

        @Override
        public HttpResponse<T> await() throws Exception {
          try {
            return task.get(WAIT_SECONDS, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw rethrow(e);
          } catch (TimeoutException e) {
            caller.interrupt();
            caller.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
            throw new AssertionError("send() did not return within " + WAIT_SECONDS + " s", e);
          }
        }
      };
    }
  },
  SEND_ASYNC {
    @Override
    <T> Pending<T> start(
        HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler) {
      CompletableFuture<HttpResponse<T>> future = client.sendAsync(request, handler);
      return new Pending<>() {
        @Override
        public boolean isDone() {
          return future.isDone();
        }

        @Override
        public HttpResponse<T> await() throws Exception {
          try {
            return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw rethrow(e);
          } catch (TimeoutException e) {
            boolean cancelled = future.cancel(true);
            throw new AssertionError("sendAsync() did not complete within " + WAIT_SECONDS
                + " s (cancelled: " + cancelled + ")", e);
          }
        }
      };
    }
  };

  /** A call started and not yet waited for, so the test can move a manual clock meanwhile. */
  interface Pending<T> {
    /** Whether the call ended. */
    boolean isDone();

    /**
     * Waits for the call, at most {@value CallMode#WAIT_SECONDS} s.
     *
     * @throws Exception the call's own failure, unwrapped
     */
    HttpResponse<T> await() throws Exception;
  }

  static final int WAIT_SECONDS = 10;

  /** Starts the call: {@code send} on a thread of its own, or {@code sendAsync}. */
  abstract <T> Pending<T> start(
      HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler);

  /**
   * Sends the request and waits for the response, at most {@value #WAIT_SECONDS} s.
   *
   * @throws Exception the call's own failure, unwrapped
   */
  <T> HttpResponse<T> call(
      HttpClient client, HttpRequest request, HttpResponse.BodyHandler<T> handler)
      throws Exception {
    return start(client, request, handler).await();
  }

  private static Exception rethrow(ExecutionException e) {
    Throwable cause = e.getCause();
    if (cause instanceof Exception ex) {
      return ex;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return e;
  }
}
