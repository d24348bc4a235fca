package dev.lb4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * The dashboard's shell: one HTML page, its script and its style sheet, shipped in the jar and
 * served at {@code {admin}/dashboard}, {@code {admin}/dashboard/app.js} and {@code
 * {admin}/dashboard/app.css}. The shell holds no data about the load balancer, so it is served
 * without the token (a browser cannot send a bearer header when it navigates); the script asks
 * for the token and reads everything through the token-protected JSON resources.
 *
 * <p>Every answer carries a Content-Security-Policy that allows only the page's own script, style
 * and same-origin requests (no inline script or style, no framing, no forms posted elsewhere),
 * {@code X-Content-Type-Options: nosniff}, {@code Referrer-Policy: no-referrer}, and {@code
 * Cache-Control: no-cache} with a strong {@code ETag}: a browser revalidates on each load and gets
 * a 304 while the jar is the same. Immutable and thread-safe: the files are read once.
 */
final class AdminDashboard {

  /** The first path segment of the dashboard below the admin path. */
  static final String NAME = "dashboard";

  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self';"
      + " connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none';"
      + " frame-ancestors 'none'";

  /** One file; the bytes are never handed out, only written. */
  private static final class Asset {
    private final byte[] bytes;
    private final String type;
    private final String etag;

    Asset(byte[] bytes, String type, String etag) {
      this.bytes = bytes;
      this.type = type;
      this.etag = etag;
    }

    byte[] bytes() {
      return bytes;
    }

    String type() {
      return type;
    }

    String etag() {
      return etag;
    }
  }

  private static final Map<String, Asset> ASSETS = Map.of(
      "", load("dashboard.html", "text/html;charset=utf-8"),
      "/app.js", load("dashboard.js", "text/javascript;charset=utf-8"),
      "/app.css", load("dashboard.css", "text/css;charset=utf-8"));

  private AdminDashboard() {}

  private static Asset load(String resource, String type) {
    try (InputStream in = AdminDashboard.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("lb4j admin: dashboard resource " + resource
            + " is missing from the jar");
      }
      byte[] bytes = in.readAllBytes();
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(bytes);
      return new Asset(bytes, type, "\"" + HexFormat.of().formatHex(hash, 0, 12) + "\"");
    } catch (IOException e) {
      throw new UncheckedIOException("lb4j admin: reading dashboard resource " + resource, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }

  /** Whether {@code rest} (the raw path below the admin path) is the dashboard's. */
  static boolean owns(String rest) {
    return rest.equals("/" + NAME) || rest.startsWith("/" + NAME + "/");
  }

  /**
   * Serves the shell: GET or HEAD only; {@code /dashboard/} is redirected to {@code /dashboard}
   * so that the page's relative links resolve.
   *
   * @param rest the raw path below the admin path, one {@link #owns} accepts
   */
  static void serve(HttpServletRequest request, HttpServletResponse response, String rest)
      throws IOException {
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("Referrer-Policy", "no-referrer");
    response.setHeader("Content-Security-Policy", CSP);
    String method = request.getMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      throw new AdminHttp.BadInput(405, "about:blank", "Method Not Allowed",
          method + " is not allowed here (allowed: GET, HEAD)",
          AdminHttp.allow("GET", "HEAD"));
    }
    String sub = rest.substring(NAME.length() + 1);
    if (sub.equals("/")) {
      String uri = request.getRequestURI();
      response.setHeader("Cache-Control", "no-store");
      response.setStatus(308);
      response.setHeader("Location", uri.substring(0, uri.length() - 1));
      return;
    }
    Asset asset = ASSETS.get(sub);
    if (asset == null) {
      throw AdminHttp.notFound("the dashboard has no file at this path");
    }
    response.setHeader("Cache-Control", "no-cache");
    response.setHeader("ETag", asset.etag());
    String match = request.getHeader("If-None-Match");
    if (match != null && (match.equals(asset.etag()) || match.equals("*"))) {
      response.setStatus(304);
      return;
    }
    response.setStatus(200);
    response.setContentType(asset.type());
    response.setContentLength(asset.bytes().length);
    if (method.equals("GET")) {
      response.getOutputStream().write(asset.bytes());
    }
  }
}
