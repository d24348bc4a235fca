package dev.lb4j.api;

import java.util.Objects;

/**
 * What a {@link Policy} decided for one request: {@link Proceed} (possibly with request header
 * edits) or {@link Reject} (with a status and a reason). A value, never an exception. Immutable.
 *
 * <p>The two outcomes are types, so a caller switches on them rather than reading a flag:
 *
 * <pre>{@code
 * if (policy.onRequest(request) instanceof PolicyDecision.Reject reject) {
 *   answer(reject.status(), reject.reason(), reject.responseHeaders());
 * }
 * }</pre>
 *
 * @since 0.1.0
 */
public sealed interface PolicyDecision permits PolicyDecision.Proceed, PolicyDecision.Reject {

  /**
   * Let the request continue unchanged. Allocation-free.
   *
   * @return the shared "proceed" decision
   */
  static PolicyDecision proceed() {
    return Proceed.UNCHANGED;
  }

  /**
   * Let the request continue after editing its headers.
   *
   * @param requestHeaders the edits to apply to the request before it is forwarded
   * @return the decision; the shared "proceed" decision when there are no edits
   */
  static PolicyDecision proceed(HeaderChanges requestHeaders) {
    Objects.requireNonNull(requestHeaders, "requestHeaders");
    return requestHeaders.isEmpty() ? Proceed.UNCHANGED : new Proceed(requestHeaders);
  }

  /**
   * Reject the request; the adapter answers it with {@code status} and does not forward it.
   *
   * @param status the HTTP status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and explain traces
   * @return the decision
   * @throws IllegalArgumentException if the status is out of range
   */
  static PolicyDecision reject(int status, String reason) {
    return new Reject(status, reason, HeaderChanges.none());
  }

  /**
   * Reject the request with extra response headers (such as {@code Retry-After}).
   *
   * @param status the HTTP status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and explain traces
   * @param responseHeaders headers to add to the rejection response
   * @return the decision
   * @throws IllegalArgumentException if the status is out of range
   */
  static PolicyDecision reject(int status, String reason, HeaderChanges responseHeaders) {
    return new Reject(status, reason, responseHeaders);
  }

  /**
   * The request continues, with these edits applied to it before it is forwarded.
   *
   * @param requestHeaders the edits, possibly none
   * @since 0.1.0
   */
  record Proceed(HeaderChanges requestHeaders) implements PolicyDecision {

    private static final Proceed UNCHANGED = new Proceed(HeaderChanges.none());

    /**
     * Validates the decision.
     *
     * @param requestHeaders the edits, possibly none
     */
    public Proceed {
      Objects.requireNonNull(requestHeaders, "requestHeaders");
    }

    /**
     * {@code proceed}, or {@code proceed with} and the edits.
     *
     * @return the decision as explain traces show it
     */
    @Override
    public String toString() {
      return requestHeaders.isEmpty() ? "proceed" : "proceed with " + requestHeaders;
    }
  }

  /**
   * The request is answered with {@code status} and not forwarded.
   *
   * @param status the HTTP status to answer with, {@code 400..599}
   * @param reason why, for logs, stats and explain traces
   * @param responseHeaders headers to add to the rejection response, possibly none
   * @since 0.1.0
   */
  record Reject(int status, String reason, HeaderChanges responseHeaders)
      implements PolicyDecision {

    /**
     * Validates the decision.
     *
     * @param status the HTTP status to answer with, {@code 400..599}
     * @param reason why
     * @param responseHeaders headers to add to the rejection response
     * @throws IllegalArgumentException if the status is out of range
     */
    public Reject {
      if (status < 400 || status > 599) {
        throw new IllegalArgumentException("status: " + status + " (expected: 400..599)");
      }
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(responseHeaders, "responseHeaders");
    }

    /**
     * {@code reject}, the status and the reason.
     *
     * @return the decision as explain traces show it
     */
    @Override
    public String toString() {
      return "reject " + status + ": " + reason;
    }
  }
}
