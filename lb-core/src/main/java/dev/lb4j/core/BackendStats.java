package dev.lb4j.core;

/**
 * Counters and state of one backend at the moment a {@link LoadBalancerStats} was taken.
 *
 * @param id the backend id
 * @param uri the backend URI
 * @param weight the configured weight
 * @param zone the zone, or empty
 * @param status its one state, from every health signal and admin decision
 * @param statusReason why it is in that state (which probe failed and how, which admin call, how many
 *     failures ejected it)
 * @param inFlight leases open now
 * @param picks how many times it was selected
 * @param completed leases released with an outcome (success or failure)
 * @param failures outcomes that were backend failures (5xx or a connection-level error)
 * @param cancelled leases closed without an outcome, or failed with {@code CANCELLED}
 * @param latencyEwmaNanos the peak-sensitive latency estimate, 0 before the first outcome
 * @param ejections how many times passive outlier detection ejected it
 * @since 0.1.0
 */
public record BackendStats(
    String id,
    String uri,
    int weight,
    String zone,
    BackendStatus status,
    String statusReason,
    int inFlight,
    long picks,
    long completed,
    long failures,
    long cancelled,
    long latencyEwmaNanos,
    long ejections) {}
