package dev.lb4j.api;

import org.jspecify.annotations.Nullable;

/**
 * A read-only view of the response to a balanced request, as {@link Policy#onResponse} sees it.
 * Adapters implement it over their own response objects.
 *
 * @since 0.1.0
 */
public interface ResponseView {

  /**
   * The HTTP status, or 0 when the call produced no response.
   *
   * @return the status or 0
   */
  int status();

  /**
   * The first value of the named response header, or {@code null}. Names are case-insensitive.
   *
   * @param name the header name
   * @return the value, or {@code null}
   */
  @Nullable String header(String name);
}
