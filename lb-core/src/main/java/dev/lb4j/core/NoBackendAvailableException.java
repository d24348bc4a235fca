package dev.lb4j.core;

/**
 * Thrown by {@link Selection#leaseOrThrow()} when no backend was available.
 *
 * @since 0.1.0
 */
public final class NoBackendAvailableException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient NoBackend noBackend;

  /**
   * Wraps the selection result.
   *
   * @param noBackend why no backend was available
   */
  public NoBackendAvailableException(NoBackend noBackend) {
    super(noBackend.message());
    this.noBackend = noBackend;
  }

  /**
   * Why no backend was available.
   *
   * @return the selection result
   */
  public NoBackend noBackend() {
    return noBackend;
  }
}
