package dev.lb4j.api;

/**
 * A per-request policy: rate limiting, access control, header transforms, limits.
 *
 * <p>The engine runs a route's policies in their declared order before a backend is picked; the
 * first rejection stops the chain. After the call, {@link #onResponse} sees the response in reverse
 * order and may edit its headers.
 *
 * <p>Contract: policies are thread-safe and on the request path; they must not block or perform I/O.
 * An exception thrown by a policy is contained by the engine, counted and reported, and the request
 * is rejected with 500: it never propagates to the caller.
 *
 * @since 0.1.0
 */
public interface Policy {

  /**
   * The policy's name, shown in explain traces and stats.
   *
   * @return the name
   */
  String name();

  /**
   * Decides what happens to a request.
   *
   * @param request the request
   * @return the decision; {@link PolicyDecision#proceed()} to let it through unchanged
   */
  PolicyDecision onRequest(RequestView request);

  /**
   * What {@link #onRequest} would decide, without its side effects, for explain traces (which run off
   * the request path and must not, say, spend a rate limit's tokens). The default calls {@link
   * #onRequest}; override it when deciding changes state.
   *
   * @param request the request
   * @return the decision the request would get now
   */
  default PolicyDecision preview(RequestView request) {
    return onRequest(request);
  }

  /**
   * Sees the response on its way back to the client.
   *
   * @param request the request
   * @param response the response (status 0 when the call failed without one)
   * @return edits to the response headers; {@link HeaderChanges#none()} by default
   */
  default HeaderChanges onResponse(RequestView request, ResponseView response) {
    return HeaderChanges.none();
  }
}
