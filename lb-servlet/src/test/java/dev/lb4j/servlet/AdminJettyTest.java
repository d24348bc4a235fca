package dev.lb4j.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The admin interface and the web.xml set-up inside embedded Jetty 12 (ee10). */
class AdminJettyTest extends AdminContract {
  @Override
  ProxyContainer start(
      Filter filter, Map<String, String> filterParams, @Nullable HttpServlet admin,
      Map<String, String> adminParams) throws Exception {
    return ProxyContainer.jetty(filter, filterParams, admin, adminParams);
  }
}
