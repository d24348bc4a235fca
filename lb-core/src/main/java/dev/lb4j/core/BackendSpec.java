package dev.lb4j.core;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The configuration of one backend: URI, id, weight, zone and metadata. Immutable; build one with
 * {@link #of(String)} or {@link #builder(String)}.
 *
 * <p>The URI must be absolute {@code http} or {@code https} with a host, and carry no user info,
 * query or fragment; a path is allowed and becomes the base path requests are sent under. The id
 * defaults to {@code host:port} (the port made explicit: 80 for http, 443 for https; IPv6 literals
 * in brackets), the string Envoy hashes for an endpoint address, so consistent hashing agrees with
 * an Envoy balancing the same addresses. Write IPv6 literals in their compressed lower-case form
 * ({@code [::1]}) for that agreement, or set the id explicitly.
 *
 * @since 0.1.0
 */
public final class BackendSpec {

  /** The smallest allowed weight. */
  public static final int MIN_WEIGHT = 1;

  /** The largest allowed weight. */
  public static final int MAX_WEIGHT = 10_000;

  /** The weight a backend gets when none is configured. */
  public static final int DEFAULT_WEIGHT = 1;

  private final String id;
  private final URI uri;
  private final int weight;
  private final String zone;
  private final Map<String, String> metadata;

  private BackendSpec(String id, URI uri, int weight, String zone, Map<String, String> metadata) {
    this.id = id;
    this.uri = uri;
    this.weight = weight;
    this.zone = zone;
    this.metadata = metadata;
  }

  /**
   * A backend with the default id and weight.
   *
   * @param uri the backend's URI, such as {@code http://10.0.0.7:8080}
   * @return the spec
   * @throws IllegalArgumentException naming the problem if the URI is not acceptable
   */
  public static BackendSpec of(String uri) {
    return builder(uri).build();
  }

  /**
   * Starts a backend spec.
   *
   * @param uri the backend's URI, checked at once
   * @return a builder
   * @throws IllegalArgumentException naming the problem if the URI is not acceptable
   */
  public static Builder builder(String uri) {
    return new Builder(checkUri("uri", uri));
  }

  /**
   * The id: unique in a pool and hashed by consistent-hashing algorithms.
   *
   * @return the id
   */
  public String id() {
    return id;
  }

  /**
   * The normalized URI (lower-case scheme and host).
   *
   * @return the URI
   */
  public URI uri() {
    return uri;
  }

  /**
   * The weight, {@value #MIN_WEIGHT}..{@value #MAX_WEIGHT}.
   *
   * @return the weight
   */
  public int weight() {
    return weight;
  }

  /**
   * The zone, or the empty string.
   *
   * @return the zone
   */
  public String zone() {
    return zone;
  }

  /**
   * The metadata.
   *
   * @return an immutable map
   */
  public Map<String, String> metadata() {
    return metadata;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(id).append(" -> ").append(uri);
    if (weight != DEFAULT_WEIGHT) {
      sb.append(" weight=").append(weight);
    }
    if (!zone.isEmpty()) {
      sb.append(" zone=").append(zone);
    }
    if (!metadata.isEmpty()) {
      sb.append(" metadata=").append(metadata);
    }
    return sb.toString();
  }

  static URI checkUri(String field, @Nullable String input) {
    if (input == null) {
      throw new IllegalArgumentException(field + ": null (expected: an http or https URI)");
    }
    String raw = input.trim();
    // Credentials must never reach a message or log: every message below quotes `text`.
    String text = redactUserInfo(raw);
    int colon = raw.indexOf(':');
    String rawScheme = colon < 0 ? "" : raw.substring(0, colon).toLowerCase(Locale.ROOT);
    if (!rawScheme.equals("http") && !rawScheme.equals("https")) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' (expected: an http or https URI such as http://10.0.0.7:8080)");
    }
    if (!text.equals(raw)) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' has user info (expected: no credentials in a backend URI)");
    }
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' is not a valid URI (" + e.getReason() + " at index "
              + e.getIndex() + "; expected: an http or https URI such as http://10.0.0.7:8080)");
    }
    String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
    if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' (expected: an http or https URI such as http://10.0.0.7:8080)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' has no valid host (expected: http[s]://host[:port][/path])");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' has a query or fragment (expected: http[s]://host[:port][/path])");
    }
    int port = uri.getPort();
    if (port == 0 || port > 65535) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' has port " + port + " (expected: 1..65535)");
    }
    if (port < 0) {
      port = scheme.equals("http") ? 80 : 443;
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    try {
      return new URI(scheme + "://" + host.toLowerCase(Locale.ROOT) + ":" + port + path);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          field + ": '" + text + "' (" + e.getReason() + "; expected: http[s]://host[:port][/path])");
    }
  }

  /**
   * Replaces the user info (everything before the last {@code @} of the authority) with {@code ***},
   * before any parsing, so that even a malformed URI never shows its credentials. The authority is
   * taken to start after the scheme and any number of slashes ({@code http:/u:p@h} and {@code
   * http:///u:p@h} are typos that must not leak either).
   */
  private static String redactUserInfo(String text) {
    int colon = text.indexOf(':');
    int start = colon < 0 ? 0 : colon + 1;
    while (start < text.length() && text.charAt(start) == '/') {
      start++;
    }
    int end = start;
    while (end < text.length() && "/?#".indexOf(text.charAt(end)) < 0) {
      end++;
    }
    int at = text.lastIndexOf('@', end - 1);
    if (at < start) {
      return text;
    }
    return text.substring(0, start) + "***" + text.substring(at);
  }

  static int checkWeight(String field, int weight) {
    if (weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
      throw new IllegalArgumentException(
          field + ": " + weight + " (expected: " + MIN_WEIGHT + ".." + MAX_WEIGHT + ")");
    }
    return weight;
  }

  static String defaultId(URI normalized) {
    return normalized.getHost() + ":" + normalized.getPort();
  }

  /** Builds a {@link BackendSpec}. Each setting may be set once; not thread-safe. */
  public static final class Builder {
    private final URI uri;
    private @Nullable String id;
    private int weight = DEFAULT_WEIGHT;
    private boolean weightSet;
    private @Nullable String zone;
    private final Map<String, String> metadata = new LinkedHashMap<>();

    Builder(URI uri) {
      this.uri = uri;
    }

    /**
     * Sets the id (default: {@code host:port} of the URI).
     *
     * @param id a non-blank id without control characters
     * @return this builder
     */
    public Builder id(String id) {
      if (this.id != null) {
        throw new IllegalStateException("id was already set to '" + this.id + "'");
      }
      Objects.requireNonNull(id, "id");
      if (id.isBlank() || id.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException(
            "id: '" + id + "' (expected: non-blank, without control characters)");
      }
      this.id = id;
      return this;
    }

    /**
     * Sets the weight (default {@value BackendSpec#DEFAULT_WEIGHT}).
     *
     * @param weight {@value BackendSpec#MIN_WEIGHT}..{@value BackendSpec#MAX_WEIGHT}
     * @return this builder
     */
    public Builder weight(int weight) {
      if (weightSet) {
        throw new IllegalStateException("weight was already set to " + this.weight);
      }
      this.weight = checkWeight("weight", weight);
      weightSet = true;
      return this;
    }

    /**
     * Sets the zone (default: none).
     *
     * @param zone a non-blank zone name
     * @return this builder
     */
    public Builder zone(String zone) {
      if (this.zone != null) {
        throw new IllegalStateException("zone was already set to '" + this.zone + "'");
      }
      Objects.requireNonNull(zone, "zone");
      if (zone.isBlank()) {
        throw new IllegalArgumentException("zone: '" + zone + "' (expected: a non-blank name)");
      }
      this.zone = zone;
      return this;
    }

    /**
     * Adds one metadata entry.
     *
     * @param key a non-blank key, not yet set
     * @param value the value
     * @return this builder
     */
    public Builder metadata(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (key.isBlank()) {
        throw new IllegalArgumentException("metadata key: '" + key + "' (expected: non-blank)");
      }
      if (metadata.containsKey(key)) {
        throw new IllegalStateException(
            "metadata '" + key + "' was already set to '" + metadata.get(key) + "'");
      }
      metadata.put(key, value);
      return this;
    }

    /**
     * Builds the spec; the builder stays usable.
     *
     * @return the spec
     */
    public BackendSpec build() {
      String zoneName = zone == null ? "" : zone;
      String backendId = id == null ? defaultId(uri) : id;
      return new BackendSpec(
          backendId, uri, weight, zoneName, java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metadata)));
    }
  }
}
