package dev.lb4j.core.policy;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Access control by client address and method. Immutable and thread-safe. Build one with {@link
 * #builder(String)}.
 *
 * <p><b>Which address.</b> The real client address is the connection's peer ({@link
 * RequestView#clientAddress()}), unless the peer is a {@linkplain Builder#trustedProxies trusted
 * proxy}: then the forwarding header ({@code X-Forwarded-For} by default, or RFC 7239 {@code
 * Forwarded}) is read from right to left, skipping trusted proxies, and the first address that is not
 * a trusted proxy is the client. A header sent by an untrusted peer is ignored, so a client cannot
 * spoof its address. An unparsable entry reached this way (one a trusted proxy wrote) makes the
 * client unknown; it never makes the request count as coming from a trusted proxy.
 *
 * <p><b>Adapters</b> must return every line of a repeated header from {@link RequestView#headers}
 * (the default implementation returns only the first): a proxy that adds its own {@code
 * X-Forwarded-For} line after a client's forged one is only safe when the last line is read.
 *
 * <p>Use {@link #clientKey()} as the key of a per-client {@code RateLimit} behind trusted proxies,
 * so each client gets its own bucket rather than sharing the proxy's.
 *
 * <p><b>Rules.</b> An address in a {@linkplain Builder#deny denied} range is rejected; otherwise, if
 * any range is {@linkplain Builder#allow allowed}, an address in none of them is rejected. Denial wins
 * over allowance (deny {@code 10.0.0.13} inside an allowed {@code 10.0.0.0/8}). A request whose client
 * address is unknown or unparsable is rejected when there are allow ranges, and admitted by deny
 * ranges alone. Address rejections answer 403. With a {@linkplain Builder#methods method allow list},
 * other methods answer 405 with an {@code Allow} header.
 *
 * @since 0.1.0
 */
public final class AccessControl implements Policy {

  /** Which header carries the addresses proxies forwarded for. */
  public enum ForwardedHeader {
    /** {@code X-Forwarded-For: client, proxy1, proxy2}. The default. */
    X_FORWARDED_FOR,
    /** RFC 7239 {@code Forwarded: for=client, for="[2001:db8::1]:4711"}. */
    FORWARDED
  }

  private final String name;
  private final Cidr[] allow;
  private final Cidr[] deny;
  private final Cidr[] trusted;
  private final ForwardedHeader forwardedHeader;
  private final String[] methods;
  private final PolicyDecision methodRejection;

  private AccessControl(Builder b) {
    this.name = b.name;
    this.allow = b.allow.toArray(new Cidr[0]);
    this.deny = b.deny.toArray(new Cidr[0]);
    this.trusted = b.trusted.toArray(new Cidr[0]);
    this.forwardedHeader = b.forwardedHeader;
    this.methods = b.methods.toArray(new String[0]);
    this.methodRejection =
        methods.length == 0
            ? PolicyDecision.proceed()
            : PolicyDecision.reject(
                405,
                "access control '" + name + "': method not allowed (allowed: "
                    + String.join(", ", methods) + ")",
                HeaderChanges.builder().set("Allow", String.join(", ", methods)).build());
  }

  /**
   * Starts building an access-control policy.
   *
   * @param name the policy's name
   * @return a builder
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PolicyDecision onRequest(RequestView request) {
    if (methods.length > 0 && !contains(methods, request.method())) {
      return methodRejection;
    }
    if (allow.length == 0 && deny.length == 0) {
      return PolicyDecision.proceed();
    }
    Client client = CLIENT.get();
    boolean known = find(request, client);
    long hi = client.bits[0];
    long lo = client.bits[1];
    if (known) {
      for (Cidr c : deny) {
        if (c.contains(hi, lo)) {
          return reject(client.text(), "denied by " + c);
        }
      }
    }
    if (allow.length == 0) {
      client.forget();
      return PolicyDecision.proceed();
    }
    if (known) {
      for (Cidr c : allow) {
        if (c.contains(hi, lo)) {
          client.forget();
          return PolicyDecision.proceed();
        }
      }
    }
    return reject(known ? client.text() : null, "not in an allowed range");
  }

  private PolicyDecision reject(@Nullable String client, String why) {
    return PolicyDecision.reject(
        403,
        "access control '" + name + "': client " + (client == null ? "(unknown)" : client) + " "
            + why);
  }

  private static boolean contains(String[] values, String value) {
    for (String v : values) {
      if (v.equals(value)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A hash key that is the real client address as this policy determines it (trusted proxies and
   * the forwarding header taken into account), for per-client rate limits and sticky routing.
   *
   * @return the key source; requests whose client is unknown have no key
   */
  public HashKey clientKey() {
    return HashKey.of("real client address (" + name + ")", this::clientAddress);
  }

  /**
   * The real client address of the request, as this policy determines it (trusted proxies and the
   * forwarding header taken into account), for explain traces and tests.
   *
   * @param request the request
   * @return the address as written, or {@code null} when unknown or unparsable
   */
  public @Nullable String clientAddress(RequestView request) {
    Client client = CLIENT.get();
    return find(request, client) ? client.text() : null;
  }

  /**
   * Where one request's client address was found and its bits: reused by every request on a thread,
   * so checking an address allocates nothing (a new thread, such as a virtual thread per request,
   * allocates one on its first request, less than the two arrays a check used to allocate).
   */
  private static final class Client {
    /** The address's high and low 64 bits (IPv4 as IPv4-mapped IPv6). */
    final long[] bits = new long[2];

    /** The text holding the address (the peer's address or a header); null once forgotten. */
    @Nullable String holder;

    int start;
    int end;

    /** Whether {@code holder} is a header value, whose entry is trimmed, not the peer's address. */
    boolean forwarded;

    /** The address as written; allocates for an entry of a header with several entries. */
    String text() {
      String h = holder;
      holder = null;
      if (h == null) {
        throw new IllegalStateException("no client address was found");
      }
      return forwarded ? h.substring(start, end).trim() : h;
    }

    /** Drops the reference to the request's text, so a thread holds no request after it. */
    void forget() {
      holder = null;
    }
  }

  private static final ThreadLocal<Client> CLIENT = ThreadLocal.withInitial(Client::new);

  /**
   * Finds the client address: true when known, with its bits and text in {@code client}; false when
   * unknown or unparsable.
   */
  private boolean find(RequestView request, Client client) {
    client.holder = null;
    String peer = request.clientAddress();
    if (peer == null || !IpAddresses.parse(peer, 0, peer.length(), client.bits)) {
      return false;
    }
    client.forwarded = false;
    client.holder = peer;
    if (trusted.length == 0 || !isTrusted(client.bits)) {
      return true;
    }
    // Lower-case names: adapters match names case-insensitively, and a lower-case name lets them do
    // it without copying.
    List<String> values =
        request.headers(forwardedHeader == ForwardedHeader.FORWARDED ? "forwarded" : "x-forwarded-for");
    for (int v = values.size() - 1; v >= 0; v--) {
      String header = values.get(v);
      int end = header.length();
      while (end > 0) {
        int comma = header.lastIndexOf(',', end - 1);
        int start = comma + 1;
        long span = forwardedHeader == ForwardedHeader.FORWARDED
            ? forValue(header, start, end)
            : span(start, end);
        if (span < 0
            || !IpAddresses.parse(header, spanStart(span), spanEnd(span), client.bits)) {
          client.holder = null;
          return false; // unparsable hop written by a trusted proxy: the client is unknown
        }
        client.holder = header;
        client.forwarded = true;
        client.start = spanStart(span);
        client.end = spanEnd(span);
        if (!isTrusted(client.bits)) {
          return true;
        }
        end = comma < 0 ? 0 : comma;
      }
    }
    return true; // every hop was a trusted proxy: the leftmost is the client
  }

  /** A span of a string as one {@code long}, the start in the high half: no array per span. */
  private static long span(int start, int end) {
    return (long) start << 32 | end;
  }

  private static int spanStart(long span) {
    return (int) (span >>> 32);
  }

  private static int spanEnd(long span) {
    return (int) span;
  }

  /**
   * The address span of the {@code for=} parameter of one RFC 7239 element, ports stripped, as a
   * {@link #span}; -1 when there is none.
   */
  private static long forValue(String header, int start, int end) {
    int i = start;
    while (i < end) {
      int semi = header.indexOf(';', i);
      int pairEnd = semi < 0 || semi > end ? end : semi;
      int eq = header.indexOf('=', i);
      if (eq > 0 && eq < pairEnd && isFor(header, i, eq)) {
        int vs = eq + 1;
        int ve = pairEnd;
        while (vs < ve && header.charAt(vs) == ' ') {
          vs++;
        }
        while (ve > vs && header.charAt(ve - 1) == ' ') {
          ve--;
        }
        if (ve - vs >= 2 && header.charAt(vs) == '"' && header.charAt(ve - 1) == '"') {
          vs++;
          ve--;
        }
        if (vs < ve && header.charAt(vs) == '[') {
          int close = header.indexOf(']', vs);
          return close < 0 || close >= ve ? -1 : span(vs + 1, close);
        }
        int colon = header.indexOf(':', vs);
        if (colon >= 0 && colon < ve) {
          int second = header.indexOf(':', colon + 1);
          if (second < 0 || second >= ve) {
            ve = colon; // IPv4 with a port (one colon within the value)
          }
        }
        return span(vs, ve);
      }
      i = pairEnd + 1;
    }
    return -1;
  }

  /**
   * Whether {@code header[from, to)}, trimmed as {@link String#trim} trims, is {@code for} in any
   * case: what {@code substring(from, to).trim().toLowerCase(Locale.ROOT).equals("for")} answers
   * (only F, O and R lower-case to f, o and r), without the copies.
   */
  private static boolean isFor(String header, int from, int to) {
    while (from < to && header.charAt(from) <= ' ') {
      from++;
    }
    while (to > from && header.charAt(to - 1) <= ' ') {
      to--;
    }
    return to - from == 3
        && (header.charAt(from) | 0x20) == 'f'
        && (header.charAt(from + 1) | 0x20) == 'o'
        && (header.charAt(from + 2) | 0x20) == 'r';
  }

  private boolean isTrusted(long[] address) {
    for (Cidr c : trusted) {
      if (c.contains(address[0], address[1])) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "access control '" + name + "': allow " + List.of(allow) + ", deny " + List.of(deny)
        + ", trusted proxies " + List.of(trusted) + " via " + forwardedHeader
        + (methods.length == 0 ? "" : ", methods " + List.of(methods));
  }

  /**
   * Builds {@link AccessControl}. Messages name the field ({@code policies.<name>.allow}), the value
   * and what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private final List<Cidr> allow = new ArrayList<>();
    private final List<Cidr> deny = new ArrayList<>();
    private final List<Cidr> trusted = new ArrayList<>();
    private ForwardedHeader forwardedHeader = ForwardedHeader.X_FORWARDED_FOR;
    private final Set<String> methods = new LinkedHashSet<>();

    private Builder(String name) {
      this.name = PolicyNames.check(name);
    }

    private List<Cidr> parse(String field, String... cidrs) {
      Objects.requireNonNull(cidrs, field);
      List<Cidr> parsed = new ArrayList<>(cidrs.length);
      for (String c : cidrs) {
        parsed.add(Cidr.parse("policies." + name + "." + field, c));
      }
      return parsed;
    }

    /**
     * Admits only clients in these ranges (and not denied). May be called more than once.
     *
     * @param cidrs ranges such as {@code 10.0.0.0/8} or {@code 2001:db8::/32}
     * @return this builder
     */
    public Builder allow(String... cidrs) {
      allow.addAll(parse("allow", cidrs));
      return this;
    }

    /**
     * Rejects clients in these ranges. May be called more than once.
     *
     * @param cidrs ranges
     * @return this builder
     */
    public Builder deny(String... cidrs) {
      deny.addAll(parse("deny", cidrs));
      return this;
    }

    /**
     * Proxies whose forwarding header is believed. May be called more than once.
     *
     * @param cidrs ranges of your own load balancers and proxies
     * @return this builder
     */
    public Builder trustedProxies(String... cidrs) {
      trusted.addAll(parse("trustedProxies", cidrs));
      return this;
    }

    /**
     * Sets which header trusted proxies use. Default: {@code X-Forwarded-For}.
     *
     * @param header the header
     * @return this builder
     */
    public Builder forwardedHeader(ForwardedHeader header) {
      this.forwardedHeader = Objects.requireNonNull(header, "header");
      return this;
    }

    /**
     * Admits only these methods; others get 405. May be called more than once.
     *
     * @param methods HTTP methods such as {@code GET}
     * @return this builder
     */
    public Builder methods(String... methods) {
      Objects.requireNonNull(methods, "methods");
      for (String m : methods) {
        if (m == null || !m.matches("[A-Za-z0-9_-]{1,32}")) {
          throw new IllegalArgumentException(
              "policies." + name + ".methods: '" + m + "' (expected: an HTTP method such as GET or"
                  + " M-SEARCH)");
        }
        this.methods.add(m.toUpperCase(Locale.ROOT));
      }
      return this;
    }

    /**
     * Checks the settings and builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException when the rules contradict each other or do nothing
     */
    public AccessControl build() {
      if (allow.isEmpty() && deny.isEmpty() && methods.isEmpty()) {
        throw new IllegalArgumentException(
            "policies." + name + ": no allow, deny or methods (expected: at least one rule)");
      }
      for (Cidr d : deny) {
        for (Cidr a : allow) {
          if (d.equals(a)) {
            throw new IllegalArgumentException(
                "policies." + name + ".deny: '" + d + "' is also allowed (expected: a range in"
                    + " one list only; deny wins, so the allow entry would do nothing)");
          }
        }
      }
      return new AccessControl(this);
    }
  }
}
