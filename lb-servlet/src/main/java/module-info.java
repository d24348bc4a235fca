/**
 * lb4j in a servlet container: {@link dev.lb4j.servlet.LoadBalancingFilter}, a streaming,
 * asynchronous reverse proxy that forwards the requests the load balancer's routes match to their
 * backends over {@code java.net.http}, and {@link dev.lb4j.servlet.AdminServlet}, the admin
 * endpoints (status, runtime changes, explain, configuration apply and rollback).
 *
 * @since 0.1.0
 */
module dev.lb4j.servlet {
  requires transitive dev.lb4j.core;
  requires transitive dev.lb4j.config;
  requires dev.lb4j.httpclient;
  requires tools.jackson.databind;
  requires transitive java.net.http;
  requires static transitive jakarta.servlet;

  exports dev.lb4j.servlet;
}
