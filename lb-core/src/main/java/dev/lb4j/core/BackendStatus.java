package dev.lb4j.core;

/**
 * Whether a backend of a pool takes new requests.
 *
 * @since 0.1.0
 */
public enum BackendStatus {
  /** Takes new requests. */
  ACTIVE,
  /** Drained through the admin API: takes no new requests; requests in flight finish normally. */
  DRAINING
}
