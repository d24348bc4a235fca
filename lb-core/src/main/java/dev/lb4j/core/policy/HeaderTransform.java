package dev.lb4j.core.policy;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * Adds, sets and removes request and response headers, with values that may use variables, and
 * gives every request an id. Immutable and thread-safe. Build one with {@link #builder(String)}.
 *
 * <p><b>Variables</b> in values, written {@code ${name}}: {@code client_address} (the connection's
 * peer), {@code host}, {@code method}, {@code path}, {@code request_id} (the request's id, see below),
 * {@code header.<Name>} (the request's first value of a header), and {@code route} and {@code
 * backend_id}, which the load balancer fills in after routing and picking (on the lease's {@code
 * requestHeaders()} and {@code responseHeaders(...)}; called directly, the policy leaves the
 * placeholders {@link #ROUTE} and {@link #BACKEND_ID}). A variable with no value
 * (no client address known, header absent) becomes the empty string; CR, LF and NUL coming from the
 * request are removed, so a variable can never split a header. A literal {@code $} is written {@code
 * $$}. Unknown variables fail at build.
 *
 * <p><b>Request id.</b> With {@link Builder#requestId(String)}, a request without that header gets
 * one (32 random hexadecimal digits); one that has it keeps it. The id is also set on the response.
 * Adapters apply the request edits before forwarding and pass the forwarded request to {@link
 * #onResponse}, so both sides see the same id.
 *
 * <p>Rules apply in the order they were added. A transform with only response rules allocates
 * nothing on the request side.
 *
 * @since 0.1.0
 */
public final class HeaderTransform implements Policy {

  private enum Side {
    REQUEST,
    RESPONSE
  }

  private enum Op {
    SET,
    ADD,
    REMOVE
  }

  private record Rule(Side side, Op op, String name, Template value) {}

  /**
   * Placeholders for the variables only the engine knows; it replaces them in the lease's request
   * edits (after the pick) and response edits. They are marked with U+E000 (a private-use
   * character) that {@link #clean} removes from every request value, so a client cannot forge one.
   */
  public static final String ROUTE = "\ue000route\ue000";

  /** The placeholder for {@code ${backend_id}}; see {@link #ROUTE}. */
  public static final String BACKEND_ID = "\ue000backend_id\ue000";

  private final String name;
  private final Rule[] rules;
  private final @Nullable String requestIdHeader;
  private final boolean requestSideWork;

  private HeaderTransform(Builder b) {
    this.name = b.name;
    this.rules = b.rules.toArray(new Rule[0]);
    this.requestIdHeader = b.requestIdHeader;
    boolean any = requestIdHeader != null;
    for (Rule r : rules) {
      any |= r.side == Side.REQUEST;
    }
    this.requestSideWork = any;
  }

  /**
   * Starts building a header transform.
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
    if (!requestSideWork) {
      return PolicyDecision.proceed();
    }
    HeaderChanges.Builder edits = HeaderChanges.builder();
    String id = null;
    String idHeader = requestIdHeader;
    if (idHeader != null) {
      id = request.header(idHeader);
      if (id == null || id.isEmpty()) {
        id = newRequestId();
        edits.set(idHeader, id);
      }
    }
    for (Rule r : rules) {
      if (r.side == Side.REQUEST) {
        apply(edits, r, request, id);
      }
    }
    return PolicyDecision.proceed(edits.build());
  }

  @Override
  public HeaderChanges onResponse(RequestView request, ResponseView response) {
    HeaderChanges.Builder edits = HeaderChanges.builder();
    String idHeader = requestIdHeader;
    String id = idHeader == null ? null : request.header(idHeader);
    if (idHeader != null && id != null) {
      edits.set(idHeader, clean(id));
    }
    for (Rule r : rules) {
      if (r.side == Side.RESPONSE) {
        apply(edits, r, request, id);
      }
    }
    return edits.build();
  }

  private static void apply(
      HeaderChanges.Builder edits, Rule r, RequestView request, @Nullable String id) {
    switch (r.op) {
      case SET -> edits.set(r.name, r.value.render(request, id));
      case ADD -> edits.add(r.name, r.value.render(request, id));
      case REMOVE -> edits.remove(r.name);
    }
  }

  private static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return hex16(random.nextLong()) + hex16(random.nextLong());
  }

  private static String hex16(long v) {
    String h = Long.toHexString(v);
    return "0".repeat(16 - h.length()) + h;
  }

  /**
   * Removes CR, LF and NUL, which would otherwise let a request value split a header, and U+E000,
   * which marks the engine's placeholders.
   */
  static String clean(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == 0 || c == '\ue000') {
        StringBuilder sb = new StringBuilder(value.length());
        for (int j = 0; j < value.length(); j++) {
          char d = value.charAt(j);
          if (d != '\r' && d != '\n' && d != 0 && d != '\ue000') {
            sb.append(d);
          }
        }
        return sb.toString();
      }
    }
    return value;
  }

  @Override
  public String toString() {
    return "header transform '" + name + "': " + List.of(rules)
        + (requestIdHeader == null ? "" : ", request id in " + requestIdHeader);
  }

  /** A value with {@code ${variable}} parts, parsed at build. */
  static final class Template {
    private final String text;
    private final String[] literals; // literals[i] precedes variables[i]; one more literal at the end
    private final String[] variables;

    private Template(String text, String[] literals, String[] variables) {
      this.text = text;
      this.literals = literals;
      this.variables = variables;
    }

    static Template parse(String field, String text) {
      List<String> literals = new ArrayList<>();
      List<String> variables = new ArrayList<>();
      StringBuilder literal = new StringBuilder();
      int i = 0;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '$') {
          literal.append('$');
          i += 2;
        } else if (c == '$' && i + 1 < text.length() && text.charAt(i + 1) == '{') {
          int close = text.indexOf('}', i + 2);
          if (close < 0) {
            throw new IllegalArgumentException(
                field + ": '" + text + "' has an unclosed ${ (expected: ${variable}, or $$ for $)");
          }
          String variable = text.substring(i + 2, close);
          checkVariable(field, text, variable);
          literals.add(literal.toString());
          literal.setLength(0);
          variables.add(variable);
          i = close + 1;
        } else if (c == '\r' || c == '\n' || c == 0) {
          throw new IllegalArgumentException(
              field + ": contains CR, LF or NUL (expected: a single-line value)");
        } else {
          literal.append(c);
          i++;
        }
      }
      literals.add(literal.toString());
      return new Template(
          text, literals.toArray(new String[0]), variables.toArray(new String[0]));
    }

    private static void checkVariable(String field, String text, String variable) {
      switch (variable) {
        case "client_address", "host", "method", "path", "request_id", "route", "backend_id" -> {
          return;
        }
        default -> {
          if (variable.startsWith("header.") && variable.length() > "header.".length()) {
            return;
          }
          throw new IllegalArgumentException(
              field + ": '" + text + "' uses unknown variable ${" + variable + "} (expected:"
                  + " client_address, host, method, path, request_id, route, backend_id or"
                  + " header.<Name>)");
        }
      }
    }

    String render(RequestView request, @Nullable String requestId) {
      if (variables.length == 0) {
        return literals[0];
      }
      StringBuilder sb = new StringBuilder(text.length() + 32);
      for (int i = 0; i < variables.length; i++) {
        sb.append(literals[i]);
        String variable = variables[i];
        String v = value(variable, request, requestId);
        if (variable.equals("route") || variable.equals("backend_id")) {
          sb.append(v); // the engine's own placeholder, filled in after the pick
        } else if (v != null) {
          sb.append(clean(v));
        }
      }
      sb.append(literals[variables.length]);
      return sb.toString();
    }

    private static @Nullable String value(
        String variable, RequestView request, @Nullable String requestId) {
      return switch (variable) {
        case "client_address" -> request.clientAddress();
        case "host" -> request.host();
        case "method" -> request.method();
        case "path" -> request.path();
        case "request_id" -> requestId;
        // Known only to the engine (after routing and the pick): left for it to fill in.
        case "route" -> ROUTE;
        case "backend_id" -> BACKEND_ID;
        default -> request.header(variable.substring("header.".length()));
      };
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /**
   * Builds a {@link HeaderTransform}. Messages name the field ({@code policies.<name>.request.set}),
   * the value and what is allowed. Not thread-safe.
   */
  public static final class Builder {
    private final String name;
    private final List<Rule> rules = new ArrayList<>();
    private @Nullable String requestIdHeader;

    private Builder(String name) {
      this.name = PolicyNames.check(name);
    }

    private Builder rule(Side side, Op op, String header, String value) {
      String field =
          "policies." + name + "." + side.name().toLowerCase(Locale.ROOT) + "."
              + op.name().toLowerCase(Locale.ROOT);
      Objects.requireNonNull(header, field);
      Objects.requireNonNull(value, field);
      try {
        HeaderChanges.builder().remove(header); // validates the name as a token
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
      }
      rules.add(new Rule(side, op, header, Template.parse(field + "." + header, value)));
      return this;
    }

    /**
     * Sets a request header (replacing its values).
     *
     * @param header the header name
     * @param value the value, with {@code ${variables}}
     * @return this builder
     */
    public Builder setRequestHeader(String header, String value) {
      return rule(Side.REQUEST, Op.SET, header, value);
    }

    /**
     * Adds a value to a request header.
     *
     * @param header the header name
     * @param value the value, with {@code ${variables}}
     * @return this builder
     */
    public Builder addRequestHeader(String header, String value) {
      return rule(Side.REQUEST, Op.ADD, header, value);
    }

    /**
     * Removes a request header before forwarding.
     *
     * @param header the header name
     * @return this builder
     */
    public Builder removeRequestHeader(String header) {
      return rule(Side.REQUEST, Op.REMOVE, header, "");
    }

    /**
     * Sets a response header.
     *
     * @param header the header name
     * @param value the value, with {@code ${variables}} (of the request)
     * @return this builder
     */
    public Builder setResponseHeader(String header, String value) {
      return rule(Side.RESPONSE, Op.SET, header, value);
    }

    /**
     * Adds a value to a response header.
     *
     * @param header the header name
     * @param value the value, with {@code ${variables}} (of the request)
     * @return this builder
     */
    public Builder addResponseHeader(String header, String value) {
      return rule(Side.RESPONSE, Op.ADD, header, value);
    }

    /**
     * Removes a response header (such as {@code Server}) before it reaches the client.
     *
     * @param header the header name
     * @return this builder
     */
    public Builder removeResponseHeader(String header) {
      return rule(Side.RESPONSE, Op.REMOVE, header, "");
    }

    /**
     * Gives every request an id in this header, generated when absent, and echoes it on the
     * response.
     *
     * @param header usually {@code X-Request-Id}
     * @return this builder
     */
    public Builder requestId(String header) {
      try {
        HeaderChanges.builder().remove(Objects.requireNonNull(header, "header"));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("policies." + name + ".requestId: " + e.getMessage(), e);
      }
      if (requestIdHeader != null) {
        throw new IllegalStateException(
            "policies." + name + ".requestId was already set to " + requestIdHeader);
      }
      this.requestIdHeader = header;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException if it would do nothing
     */
    public HeaderTransform build() {
      if (rules.isEmpty() && requestIdHeader == null) {
        throw new IllegalArgumentException(
            "policies." + name + ": no header rules and no requestId (expected: at least one)");
      }
      return new HeaderTransform(this);
    }
  }
}
