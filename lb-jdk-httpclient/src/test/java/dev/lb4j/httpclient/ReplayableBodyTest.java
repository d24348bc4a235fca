package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A retry sends the request body again, so only a body marked replayable ({@link ReplayableBody}'s
 * {@code ofString}, {@code ofByteArray}, {@code ofFile}) or an empty one is retried, and the retry
 * carries the same bytes; a body from a supplier ({@code ofInputStream}) may be single-use, and the
 * client does not look inside the JDK's own publishers, so for those the backend's 503 is the
 * answer, after one request. PUT is idempotent: the method alone would allow the retry.
 *
 * <p>Every first attempt goes to a backend that answers 503 ({@link InOrder}), a retry to one that
 * answers 200.
 */
@Timeout(60)
class ReplayableBodyTest extends WireMockPoolFixture {

  /** Non-ASCII, several lines, larger than one network read. */
  private static final String BODY = "Grüße, 世界\r\n".repeat(3000) + "end";

  private static final byte[] BYTES = BODY.getBytes(StandardCharsets.UTF_8);

  private WireMockServer busy;
  private WireMockServer good;
  private LoadBalancedHttpClient client;

  @BeforeEach
  void start() {
    busy = server();
    busy.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(503).withBody("busy")));
    good = server();
    good.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("stored")));
    client = balance(fastRetries().build(), p -> p.algorithm(new InOrder()),
        List.of(uri(busy), uri(good)));
  }

  private static HttpRequest put(HttpRequest.BodyPublisher body) {
    return request("/docs/7", 0).PUT(body).build();
  }

  private static byte[] body(LoggedRequest r) {
    return r.getBody();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aBodyFromAnInputStreamSupplierIsNotRetriedAndThe503IsTheAnswer(CallMode mode)
      throws Exception {
    // The supplier hands out the same stream each time, as a caller streaming an upload would: a
    // second attempt would find it consumed and send an empty or truncated body.
    InputStream stream = new ByteArrayInputStream(BYTES);
    AtomicInteger supplied = new AtomicInteger();

    HttpResponse<String> r = mode.call(client,
        put(BodyPublishers.ofInputStream(() -> {
          supplied.incrementAndGet();
          return stream;
        })),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).isEqualTo("busy");
    assertThat(r.uri().getPort()).isEqualTo(busy.port());
    assertThat(received(busy)).hasSize(1);
    assertThat(body(received(busy).get(0))).isEqualTo(BYTES);
    assertThat(received(good)).as("no retry").isEmpty();
    assertThat(supplied.get()).as("times the body's stream was asked for").isEqualTo(1);
    assertThat(poolStats().retries()).isZero();
    assertThat(stats(id(busy)).failures()).as("the 503 still counts against its backend")
        .isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void theJdksInMemoryPublishersAreRetriedWithTheSameBytes(CallMode mode) throws Exception {
    for (HttpRequest.BodyPublisher publisher :
        List.of(BodyPublishers.ofString(BODY), BodyPublishers.ofByteArray(BYTES))) {
      HttpResponse<String> r =
          mode.call(client, put(publisher), HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).as("%s", publisher).isEqualTo(200);
    }
    assertThat(received(busy)).hasSize(2);
    assertThat(received(good)).as("each retried once").hasSize(2);
    for (LoggedRequest request : received(good)) {
      assertThat(request.getBody()).isEqualTo(BYTES);
    }
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aFilePublisherWithoutTheMarkIsSentOnce(CallMode mode, @TempDir Path dir) throws Exception {
    HttpRequest.BodyPublisher file = BodyPublishers.ofFile(Files.write(dir.resolve("d.txt"), BYTES));
    HttpResponse<String> r = mode.call(client, put(file), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(received(busy)).hasSize(1);
    assertThat(received(good)).as("no retry").isEmpty();
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void anEmptyBodyIsRetried(CallMode mode) throws Exception {
    HttpResponse<String> r = mode.call(client, put(BodyPublishers.noBody()),
        HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(received(good)).hasSize(1);
    assertThat(poolStats().retries()).isEqualTo(1);
  }

  @org.junit.jupiter.api.Test
  void aPublisherOfYourOwnCanBeMarkedReplayable() {
    HttpRequest.BodyPublisher own = BodyPublishers.fromPublisher(BodyPublishers.ofString(BODY));

    assertThat(ReplayableBody.isReplayable(own)).isFalse();
    assertThat(ReplayableBody.isReplayable(ReplayableBody.of(own))).isTrue();
    assertThat(ReplayableBody.of(own).contentLength()).isEqualTo(own.contentLength());
    assertThat(LoadBalancedHttpClient.isReplayable(put(own))).isFalse();
    assertThat(LoadBalancedHttpClient.isReplayable(put(ReplayableBody.of(own)))).isTrue();
  }

  /** The JDK's publishers over data they hold, marked replayable. */
  enum Replayable {
    STRING,
    BYTE_ARRAY,
    FILE
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aStringBodyIsRetriedWithTheSameBytes(CallMode mode, @TempDir Path dir) throws Exception {
    retriedWithTheSameBytes(mode, Replayable.STRING, dir);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aByteArrayBodyIsRetriedWithTheSameBytes(CallMode mode, @TempDir Path dir) throws Exception {
    retriedWithTheSameBytes(mode, Replayable.BYTE_ARRAY, dir);
  }

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void aFileBodyIsRetriedWithTheSameBytes(CallMode mode, @TempDir Path dir) throws Exception {
    retriedWithTheSameBytes(mode, Replayable.FILE, dir);
  }

  private void retriedWithTheSameBytes(CallMode mode, Replayable kind, Path dir) throws Exception {
    HttpRequest.BodyPublisher publisher =
        switch (kind) {
          case STRING -> ReplayableBody.ofString(BODY);
          case BYTE_ARRAY -> ReplayableBody.ofByteArray(BYTES);
          case FILE -> ReplayableBody.ofFile(Files.write(dir.resolve("doc.txt"), BYTES));
        };

    HttpResponse<String> r = mode.call(client, put(publisher), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).as("the retry's answer").isEqualTo(200);
    assertThat(r.body()).isEqualTo("stored");
    assertThat(r.uri().getPort()).isEqualTo(good.port());
    assertThat(received(busy)).hasSize(1);
    assertThat(received(good)).hasSize(1);
    assertThat(body(received(busy).get(0))).as("the first attempt's body").isEqualTo(BYTES);
    assertThat(body(received(good).get(0))).as("the retry's body").isEqualTo(BYTES);
    assertThat(received(good).get(0).getMethod().getName()).isEqualTo("PUT");
    assertThat(poolStats().retries()).isEqualTo(1);
  }
}
