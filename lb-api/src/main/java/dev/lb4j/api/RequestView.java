package dev.lb4j.api;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A read-only view of an HTTP request, as routing rules, policies and hash-key sources see it.
 *
 * <p>Adapters implement this interface lazily over their own request objects (a servlet request, an
 * {@code HttpRequest}) without copying: the engine reads only what the configured rules and keys
 * ask for. {@link #builder()} makes a standalone immutable view, for programmatic use and tests.
 *
 * <p>Contract for implementers: methods return the request as received, with no decoding beyond what
 * is documented here; header names are matched case-insensitively; a view is used by one thread at a
 * time for the duration of one selection, and must not change while it is in use.
 *
 * @since 0.1.0
 */
public interface RequestView {

  /**
   * The request method in upper case, such as {@code GET}.
   *
   * @return the method
   */
  String method();

  /**
   * The request path as received (not percent-decoded), starting with {@code /}.
   *
   * @return the path, {@code /} at least
   */
  String path();

  /**
   * The raw query string after {@code ?}, without the {@code ?}, or {@code null} when there is none.
   *
   * @return the query, or {@code null}
   */
  @Nullable String query();

  /**
   * The host the request was addressed to (the {@code Host} header or the URI authority), without
   * the port, or {@code null} when unknown.
   *
   * @return the host, or {@code null}
   */
  @Nullable String host();

  /**
   * The first value of the named header, or {@code null} when absent. Names are case-insensitive.
   *
   * @param name the header name
   * @return the first value, or {@code null}
   */
  @Nullable String header(String name);

  /**
   * Every value of the named header, in the order received; empty when absent.
   *
   * <p>The default implementation returns at most the {@linkplain #header first value}; adapters
   * whose requests can carry repeated headers override it.
   *
   * @param name the header name
   * @return the values, possibly empty
   */
  default List<String> headers(String name) {
    String value = header(name);
    return value == null ? List.of() : List.of(value);
  }

  /**
   * The textual IP address of the client that sent the request (the peer of the connection, not a
   * forwarded-for header), or {@code null} when unknown.
   *
   * @return the client address, or {@code null}
   */
  @Nullable String clientAddress();

  /**
   * The value of the named cookie, or {@code null} when absent. The default implementation reads the
   * {@code Cookie} headers (RFC 6265 {@code name=value; name2=value2}); the value is returned as sent.
   *
   * @param name the cookie name, case-sensitive
   * @return the value, or {@code null}
   */
  default @Nullable String cookie(String name) {
    for (String header : headers("Cookie")) {
      String value = RequestViews.findPair(header, ';', name);
      if (value != null) {
        return value;
      }
    }
    return null;
  }

  /**
   * The value of the first query parameter with this name, or {@code null} when absent; a parameter
   * without {@code =} has the empty value. The value is returned as sent (not percent-decoded).
   *
   * @param name the parameter name, case-sensitive
   * @return the value, or {@code null}
   */
  default @Nullable String queryParameter(String name) {
    String query = query();
    return query == null ? null : RequestViews.findPair(query, '&', name);
  }

  /**
   * Starts a standalone, immutable request view.
   *
   * @return a new builder with method {@code GET} and path {@code /}
   */
  static RequestViewBuilder builder() {
    return new RequestViewBuilder();
  }

  /**
   * A request view with only a method and a path, for callers that balance without request details.
   *
   * @param method the method, such as {@code GET}
   * @param path the path, starting with {@code /}
   * @return an immutable view
   */
  static RequestView of(String method, String path) {
    return builder().method(method).path(path).build();
  }
}
