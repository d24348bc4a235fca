package dev.lb4j.httpclient;

import java.io.FileNotFoundException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Flow;

/**
 * Request bodies a {@link LoadBalancedHttpClient} may send more than once (to retry or hedge the
 * request). The JDK's publishers over data in memory ({@code BodyPublishers.ofString}, {@code
 * ofByteArray}) are replayable as they are, and so is a request without a body, with {@code
 * BodyPublishers.noBody()} or any body of length 0. Other publishers are sent once, whatever the
 * method, because the client cannot tell whether they are single-use ({@code ofInputStream} with a
 * supplier that hands out the same stream, {@code fromPublisher}, ...): mark one you know to be
 * replayable with {@link #of}, or use {@link #ofFile} for a file.
 *
 * <pre>{@code
 * HttpRequest put = HttpRequest.newBuilder(URI.create("http://api/docs/7"))
 *     .PUT(ReplayableBody.ofString(json))
 *     .build();
 * }</pre>
 *
 * <p>The publishers behave exactly as the JDK's ({@link HttpRequest.BodyPublishers}); they only
 * carry the mark. Thread-safe.
 *
 * @since 0.1.0
 */
public final class ReplayableBody {

  private ReplayableBody() {}

  /**
   * {@link HttpRequest.BodyPublishers#ofString(String)}, replayable.
   *
   * @param body the body, sent as UTF-8
   * @return the publisher
   */
  public static HttpRequest.BodyPublisher ofString(String body) {
    return new Marked(HttpRequest.BodyPublishers.ofString(body));
  }

  /**
   * {@link HttpRequest.BodyPublishers#ofString(String, Charset)}, replayable.
   *
   * @param body the body
   * @param charset its encoding
   * @return the publisher
   */
  public static HttpRequest.BodyPublisher ofString(String body, Charset charset) {
    return new Marked(HttpRequest.BodyPublishers.ofString(body, charset));
  }

  /**
   * {@link HttpRequest.BodyPublishers#ofByteArray(byte[])}, replayable. The array is not copied:
   * do not change it while the request may be sent.
   *
   * @param body the body
   * @return the publisher
   */
  public static HttpRequest.BodyPublisher ofByteArray(byte[] body) {
    return new Marked(HttpRequest.BodyPublishers.ofByteArray(body));
  }

  /**
   * {@link HttpRequest.BodyPublishers#ofByteArray(byte[], int, int)}, replayable.
   *
   * @param body the array
   * @param offset the first byte sent
   * @param length how many bytes are sent
   * @return the publisher
   */
  public static HttpRequest.BodyPublisher ofByteArray(byte[] body, int offset, int length) {
    return new Marked(HttpRequest.BodyPublishers.ofByteArray(body, offset, length));
  }

  /**
   * {@link HttpRequest.BodyPublishers#ofFile(Path)}, replayable: the file is read again for each
   * attempt, so do not change it while the request may be sent.
   *
   * @param path the file
   * @return the publisher
   * @throws FileNotFoundException if the file does not exist or cannot be read
   */
  public static HttpRequest.BodyPublisher ofFile(Path path) throws FileNotFoundException {
    return new Marked(HttpRequest.BodyPublishers.ofFile(path));
  }

  /**
   * Marks a publisher of your own as replayable: you vouch that every subscription publishes the
   * same bytes.
   *
   * @param publisher the publisher
   * @return a replayable publisher that delegates to it
   */
  public static HttpRequest.BodyPublisher of(HttpRequest.BodyPublisher publisher) {
    Objects.requireNonNull(publisher, "publisher");
    return publisher instanceof Marked ? publisher : new Marked(publisher);
  }

  /**
   * The classes of the JDK's publishers over data held in memory, learned from the public
   * factories themselves (never from internal class names): {@code BodyPublishers.ofString} and
   * {@code ofByteArray} publish the same bytes to every subscriber, and the JDK's client
   * re-subscribes them itself when it follows a redirect.
   */
  private static final Set<Class<?>> JDK_IN_MEMORY =
      Set.of(
          HttpRequest.BodyPublishers.ofString("").getClass(),
          HttpRequest.BodyPublishers.ofByteArray(new byte[0]).getClass());

  /**
   * Whether a publisher may be subscribed again: one made by this class, or one of the JDK's
   * publishers over data in memory ({@code BodyPublishers.ofString}, {@code ofByteArray}).
   *
   * @param publisher the publisher
   * @return {@code true} if it can be replayed
   */
  public static boolean isReplayable(HttpRequest.BodyPublisher publisher) {
    return publisher instanceof Marked || JDK_IN_MEMORY.contains(publisher.getClass());
  }

  /** A publisher that delegates everything: the mark is its type. */
  private static final class Marked implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher delegate;

    Marked(HttpRequest.BodyPublisher delegate) {
      this.delegate = delegate;
    }

    @Override
    public long contentLength() {
      return delegate.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
      delegate.subscribe(subscriber);
    }

    @Override
    public String toString() {
      return "replayable " + delegate;
    }
  }
}
