/**
 * The attempt loop every adapter drives: one transport-independent state machine that owns a
 * request's attempts (the first lease, retries through {@link
 * dev.lb4j.core.LoadBalancer#retry}, back-off, the {@link dev.lb4j.core.policy.RetryBudget}, the
 * request's deadline, the backends tried, opt-in {@link dev.lb4j.core.policy.HedgingPolicy
 * hedging}) and reports every attempt's outcome on its lease. An adapter supplies only what is
 * about its transport: sending one attempt and classifying its result. Start at {@link
 * dev.lb4j.core.retry.AttemptLoop}.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.core.retry;

import org.jspecify.annotations.NullMarked;
