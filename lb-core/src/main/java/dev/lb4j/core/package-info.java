/**
 * The lb4j engine's public API: {@link dev.lb4j.core.LoadBalancer} and its builder, pools, leases,
 * the runtime admin API and stats.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core;

import org.jspecify.annotations.NullMarked;
