package dev.lb4j.core;

/**
 * Thrown by {@link Rejected#leaseOrThrow()}: a policy refused the request.
 *
 * @since 0.1.0
 */
public final class RequestRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Rejected rejected;

  /**
   * Wraps the rejection.
   *
   * @param rejected the rejection
   */
  public RequestRejectedException(Rejected rejected) {
    super(rejected.status() + " " + rejected.reason());
    this.rejected = rejected;
  }

  /**
   * The rejection: status, reason, policy and response headers.
   *
   * @return the rejection
   */
  public Rejected rejected() {
    return rejected;
  }

  /**
   * The status to answer with.
   *
   * @return {@code 400..599}
   */
  public int status() {
    return rejected.status();
  }
}
