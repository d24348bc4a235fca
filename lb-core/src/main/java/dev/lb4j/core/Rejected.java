package dev.lb4j.core;

import dev.lb4j.api.HeaderChanges;
import java.util.Objects;

/**
 * A selection that a policy refused: the request must be answered with {@link #status()} (and
 * {@link #responseHeaders()}) without being forwarded. A policy that threw counts as a rejection with
 * status 500, never as an exception in the caller. Immutable.
 *
 * @since 0.1.0
 */
public final class Rejected implements Selection {

  private final String pool;
  private final String policy;
  private final int status;
  private final String reason;
  private final HeaderChanges responseHeaders;

  /**
   * Creates the value; the engine does this, adapters and tests may too.
   *
   * @param pool the pool the request was routed to, or the empty string
   * @param policy the name of the policy that rejected it
   * @param status the status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and error bodies
   * @param responseHeaders headers to add to the answer (such as {@code Retry-After})
   */
  public Rejected(
      String pool, String policy, int status, String reason, HeaderChanges responseHeaders) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.policy = Objects.requireNonNull(policy, "policy");
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 400..599)");
    }
    this.status = status;
    this.reason = Objects.requireNonNull(reason, "reason");
    this.responseHeaders = Objects.requireNonNull(responseHeaders, "responseHeaders");
  }

  @Override
  public String pool() {
    return pool;
  }

  /**
   * The policy that rejected the request.
   *
   * @return its name
   */
  public String policy() {
    return policy;
  }

  /**
   * The status to answer with.
   *
   * @return {@code 400..599}
   */
  public int status() {
    return status;
  }

  /**
   * Why the request was rejected.
   *
   * @return the reason
   */
  public String reason() {
    return reason;
  }

  /**
   * Headers to add to the answer.
   *
   * @return the edits, possibly none
   */
  public HeaderChanges responseHeaders() {
    return responseHeaders;
  }

  /**
   * Always throws: there is no lease.
   *
   * @throws RequestRejectedException always, carrying this value
   */
  @Override
  public Lease leaseOrThrow() {
    throw new RequestRejectedException(this);
  }

  @Override
  public String toString() {
    return "Rejected[" + status + " by " + policy + ": " + reason + "]";
  }
}
