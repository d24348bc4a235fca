/**
 * The lb4j SPI: {@link dev.lb4j.api.Algorithm}, {@link dev.lb4j.api.HealthProbe}, {@link
 * dev.lb4j.api.RoutingRule} and {@link dev.lb4j.api.Policy}, with the value types they use.
 *
 * <p>Every type here is either an interface meant to be implemented by extensions and adapters, or a
 * small immutable value. Nothing in this package holds engine state.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.api;

import org.jspecify.annotations.NullMarked;
