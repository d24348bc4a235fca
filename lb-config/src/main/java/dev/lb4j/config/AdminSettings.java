package dev.lb4j.config;

import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The admin interface's settings from a configuration file.
 *
 * @param enabled whether the admin interface is served
 * @param path its path prefix
 * @param token the bearer token admin calls must carry, or {@code null} for none; {@link
 *     #toString()} masks it
 * @param port a standalone proxy server's admin port (0 for any free one), or {@code null} to
 *     serve the admin interface on the traffic port under {@code path}
 * @param bind the address the admin port binds
 * @since 0.1.0
 */
public record AdminSettings(
    boolean enabled, String path, @Nullable String token, @Nullable Integer port, String bind) {

  /** The default address of the admin port: loopback only. */
  public static final String DEFAULT_BIND = "127.0.0.1";

  /** The default path prefix. */
  public static final String DEFAULT_PATH = "/lb-admin";

  /**
   * The token, if one is set.
   *
   * @return the token
   */
  public Optional<String> tokenIfSet() {
    return Optional.ofNullable(token);
  }

  @Override
  public String toString() {
    return "AdminSettings[enabled=" + enabled + ", path=" + path + ", token="
        + (token == null ? "none" : "******") + ", port=" + port + ", bind=" + bind + "]";
  }
}
