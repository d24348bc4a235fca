package dev.lb4j.servlet;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** The header rules of a reverse proxy: hop-by-hop headers, forwarding headers, request checks. */
final class Headers {

  /**
   * Hop-by-hop headers (RFC 9110 section 7.6.1, plus the non-standard {@code Keep-Alive} and
   * {@code Proxy-Connection} that section names): they describe one connection and are never
   * forwarded, in either direction.
   */
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  /**
   * Request headers the proxy does not copy: the JDK client sets them itself and refuses them
   * ({@code Host} from the upstream URI, {@code Content-Length} from the body, {@code Expect} is
   * answered by the container), and the forwarding headers, which the proxy writes itself.
   */
  static final Set<String> NOT_COPIED =
      Set.of(
          "host",
          "content-length",
          "expect",
          "x-forwarded-for",
          "x-forwarded-proto",
          "x-forwarded-host",
          "x-forwarded-port",
          "forwarded");

  private Headers() {}

  /**
   * The names a message's {@code Connection} headers list, lower case: hop-by-hop for this message
   * too (RFC 9110 section 7.6.1).
   */
  static Set<String> connectionOptions(List<String> connectionValues) {
    Set<String> names = new TreeSet<>();
    for (String value : connectionValues) {
      for (String token : value.split(",", -1)) {
        String t = token.trim();
        if (!t.isEmpty()) {
          names.add(t.toLowerCase(Locale.ROOT));
        }
      }
    }
    return names;
  }

  /** Whether a header is forwarded, given the lower-case names its message's Connection lists. */
  static boolean isEndToEnd(String name, Set<String> connectionOptions) {
    String lower = name.toLowerCase(Locale.ROOT);
    return !HOP_BY_HOP.contains(lower)
        && !connectionOptions.contains(lower)
        && !lower.startsWith(":"); // HTTP/2 pseudo-headers are not fields
  }

  /**
   * Why a request must not be forwarded, or {@code null} when it may be.
   *
   * <ul>
   *   <li>Both {@code Content-Length} and {@code Transfer-Encoding}: the framing is ambiguous, the
   *       classic request-smuggling vector; RFC 9112 section 6.1 lets a server reject it, and a
   *       proxy must not pass it on in a form the next hop may frame differently.
   *   <li>Several different {@code Content-Length} values (RFC 9112 section 6.3, item 5).
   *   <li>A {@code Transfer-Encoding} whose final coding is not {@code chunked} (RFC 9112 section
   *       6.3, item 4: the length cannot be determined).
   *   <li>CR, LF or NUL in a header value (RFC 9110 section 5.5): it would split the header when
   *       written again.
   * </ul>
   *
   * @param names every header name of the request
   * @param values every value of one header
   */
  static @Nullable String rejection(
      Iterable<String> names, java.util.function.Function<String, List<String>> values) {
    List<String> contentLength = new ArrayList<>();
    List<String> transferEncoding = new ArrayList<>();
    for (String name : names) {
      for (String value : values.apply(name)) {
        for (int i = 0; i < value.length(); i++) {
          char c = value.charAt(i);
          if (c == '\r' || c == '\n' || c == 0) {
            return "header '" + name + "' contains CR, LF or NUL";
          }
        }
        if (name.equalsIgnoreCase("content-length")) {
          contentLength.add(value.trim());
        } else if (name.equalsIgnoreCase("transfer-encoding")) {
          transferEncoding.add(value.trim());
        }
      }
    }
    if (!contentLength.isEmpty() && !transferEncoding.isEmpty()) {
      return "both Content-Length and Transfer-Encoding";
    }
    String first = contentLength.isEmpty() ? "" : contentLength.get(0).split(",", -1)[0].trim();
    for (String v : contentLength) {
      for (String part : v.split(",", -1)) {
        if (!part.trim().equals(first)) {
          return "conflicting Content-Length values";
        }
      }
    }
    if (!transferEncoding.isEmpty()) {
      String last = transferEncoding.get(transferEncoding.size() - 1);
      int comma = last.lastIndexOf(',');
      String coding = (comma < 0 ? last : last.substring(comma + 1)).trim();
      if (!coding.equalsIgnoreCase("chunked")) {
        return "Transfer-Encoding does not end in chunked";
      }
    }
    return null;
  }

  /**
   * An RFC 7239 {@code Forwarded} element ({@code for=...;host=...;proto=...}), each value a token
   * or, when it is not one (an IPv6 address, a host with its port), a quoted string (section 4);
   * an IPv6 address is bracketed (section 6).
   */
  static String forwardedElement(@Nullable String clientAddress, String host, String proto) {
    StringBuilder b = new StringBuilder(64);
    if (clientAddress != null) {
      String node = clientAddress.indexOf(':') >= 0 && !clientAddress.startsWith("[")
          ? "[" + clientAddress + "]"
          : clientAddress;
      b.append("for=").append(tokenOrQuoted(node)).append(';');
    }
    b.append("host=").append(tokenOrQuoted(host)).append(";proto=").append(tokenOrQuoted(proto));
    return b.toString();
  }

  private static String tokenOrQuoted(String value) {
    boolean token = !value.isEmpty();
    for (int i = 0; i < value.length() && token; i++) {
      token = isTchar(value.charAt(i));
    }
    if (token) {
      return value;
    }
    StringBuilder q = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"' || c == '\\') {
        q.append('\\');
      }
      q.append(c);
    }
    return q.append('"').toString();
  }

  /** RFC 9110 section 5.6.2 {@code tchar}. */
  private static boolean isTchar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
  }
}
