/**
 * lb4j example: a standalone reverse proxy on embedded Jetty 12, configured by an lb4j
 * configuration file. Run {@code dev.lb4j.examples.proxy.ProxyServer}, or the shaded jar.
 */
@SuppressWarnings("requires-automatic")
module dev.lb4j.examples.proxy {
  requires dev.lb4j.servlet;
  requires dev.lb4j.config;
  requires dev.lb4j.micrometer;
  requires micrometer.core;
  requires micrometer.registry.prometheus;
  requires micrometer.jetty12;
  requires jakarta.servlet;
  requires org.eclipse.jetty.ee10.servlet;
  requires org.eclipse.jetty.server;
  requires org.eclipse.jetty.http;
  requires org.eclipse.jetty.util;
  requires org.slf4j;
  requires jdk.httpserver; // the demo backends
  requires static org.jspecify;
}
