package dev.lb4j.httpclient;

import dev.lb4j.api.RequestView;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/** A {@link RequestView} over a JDK {@link HttpRequest}, reading it lazily without copying. */
final class HttpRequestView implements RequestView {

  private final HttpRequest request;
  private final URI uri;

  HttpRequestView(HttpRequest request) {
    this.request = request;
    this.uri = request.uri();
  }

  HttpRequest request() {
    return request;
  }

  @Override
  public String method() {
    String m = request.method();
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      if (c >= 'a' && c <= 'z') {
        return m.toUpperCase(Locale.ROOT);
      }
    }
    return m;
  }

  @Override
  public String path() {
    String path = uri.getRawPath();
    return path == null || path.isEmpty() ? "/" : path;
  }

  @Override
  public @Nullable String query() {
    return uri.getRawQuery();
  }

  @Override
  public @Nullable String host() {
    return uri.getHost();
  }

  @Override
  public @Nullable String header(String name) {
    return request.headers().firstValue(name).orElse(null);
  }

  @Override
  public List<String> headers(String name) {
    return request.headers().allValues(name);
  }

  /** Client side: the client is this process; there is no peer address to report. */
  @Override
  public @Nullable String clientAddress() {
    return null;
  }

  @Override
  public String toString() {
    return request.method() + " " + uri;
  }
}
