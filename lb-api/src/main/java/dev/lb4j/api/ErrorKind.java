package dev.lb4j.api;

/**
 * Why a call to a backend produced no HTTP response.
 *
 * @since 0.1.0
 */
public enum ErrorKind {
  /** The call produced a response; see its status. */
  NONE,
  /** The connection could not be established (refused, unreachable, TLS handshake failed). */
  CONNECT,
  /** No complete response arrived within the timeout. */
  TIMEOUT,
  /** The connection was reset or closed before a complete response arrived. */
  RESET,
  /** The backend sent something that is not valid HTTP. */
  PROTOCOL,
  /** The caller gave up on the call (client went away, request cancelled); not the backend's fault. */
  CANCELLED,
  /** Any other failure. */
  OTHER;

  /**
   * Whether this kind says something about the backend's health. {@link #NONE} and {@link
   * #CANCELLED} do not.
   *
   * @return {@code true} for failures attributable to the backend or the path to it
   */
  public boolean isBackendFailure() {
    return this != NONE && this != CANCELLED;
  }
}
