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
 * @since 0.1.0
 */
public record AdminSettings(boolean enabled, String path, @Nullable String token) {

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
        + (token == null ? "none" : "******") + "]";
  }
}
