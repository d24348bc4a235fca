package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the caller's body handler has seen decides whether an attempt may be retried, and who is to
 * blame when the body fails, through {@code send} and {@code sendAsync}:
 *
 * <ul>
 *   <li>a response whose body the backend cuts off after the caller's handler got part of it fails
 *       the call (a retry would hand the handler a second response's bytes after the first's) and
 *       counts against the backend;
 *   <li>the same cut before anything reached the caller (a retryable status, kept aside) is
 *       retried;
 *   <li>a failure the caller's handler produces itself (a file it cannot create, a body it cannot
 *       parse) is the caller's: the backend's answer counts by its status and nothing is retried.
 * </ul>
 *
 * <p>The cut-off backend is a raw socket server on loopback: headers with {@code Content-Length:
 * 10}, then 5 bytes, then the connection closes. Every first attempt goes to it ({@link InOrder});
 * a retry would go to a WireMock backend that answers {@code 0123456789}.
 */
@Timeout(60)
class CallerBodyHandlerTest extends WireMockPoolFixture {

  private static final String PART = "hello";
  private static final String WHOLE = "0123456789";

  private @Nullable CutBodyServer cut;
  private WireMockServer good;

  @BeforeEach
  void startGood() {
    good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody(WHOLE)));
  }

  @AfterEach
  void stopCut() throws Exception {
    CutBodyServer c = cut;
    if (c != null) {
      c.stop();
    }
  }

  private LoadBalancedHttpClient client(int cutStatus) throws IOException {
    CutBodyServer c = new CutBodyServer(cutStatus);
    cut = c;
    return balance(fastRetries().build(), p -> p.algorithm(new InOrder()),
        List.of(uri(c.port()), uri(good)));
  }

  private CutBodyServer cut() {
    CutBodyServer c = cut;
    if (c == null) {
      throw new IllegalStateException("client(...) first");
    }
    return c;
  }

  /** Collects what a {@code ofByteArrayConsumer} handler is given. */
  private static final class Collected implements Consumer<Optional<byte[]>> {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean ended;

    @Override
    public synchronized void accept(Optional<byte[]> chunk) {
      if (chunk.isPresent()) {
        bytes.writeBytes(chunk.get());
      } else {
        ended = true;
      }
    }

    synchronized String text() {
      return bytes.toString(StandardCharsets.US_ASCII);
    }

    synchronized boolean ended() {
      return ended;
    }
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBodyCutAfterTheCallersHandlerGotPartOfItFailsTheCallWithoutARetry(CallMode mode)
      throws Exception {
    LoadBalancedHttpClient client = client(200);
    Collected consumer = new Collected();

    assertThatThrownBy(() -> mode.call(client, request("/download", 0).GET().build(),
            HttpResponse.BodyHandlers.ofByteArrayConsumer(consumer)))
        .isInstanceOf(IOException.class);

    assertThat(consumer.text())
        .as("the handler saw the first backend's bytes, and no other backend's")
        .isEqualTo(PART);
    assertThat(consumer.ended()).as("the cut body never looked complete").isFalse();
    assertThat(cut().requests()).as("requests to the backend that cut the body").isEqualTo(1);
    assertThat(received(good)).as("requests to the other backend: no retry").isEmpty();
    assertThat(poolStats().retries()).isZero();
    BackendStats s = stats(id(cut().port()));
    assertThat(s.failures()).as("a body cut off is the backend's failure").isEqualTo(1);
    assertThat(s.completed()).isEqualTo(1);
    assertThat(s.cancelled()).isZero();
    assertThat(s.inFlight()).isZero();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBodyCutBeforeAnythingReachedTheCallerIsRetriedAndTheCallerSeesOnlyTheRetry(CallMode mode)
      throws Exception {
    // 503 is retryable: its body is kept aside, not given to the caller's handler, so the cut
    // costs the caller nothing and the retry may go ahead.
    LoadBalancedHttpClient client = client(503);
    Collected consumer = new Collected();

    HttpResponse<Void> r = mode.call(client, request("/download", 0).GET().build(),
        HttpResponse.BodyHandlers.ofByteArrayConsumer(consumer));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.uri().getPort()).isEqualTo(good.port());
    assertThat(consumer.text()).isEqualTo(WHOLE);
    assertThat(consumer.ended()).isTrue();
    assertThat(cut().requests()).isEqualTo(1);
    assertThat(received(good)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(1);
    assertThat(stats(id(cut().port())).failures()).isEqualTo(1);
    assertThat(stats(id(good)).failures()).isZero();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aFileTheCallersHandlerCannotCreateIsNotTheBackendsFailureAndIsNotRetried(
      CallMode mode, @TempDir Path dir) throws Exception {
    WireMockServer first = server();
    first.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("report")));
    LoadBalancedHttpClient client = balance(fastRetries().build(),
        p -> p.algorithm(new InOrder()), List.of(uri(first), uri(good)));
    Path nowhere = dir.resolve("no-such-directory").resolve("report.txt");

    assertThatThrownBy(() -> mode.call(client, request("/report", 0).GET().build(),
            HttpResponse.BodyHandlers.ofFile(nowhere)))
        .isInstanceOf(IOException.class);

    assertThat(Files.exists(nowhere.getParent())).isFalse();
    assertThat(received(first)).hasSize(1);
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertCompletedWith200(stats(id(first)));
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBodyTheCallersHandlerCannotParseIsNotTheBackendsFailureAndIsNotRetried(CallMode mode)
      throws Exception {
    WireMockServer first = server();
    first.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("{not json")));
    LoadBalancedHttpClient client = balance(fastRetries().build(),
        p -> p.algorithm(new InOrder()), List.of(uri(first), uri(good)));

    assertThatThrownBy(() -> mode.call(client, request("/users/7", 0).GET().build(),
            info -> new FailingParser()))
        .isInstanceOf(IOException.class)
        .satisfies(e -> assertThat(causes(e)).anySatisfy(
            c -> assertThat(c).hasMessage(FailingParser.MESSAGE)));

    assertThat(received(first)).hasSize(1);
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(poolStats().retries()).isZero();
    assertCompletedWith200(stats(id(first)));
  }

  private void assertCompletedWith200(BackendStats s) {
    assertThat(s.completed()).as("the backend's answer counted by its status").isEqualTo(1);
    assertThat(s.failures()).as("failures of %s", s.id()).isZero();
    assertThat(s.cancelled()).isZero();
    assertThat(s.inFlight()).isZero();
    assertThat(poolStats().inFlight()).isZero();
  }

  private static List<Throwable> causes(Throwable t) {
    List<Throwable> out = new java.util.ArrayList<>();
    for (Throwable c = t; c != null && out.size() < 20; c = c.getCause()) {
      out.add(c);
    }
    return out;
  }

  /**
   * A body subscriber that reads the whole body, then fails to parse it with an {@link
   * IOException} of its own: the JDK reported no transport failure to it.
   */
  private static final class FailingParser implements HttpResponse.BodySubscriber<String> {
    static final String MESSAGE = "not JSON: the parser gave up";
    private final HttpResponse.BodySubscriber<byte[]> bytes =
        HttpResponse.BodySubscribers.ofByteArray();

    @Override
    public CompletionStage<String> getBody() {
      return bytes.getBody().thenCompose(b -> CompletableFuture.failedFuture(
          new IOException(MESSAGE)));
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      bytes.onSubscribe(subscription);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      bytes.onNext(item);
    }

    @Override
    public void onError(Throwable throwable) {
      bytes.onError(throwable);
    }

    @Override
    public void onComplete() {
      bytes.onComplete();
    }
  }

  /**
   * A raw HTTP/1.1 server on loopback that answers every request with its status, {@code
   * Content-Length: 10} and only {@value #PART}, then closes the connection: the headers arrive,
   * the body is cut. Serves on one thread of its own, at most 100 connections, until closed.
   */
  private static final class CutBodyServer {
    private final ServerSocket socket;
    private final byte[] answer;
    private final AtomicInteger requests = new AtomicInteger();
    private final Thread thread;

    CutBodyServer(int status) throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}));
      answer = ("HTTP/1.1 " + status + " Whatever\r\n"
          + "Content-Type: application/octet-stream\r\n"
          + "Content-Length: 10\r\n"
          + "\r\n"
          + PART).getBytes(StandardCharsets.US_ASCII);
      thread = new Thread(this::serve, "cut-body-server");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    /** Requests whose head it read and answered. */
    int requests() {
      return requests.get();
    }

    private void serve() {
      for (int connections = 0; connections < 100 && !socket.isClosed(); connections++) {
        try (Socket s = socket.accept()) {
          s.setSoTimeout(10_000);
          if (readHead(s.getInputStream())) {
            requests.incrementAndGet();
            OutputStream out = s.getOutputStream();
            out.write(answer);
            out.flush();
            s.shutdownOutput();
          }
        } catch (IOException e) {
          // closed, or a client that went away: on to the next connection (or the end)
        }
      }
    }

    /** Reads up to the blank line that ends a request head (these requests have no body). */
    private static boolean readHead(InputStream in) throws IOException {
      int matched = 0;
      byte[] end = {'\r', '\n', '\r', '\n'};
      for (int i = 0; i < 65_536; i++) {
        int b = in.read();
        if (b < 0) {
          return false;
        }
        matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        if (matched == end.length) {
          return true;
        }
      }
      return false;
    }

    void stop() throws IOException, InterruptedException {
      socket.close();
      thread.join(TimeUnit.SECONDS.toMillis(10));
      assertThat(thread.isAlive()).as("the cut-body server's thread ended").isFalse();
    }
  }
}
