package dev.lb4j.core;

import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.HealthListener;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.health.TcpProbe;
import java.time.Duration;
import java.util.List;

/** The README's health example; {@link HealthExampleTest} runs it against real loopback servers. */
final class HealthExample {

  private HealthExample() {}

  static LoadBalancer build(List<String> uris, Duration interval, HealthListener listener) {
    // region health
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool(
                "api",
                pool ->
                    pool.backend(uris.get(0))
                        .backend(uris.get(1))
                        .backend(uris.get(2))
                        .algorithm(Algorithms.leastRequest())
                        // Active: a TCP connect per backend every interval (+-10% jitter); down
                        // after 3 failed probes in a row, up again after 2 passed ones.
                        .healthCheck(
                            HealthCheck.builder(TcpProbe.create())
                                .interval(interval)
                                .timeout(interval.dividedBy(2))
                                .unhealthyThreshold(3)
                                .healthyThreshold(2)
                                .build())
                        // Passive: 5 failures in a row (5xx, connect errors...) eject a backend
                        // for 30 s, then 60 s, 90 s... up to 5 min; at most 10% of the pool.
                        .outlierDetection(OutlierDetection.defaults())
                        // Added and recovered backends ramp from 10% to a full share in 30 s.
                        .slowStart(SlowStart.linear(Duration.ofSeconds(30)))
                        // Under 50% healthy, spread over every backend instead of crushing the
                        // survivors (or .panicMode(PanicMode.FAIL_FAST)).
                        .panicThreshold(50))
            .healthListener(listener) // every state change, with its reason
            .build();
    // endregion
    return lb;
  }
}
