package dev.lb4j.servlet;

import jakarta.servlet.Filter;

/** The proxy's behaviour inside embedded Jetty 12 (ee10). */
class ProxyFilterJettyTest extends ProxyFilterContract {
  @Override
  ProxyContainer start(Filter filter) throws Exception {
    return ProxyContainer.jetty(filter);
  }

  @Override
  boolean containerDropsContentLengthBesideChunked() {
    return false;
  }
}
