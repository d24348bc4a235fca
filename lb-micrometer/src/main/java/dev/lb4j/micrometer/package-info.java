/**
 * Micrometer meters for an lb4j load balancer; start at {@link
 * dev.lb4j.micrometer.LoadBalancerMetrics}.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.micrometer;

import org.jspecify.annotations.NullMarked;
