package dev.lb4j.core;

/**
 * Counters and state of one backend at the moment a {@link LoadBalancerStats} was taken.
 *
 * @param id the backend id
 * @param uri the backend URI
 * @param weight the configured weight
 * @param zone the zone, or empty
 * @param status whether it takes new requests
 * @param inFlight leases open now
 * @param picks how many times it was selected
 * @param completed leases released with an outcome (success or failure)
 * @param failures outcomes that were backend failures (5xx or a connection-level error)
 * @param cancelled leases closed without an outcome, or failed with {@code CANCELLED}
 * @param latencyEwmaNanos the peak-sensitive latency estimate, 0 before the first outcome
 * @since 0.1.0
 */
public record BackendStats(
    String id,
    String uri,
    int weight,
    String zone,
    BackendStatus status,
    int inFlight,
    long picks,
    long completed,
    long failures,
    long cancelled,
    long latencyEwmaNanos) {}
