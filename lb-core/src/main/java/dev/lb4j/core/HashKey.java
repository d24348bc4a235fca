package dev.lb4j.core;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.internal.NamedHashKey;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Where a hashing pool finds the key of a request. The engine hashes the key with XXH64 (seed 0) over
 * its UTF-8 bytes, the hash Envoy's hash policies use for a header, cookie or query value. (A key
 * that is an ASCII {@code String}, as header, cookie and query values usually are, is hashed
 * straight from its chars without a copy; any other key is encoded to a short-lived byte array
 * first.)
 *
 * <p>A request without a key (the header is absent, say) is balanced with a random hash, and counted
 * in the pool's {@link PoolStats#hashKeyMisses()}. A key function that throws is treated the same
 * way and logged; it never stops balancing.
 *
 * <p>Implementations must be thread-safe and should not allocate; the built-ins return strings the
 * request already holds.
 *
 * @since 0.1.0
 */
public interface HashKey {

  /**
   * Extracts the key.
   *
   * @param request the request
   * @return the key, or {@code null} when the request has none
   */
  @Nullable CharSequence key(RequestView request);

  /**
   * The first value of a request header.
   *
   * @param name the header name, case-insensitive
   * @return the key source
   */
  static HashKey header(String name) {
    requireName(name, "header");
    // Adapters match names case-insensitively; a lower-case name lets them do it without copying.
    String lower = name.toLowerCase(java.util.Locale.ROOT);
    return named("header(" + name + ")", r -> r.header(lower));
  }

  /**
   * The value of a cookie.
   *
   * @param name the cookie name
   * @return the key source
   */
  static HashKey cookie(String name) {
    requireName(name, "cookie");
    return named("cookie(" + name + ")", r -> r.cookie(name));
  }

  /**
   * The value of a query parameter, as sent.
   *
   * @param name the parameter name
   * @return the key source
   */
  static HashKey queryParameter(String name) {
    requireName(name, "queryParameter");
    return named("queryParameter(" + name + ")", r -> r.queryParameter(name));
  }

  /**
   * The client's IP address (without port), as Envoy's {@code source_ip} hash policy uses.
   *
   * @return the key source
   */
  static HashKey clientAddress() {
    return named("clientAddress", RequestView::clientAddress);
  }

  /**
   * The request path, without the query.
   *
   * @return the key source
   */
  static HashKey path() {
    return named("path", RequestView::path);
  }

  /**
   * A user function of the request.
   *
   * @param description shown in {@code toString()} and logs, such as {@code "tenant id"}
   * @param function returns the key or {@code null}; must be thread-safe
   * @return the key source
   */
  static HashKey of(String description, Function<RequestView, @Nullable CharSequence> function) {
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(function, "function");
    return new NamedHashKey(description, function, function);
  }

  private static void requireName(String name, String what) {
    Objects.requireNonNull(name, what);
    if (name.isBlank()) {
      throw new IllegalArgumentException(what + ": '" + name + "' (expected: a non-blank name)");
    }
  }

  private static HashKey named(
      String description, Function<RequestView, @Nullable CharSequence> function) {
    return new NamedHashKey(description, function, null);
  }
}
