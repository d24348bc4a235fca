package dev.lb4j.config;

import java.time.Duration;

/**
 * A standalone proxy server's traffic listener, from the configuration's {@code server} section.
 *
 * @param port the traffic port (0 for any free one)
 * @param bind the address it binds
 * @param timeout how long a request may take until its backend's response head arrives
 * @param shutdownTimeout on shutdown, how long requests in flight may take to finish
 * @since 0.1.0
 */
public record ServerSettings(int port, String bind, Duration timeout, Duration shutdownTimeout) {

  /** The default traffic port. */
  public static final int DEFAULT_PORT = 8080;

  /** The default address: every interface. */
  public static final String DEFAULT_BIND = "0.0.0.0";

  /** The default timeout: 30 s. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** The default shutdown timeout: 30 s. */
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
}
