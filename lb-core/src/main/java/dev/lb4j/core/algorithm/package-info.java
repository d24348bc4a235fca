/**
 * The built-in load-balancing algorithms, reached through {@link dev.lb4j.core.algorithm.Algorithms}.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core.algorithm;

import org.jspecify.annotations.NullMarked;
