package dev.lb4j.servlet;

import dev.lb4j.api.RequestView;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A servlet request as the load balancer sees it, read lazily. The path is the raw request URI
 * (still percent-encoded, context path included), never the decoded servlet path, so routing and
 * forwarding see the bytes the client sent.
 */
final class ServletRequestView implements RequestView {

  private final HttpServletRequest request;
  private final String path;

  ServletRequestView(HttpServletRequest request) {
    this.request = request;
    String uri = request.getRequestURI();
    this.path = uri == null || uri.isEmpty() ? "/" : uri;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  @Override
  public String path() {
    return path;
  }

  @Override
  public @Nullable String query() {
    return request.getQueryString();
  }

  @Override
  public @Nullable String host() {
    return request.getServerName();
  }

  @Override
  public @Nullable String header(String name) {
    return request.getHeader(name);
  }

  @Override
  public List<String> headers(String name) {
    return Collections.list(request.getHeaders(name));
  }

  @Override
  public @Nullable String clientAddress() {
    return request.getRemoteAddr();
  }

  @Override
  public String toString() {
    String q = query();
    return method() + " " + path + (q == null ? "" : "?" + q);
  }
}
