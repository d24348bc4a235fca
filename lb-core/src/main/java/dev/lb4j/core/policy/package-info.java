/**
 * Built-in request policies: {@link dev.lb4j.core.policy.RateLimit} (token buckets, global or per
 * key, in bounded memory), {@link dev.lb4j.core.policy.AccessControl} (CIDR allow and deny lists
 * on the real client address, trusted proxies, method allow lists) and {@link
 * dev.lb4j.core.policy.HeaderTransform} (request and response header edits with variables, request
 * ids), plus {@link dev.lb4j.core.policy.RetryPolicy} and {@link
 * dev.lb4j.core.policy.RetryBudget}: when an adapter retries, and how much.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core.policy;

import org.jspecify.annotations.NullMarked;
