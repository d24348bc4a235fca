/**
 * Routing: {@link dev.lb4j.core.routing.Route}s that match requests by path (exact, prefix, glob,
 * regex), host (exact and wildcard), method, headers, query parameters and cookies, and send them to
 * a pool or split them across pools by weight (optionally sticky), with path rewrites.
 *
 * <p>Rules are evaluated in declaration order and the first match wins; exact paths and prefixes are
 * indexed, so the cost grows with the path's length, not the number of rules.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core.routing;

import org.jspecify.annotations.NullMarked;
