package dev.lb4j.examples.webapp;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The web application's own page, mapped to {@code /hello} in {@code web.xml}: it stands for
 * whatever the application already served before the proxy filter was put in front of it. No
 * route matches its path, so the filter passes its requests through untouched.
 */
public final class HelloServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  /** The first words of every answer. */
  static final String GREETING = "hello from the web application";

  /** Creates the servlet; the container calls this, as {@code web.xml} names the class. */
  public HelloServlet() {}

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    byte[] body = (GREETING + " (" + req.getMethod() + " " + req.getRequestURI() + ")\n")
        .getBytes(StandardCharsets.UTF_8);
    resp.setContentType("text/plain;charset=utf-8");
    resp.setContentLength(body.length);
    resp.getOutputStream().write(body);
  }
}
