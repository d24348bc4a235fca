package dev.lb4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * An extra resource of the admin interface, served under its own name next to the built-in ones
 * ({@code /status}, {@code /pools}, {@code /explain}, {@code /config}) and behind the same bearer
 * token: the place for metrics scrapes. The dashboard shows p50 and p99 latency from an endpoint named
 * {@code metrics} that answers Prometheus text with per-backend ({@code pool}, {@code backend}
 * labels) latency histograms. Registered with {@link
 * AdminServlet.Builder#endpoint(String, AdminEndpoint)}.
 *
 * @since 0.1.0
 */
@FunctionalInterface
public interface AdminEndpoint {

  /**
   * Serves one authorised request. Runs on the container's thread; it should be quick.
   *
   * @param request the request
   * @param response the response
   * @param path what follows the endpoint's name in the request path, raw (percent-encoding kept):
   *     empty for {@code /name}, {@code /app.js} for {@code /name/app.js}
   * @throws IOException when the response cannot be written
   */
  void serve(HttpServletRequest request, HttpServletResponse response, String path)
      throws IOException;
}
