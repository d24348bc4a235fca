/**
 * The processes of the end-to-end benchmark ({@code lb-benchmarks/e2e/run.sh}): loopback HTTP
 * backends and a Jetty 12 proxy to compare lb4j with. They are plain {@code main} programs, run
 * from {@code lb-benchmarks/target/benchmarks.jar} with {@code java -cp}; nothing here is a JMH
 * benchmark.
 */
@NullMarked
package dev.lb4j.benchmarks.e2e;

import org.jspecify.annotations.NullMarked;
