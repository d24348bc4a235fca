package dev.lb4j.servlet;

import jakarta.servlet.Filter;

/** The proxy's behaviour inside embedded Tomcat 11. */
class ProxyFilterTomcatTest extends ProxyFilterContract {
  @Override
  ProxyContainer start(Filter filter) throws Exception {
    return ProxyContainer.tomcat(filter);
  }

  @Override
  boolean containerDropsContentLengthBesideChunked() {
    return true;
  }
}
