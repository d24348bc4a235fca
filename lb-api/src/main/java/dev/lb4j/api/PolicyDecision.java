package dev.lb4j.api;

import java.util.Objects;

/**
 * What a {@link Policy} decided for one request: continue (possibly with header edits), or reject
 * with a status and a reason. A value, never an exception. Immutable.
 *
 * @since 0.1.0
 */
public final class PolicyDecision {

  private static final PolicyDecision PROCEED =
      new PolicyDecision(0, "", HeaderChanges.none(), HeaderChanges.none());

  private final int rejectStatus;
  private final String reason;
  private final HeaderChanges requestHeaders;
  private final HeaderChanges responseHeaders;

  private PolicyDecision(
      int rejectStatus, String reason, HeaderChanges requestHeaders, HeaderChanges responseHeaders) {
    this.rejectStatus = rejectStatus;
    this.reason = reason;
    this.requestHeaders = requestHeaders;
    this.responseHeaders = responseHeaders;
  }

  /**
   * Let the request continue unchanged. Allocation-free.
   *
   * @return the shared "proceed" decision
   */
  public static PolicyDecision proceed() {
    return PROCEED;
  }

  /**
   * Let the request continue after editing its headers.
   *
   * @param requestHeaders the edits to apply to the request before it is forwarded
   * @return the decision
   */
  public static PolicyDecision proceed(HeaderChanges requestHeaders) {
    Objects.requireNonNull(requestHeaders, "requestHeaders");
    return requestHeaders.isEmpty()
        ? PROCEED
        : new PolicyDecision(0, "", requestHeaders, HeaderChanges.none());
  }

  /**
   * Reject the request; the adapter answers it with {@code status} and does not forward it.
   *
   * @param status the HTTP status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and explain traces
   * @return the decision
   */
  public static PolicyDecision reject(int status, String reason) {
    return reject(status, reason, HeaderChanges.none());
  }

  /**
   * Reject the request with extra response headers (such as {@code Retry-After}).
   *
   * @param status the HTTP status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and explain traces
   * @param responseHeaders headers to add to the rejection response
   * @return the decision
   */
  public static PolicyDecision reject(int status, String reason, HeaderChanges responseHeaders) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status: " + status + " (expected: 400..599)");
    }
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(responseHeaders, "responseHeaders");
    return new PolicyDecision(status, reason, HeaderChanges.none(), responseHeaders);
  }

  /**
   * Whether the request was rejected.
   *
   * @return {@code true} if rejected
   */
  public boolean isRejected() {
    return rejectStatus != 0;
  }

  /**
   * The status to answer a rejected request with, or 0 when the request proceeds.
   *
   * @return the status or 0
   */
  public int rejectStatus() {
    return rejectStatus;
  }

  /**
   * Why the request was rejected, or the empty string when it proceeds.
   *
   * @return the reason
   */
  public String reason() {
    return reason;
  }

  /**
   * Edits to apply to the forwarded request.
   *
   * @return the edits, possibly none
   */
  public HeaderChanges requestHeaders() {
    return requestHeaders;
  }

  /**
   * Headers to add to the rejection response.
   *
   * @return the edits, possibly none
   */
  public HeaderChanges responseHeaders() {
    return responseHeaders;
  }

  @Override
  public String toString() {
    return isRejected()
        ? "reject " + rejectStatus + ": " + reason
        : requestHeaders.isEmpty() ? "proceed" : "proceed with " + requestHeaders;
  }
}
