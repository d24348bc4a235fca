/**
 * lb4j in a servlet container (Servlet 6, {@code jakarta.servlet}): {@link
 * dev.lb4j.servlet.LoadBalancingFilter} forwards the requests the load balancer's routes match to
 * their backends, streaming both bodies asynchronously, and lets every other request through to the
 * web application.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.servlet;

import org.jspecify.annotations.NullMarked;
