package dev.lb4j.servlet;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The admin interface and the web.xml set-up inside embedded Tomcat 11. */
class AdminTomcatTest extends AdminContract {
  @Override
  ProxyContainer start(
      Filter filter, Map<String, String> filterParams, @Nullable HttpServlet admin,
      Map<String, String> adminParams) throws Exception {
    return ProxyContainer.tomcat(filter, filterParams, admin, adminParams);
  }
}
