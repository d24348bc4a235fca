/**
 * The pool engine, one class per concern: the request path, concurrency limits, the control plane
 * and its snapshot builder, membership, the active checker, the outlier detector, the slow-start
 * timer, and explain, behind the thin {@link dev.lb4j.core.internal.pool.PoolImpl} front. Not
 * exported.
 */
@NullMarked
package dev.lb4j.core.internal.pool;

import org.jspecify.annotations.NullMarked;
