package dev.lb4j.httpclient;

import dev.lb4j.api.Backend;
import dev.lb4j.api.HealthProbe;
import dev.lb4j.api.HealthResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.jspecify.annotations.Nullable;

/**
 * A health probe that sends an HTTP {@code GET} or {@code HEAD} for a path to each backend and
 * passes when the status is in the expected range (by default 200..399) and, optionally, the body
 * contains a given text. Asynchronous ({@link HttpClient#sendAsync}), so thousands of backends share
 * one client's connections and threads. Thread-safe; build one with {@link #builder(String)}.
 *
 * <p>Threads: without a {@linkplain Builder#client client of your own}, every such probe in the JVM
 * shares one JDK client, created on the first check. It runs on at most two daemon threads ({@code
 * lb4j-http-probe-N}) that exist only while a load balancer using such a probe is open: {@link
 * #close()}, which the load balancer calls when it closes, gives the client back, and the last one
 * given back stops those threads before {@code close()} returns. The client itself cannot be closed
 * on JDK 17 (its selector thread, {@code HttpClient-N-SelectorManager}, ends only when the client is
 * garbage-collected), so that one selector thread stays for the life of the JVM, however many load
 * balancers come and go. A client you pass is yours: the probe never closes it, and its threads are
 * whatever its executor makes.
 *
 * <p>The request goes to the backend's URI resolved against the path, with the timeout the engine
 * passes, {@code User-Agent: lb4j-health} and {@code Connection}-reuse as the client does it. A
 * failure's reason names the status, the missing text, or the I/O error; the engine turns it into
 * the backend's state and events.
 *
 * @since 0.1.0
 */
public final class HttpProbe implements HealthProbe {

  private static final int MAX_BODY_CHECKED = 64 * 1024;

  private final String path;
  private final String method;
  private final int minStatus;
  private final int maxStatus;
  private final @Nullable String bodyContains;
  /** The caller's client, or null for the shared one. */
  private final @Nullable HttpClient ownClient;
  private final Object holdLock = new Object();
  /** The shared client while this probe holds it; guarded by {@code holdLock}. */
  private @Nullable HttpClient held;

  private HttpProbe(Builder b) {
    this.path = b.path;
    this.method = b.method;
    this.minStatus = b.minStatus;
    this.maxStatus = b.maxStatus;
    this.bodyContains = b.bodyContains;
    this.ownClient = b.client;
  }

  /** The caller's client, else the shared one, taking a hold on it if this probe has none. */
  private HttpClient client() {
    HttpClient own = ownClient;
    if (own != null) {
      return own;
    }
    synchronized (holdLock) {
      HttpClient c = held;
      if (c == null) {
        c = SharedProbeClient.acquire();
        held = c;
      }
      return c;
    }
  }

  /**
   * Gives back this probe's hold on the shared client; the last hold given back stops the shared
   * client's threads (see the class comment). A check after {@code close()} takes a hold again, so
   * a probe shared by several load balancers keeps working while any of them is open. Does nothing
   * to a client passed to the builder.
   */
  @Override
  public void close() {
    boolean release;
    synchronized (holdLock) {
      release = held != null;
      held = null;
    }
    if (release) {
      SharedProbeClient.release();
    }
  }

  /**
   * Starts building a probe of {@code path}.
   *
   * @param path an absolute path such as {@code /healthz}, optionally with a query
   * @return a builder: GET, 200..399, no body check, the shared client
   */
  public static Builder builder(String path) {
    return new Builder(path);
  }

  /**
   * A GET probe of {@code path} expecting 200..399.
   *
   * @param path an absolute path such as {@code /healthz}
   * @return the probe
   */
  public static HttpProbe of(String path) {
    return builder(path).build();
  }

  @Override
  public CompletionStage<HealthResult> check(Backend backend, Duration timeout) {
    URI target;
    try {
      target = backend.uri().resolve(path);
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(
          HealthResult.unhealthy("cannot build the probe URI from " + backend.uri() + ": " + e));
    }
    HttpRequest request =
        HttpRequest.newBuilder(target)
            .timeout(timeout)
            .header("User-Agent", "lb4j-health")
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    CompletableFuture<HttpResponse<String>> response =
        client().sendAsync(
            request,
            method.equals("HEAD") || bodyContains == null
                ? HttpResponse.BodyHandlers.replacing("")
                : HttpResponse.BodyHandlers.ofString());
    CompletableFuture<HealthResult> result =
        response.handle(
            (r, error) -> error != null ? failed(target, error) : judge(target, r));
    // Cancelling the result (the engine does at its timeout) cancels the exchange.
    @SuppressWarnings("FutureReturnValueIgnored") // only mirrors `result`
    Object unused = result.whenComplete(
        (r, e) -> {
          if (result.isCancelled()) {
            response.cancel(true);
          }
        });
    return result;
  }

  private HealthResult judge(URI target, HttpResponse<String> response) {
    int status = response.statusCode();
    if (status < minStatus || status > maxStatus) {
      return HealthResult.unhealthy(
          method + " " + target + " answered " + status + " (expected " + minStatus + ".."
              + maxStatus + ")");
    }
    String expected = bodyContains;
    if (expected != null) {
      String body = response.body();
      String checked = body.length() > MAX_BODY_CHECKED ? body.substring(0, MAX_BODY_CHECKED) : body;
      if (!checked.contains(expected)) {
        return HealthResult.unhealthy(
            method + " " + target + " answered " + status + " without '" + expected
                + "' in the body");
      }
    }
    return HealthResult.healthy();
  }

  private static HealthResult failed(URI target, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null
        ? error.getCause() : error;
    String message = cause.getMessage();
    return HealthResult.unhealthy(
        "request to " + target + " failed: " + cause.getClass().getSimpleName()
            + (message == null ? "" : " " + message));
  }

  /**
   * Probes are equal when they check the same way (path, method, statuses, body text) through the
   * same client: the shared one, or the same client passed to both builders. A reconfiguration
   * keeps a pool whose probe is equal, so a reload that names the same probe restarts nothing.
   */
  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HttpProbe p
        && path.equals(p.path)
        && method.equals(p.method)
        && minStatus == p.minStatus
        && maxStatus == p.maxStatus
        && java.util.Objects.equals(bodyContains, p.bodyContains)
        && ownClient == p.ownClient;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(path, method, minStatus, maxStatus, bodyContains)
        + System.identityHashCode(ownClient);
  }

  @Override
  public String toString() {
    return "http " + method + " " + path + " expecting " + minStatus + ".." + maxStatus
        + (bodyContains == null ? "" : " and '" + bodyContains + "'");
  }

  /**
   * Builds an {@link HttpProbe}. Messages name the field ({@code healthCheck.http.path}), the value
   * and what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private final String path;
    private String method = "GET";
    private int minStatus = 200;
    private int maxStatus = 399;
    private @Nullable String bodyContains;
    private @Nullable HttpClient client;

    private Builder(String path) {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/") || path.startsWith("//") || path.contains("#")
          || path.chars().anyMatch(c -> c <= ' ' || c >= 0x7f)) {
        throw new IllegalArgumentException(
            "healthCheck.http.path: '" + path + "' (expected: an absolute path such as /healthz,"
                + " optionally with a query; no spaces, fragment or authority)");
      }
      this.path = path;
    }

    /**
     * Sets the method.
     *
     * @param method {@code GET} or {@code HEAD}
     * @return this builder
     */
    public Builder method(String method) {
      String m = Objects.requireNonNull(method, "method").toUpperCase(Locale.ROOT);
      if (!m.equals("GET") && !m.equals("HEAD")) {
        throw new IllegalArgumentException(
            "healthCheck.http.method: '" + method + "' (expected: GET or HEAD)");
      }
      this.method = m;
      return this;
    }

    /**
     * Sets the statuses that pass.
     *
     * @param min the lowest, 100..599
     * @param max the highest, min..599
     * @return this builder
     */
    public Builder expectStatus(int min, int max) {
      if (min < 100 || min > 599 || max < min || max > 599) {
        throw new IllegalArgumentException(
            "healthCheck.http.expectStatus: " + min + ".." + max
                + " (expected: a range within 100..599, low to high)");
      }
      this.minStatus = min;
      this.maxStatus = max;
      return this;
    }

    /**
     * Also requires the body (its first 64 KiB) to contain a text. Only with GET.
     *
     * @param text a non-empty text, such as {@code "UP"}
     * @return this builder
     */
    public Builder bodyContains(String text) {
      Objects.requireNonNull(text, "text");
      if (text.isEmpty()) {
        throw new IllegalArgumentException(
            "healthCheck.http.bodyContains: '' (expected: a non-empty text)");
      }
      this.bodyContains = text;
      return this;
    }

    /**
     * Uses an existing client (its executor, TLS settings, proxy); the probe never closes it and
     * its threads are the client's business. Default: one client shared by every probe in the JVM
     * that has none of its own, without redirects, with a 5 s connect timeout, on at most two
     * threads that live while a load balancer using such a probe is open.
     *
     * @param client the client
     * @return this builder
     */
    public Builder client(HttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Checks the settings and builds the probe.
     *
     * @return the probe
     * @throws IllegalArgumentException if a body check is combined with HEAD
     */
    public HttpProbe build() {
      if (bodyContains != null && method.equals("HEAD")) {
        throw new IllegalArgumentException(
            "healthCheck.http.bodyContains: '" + bodyContains
                + "' with method HEAD (expected: GET, since HEAD responses have no body)");
      }
      return new HttpProbe(this);
    }
  }
}
