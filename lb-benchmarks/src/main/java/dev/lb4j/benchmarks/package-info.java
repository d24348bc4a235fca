/**
 * JMH benchmarks of lb4j's selection hot path, leases and control plane, with a physical floor and
 * peer load balancers side by side. Run {@code lb-benchmarks/target/benchmarks.jar}; see the
 * module's README.
 */
@NullMarked
package dev.lb4j.benchmarks;

import org.jspecify.annotations.NullMarked;
