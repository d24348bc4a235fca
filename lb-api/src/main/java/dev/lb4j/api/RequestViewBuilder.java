package dev.lb4j.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Builds a standalone, immutable {@link RequestView}. Obtain one from {@link RequestView#builder()}.
 *
 * <p>Not thread-safe; the views it builds are.
 *
 * @since 0.1.0
 */
public final class RequestViewBuilder {

  private String method = "GET";
  private String path = "/";
  private @Nullable String query;
  private @Nullable String host;
  private @Nullable String clientAddress;
  private final Map<String, List<String>> headers = new LinkedHashMap<>();

  RequestViewBuilder() {}

  /**
   * Sets the method.
   *
   * @param method the method; stored in upper case
   * @return this builder
   */
  public RequestViewBuilder method(String method) {
    Objects.requireNonNull(method, "method");
    if (method.isEmpty()) {
      throw new IllegalArgumentException("method: '' (expected: a non-empty token such as GET)");
    }
    this.method = method.toUpperCase(Locale.ROOT);
    return this;
  }

  /**
   * Sets the path; a query after {@code ?} is split off into {@link #query(String)}, and a path
   * without one clears any query set before.
   *
   * @param path the path, starting with {@code /}
   * @return this builder
   */
  public RequestViewBuilder path(String path) {
    Objects.requireNonNull(path, "path");
    int q = path.indexOf('?');
    String p = q < 0 ? path : path.substring(0, q);
    if (!p.startsWith("/")) {
      throw new IllegalArgumentException("path: '" + path + "' (expected: starts with '/')");
    }
    this.path = p;
    this.query = q < 0 ? null : path.substring(q + 1);
    return this;
  }

  /**
   * Sets the raw query string (without {@code ?}).
   *
   * @param query the query, or {@code null} for none
   * @return this builder
   */
  public RequestViewBuilder query(@Nullable String query) {
    this.query = query;
    return this;
  }

  /**
   * Sets the host the request was addressed to.
   *
   * @param host the host without port, or {@code null}
   * @return this builder
   */
  public RequestViewBuilder host(@Nullable String host) {
    this.host = host;
    return this;
  }

  /**
   * Sets the client's IP address.
   *
   * @param clientAddress the textual address, or {@code null}
   * @return this builder
   */
  public RequestViewBuilder clientAddress(@Nullable String clientAddress) {
    this.clientAddress = clientAddress;
    return this;
  }

  /**
   * Adds a header value; repeated calls with the same name (in any case) add more values.
   *
   * @param name the header name
   * @param value the value
   * @return this builder
   */
  public RequestViewBuilder header(String name, String value) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
    headers.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(value);
    return this;
  }

  /**
   * Builds the immutable view; the builder stays usable.
   *
   * @return the view
   */
  public RequestView build() {
    Map<String, List<String>> copy = new LinkedHashMap<>();
    headers.forEach((k, v) -> copy.put(k, List.copyOf(v)));
    return new Simple(method, path, query, host, clientAddress, Map.copyOf(copy));
  }

  private static final class Simple implements RequestView {
    private final String method;
    private final String path;
    private final @Nullable String query;
    private final @Nullable String host;
    private final @Nullable String clientAddress;
    private final Map<String, List<String>> headers;

    Simple(
        String method,
        String path,
        @Nullable String query,
        @Nullable String host,
        @Nullable String clientAddress,
        Map<String, List<String>> headers) {
      this.method = method;
      this.path = path;
      this.query = query;
      this.host = host;
      this.clientAddress = clientAddress;
      this.headers = headers;
    }

    @Override
    public String method() {
      return method;
    }

    @Override
    public String path() {
      return path;
    }

    @Override
    public @Nullable String query() {
      return query;
    }

    @Override
    public @Nullable String host() {
      return host;
    }

    @Override
    public @Nullable String header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? null : values.get(0);
    }

    @Override
    public List<String> headers(String name) {
      return headers.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    @Override
    public @Nullable String clientAddress() {
      return clientAddress;
    }

    @Override
    public String toString() {
      return method + " " + path + (query == null ? "" : "?" + query);
    }
  }
}
