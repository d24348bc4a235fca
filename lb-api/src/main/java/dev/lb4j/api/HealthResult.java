package dev.lb4j.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The result of one {@link HealthProbe} check: healthy, or unhealthy with a reason. Immutable.
 *
 * @since 0.1.0
 */
public final class HealthResult {

  private static final HealthResult HEALTHY = new HealthResult(true, "ok");

  private final boolean healthy;
  private final String reason;

  private HealthResult(boolean healthy, String reason) {
    this.healthy = healthy;
    this.reason = reason;
  }

  /**
   * A passed check.
   *
   * @return the healthy result
   */
  public static HealthResult healthy() {
    return HEALTHY;
  }

  /**
   * A failed check.
   *
   * @param reason what failed, for operators (for example {@code "connect refused"})
   * @return the result
   */
  public static HealthResult unhealthy(String reason) {
    Objects.requireNonNull(reason, "reason");
    return new HealthResult(false, reason);
  }

  /**
   * Whether the check passed.
   *
   * @return {@code true} if healthy
   */
  public boolean isHealthy() {
    return healthy;
  }

  /**
   * Why the check failed, or {@code "ok"} when it passed.
   *
   * @return the reason
   */
  public String reason() {
    return reason;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof HealthResult other && other.healthy == healthy && other.reason.equals(reason);
  }

  @Override
  public int hashCode() {
    return Objects.hash(healthy, reason);
  }

  @Override
  public String toString() {
    return healthy ? "healthy" : "unhealthy: " + reason;
  }
}
