package dev.lb4j.servlet;

import dev.lb4j.api.Backend;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.config.ConfigDiff;
import dev.lb4j.config.ConfigProblem;
import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.ReloadEvent;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.Explanation;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerStats;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.routing.RouteMatch;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The admin interface's resources, shared by {@link AdminServlet} and the filter (which serves
 * them under the configuration file's {@code admin.path}). Every request is authorised first, then
 * routed by its path below the admin prefix. The REST shape is documented on {@link AdminServlet}.
 */
final class AdminApi {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.servlet.admin");
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String JSON_TYPE = "application/json";
  private static final String PROBLEM_TYPE = "application/problem+json";
  /** The largest JSON body an admin call may send. */
  static final int MAX_JSON = 64 * 1024;
  /** The largest configuration document an admin call may send. */
  static final int MAX_DOCUMENT = 1024 * 1024;

  private final LoadBalancer lb;
  private final byte[] tokenDigest;
  private final Supplier<@Nullable ConfigReloader> reloader;
  private final Map<String, AdminEndpoint> endpoints;

  AdminApi(
      LoadBalancer lb,
      String token,
      Supplier<@Nullable ConfigReloader> reloader,
      Map<String, AdminEndpoint> endpoints) {
    this.lb = lb;
    this.tokenDigest = digest(token);
    this.reloader = reloader;
    this.endpoints = Map.copyOf(endpoints);
  }

  /** A token an admin interface may use: {@code null} when acceptable, else why not. */
  static @Nullable String tokenProblem(@Nullable String token) {
    if (token == null || token.isBlank()) {
      return "expected: a non-blank bearer token (the admin interface never runs without one)";
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return "expected: printable ASCII without spaces (RFC 6750 b64token characters)";
      }
    }
    return null;
  }

  private static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }

  /**
   * Whether the request carries the token. Both sides are hashed first, so the comparison takes
   * the same time whatever the presented token's length or content, and {@link
   * MessageDigest#isEqual} does not stop at the first difference.
   */
  private boolean authorised(HttpServletRequest request) {
    List<String> values = Collections.list(request.getHeaders("Authorization"));
    if (values.size() != 1) {
      return false;
    }
    String value = values.get(0);
    // RFC 6750 section 2.1: "Bearer" (case-insensitive scheme, RFC 9110 section 11.1) SP token.
    if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    String presented = value.substring(7).strip();
    return MessageDigest.isEqual(tokenDigest, digest(presented));
  }

  /**
   * Serves one admin request.
   *
   * @param rest the raw path below the admin prefix: empty, or starting with {@code /}
   */
  void handle(HttpServletRequest request, HttpServletResponse response, String rest)
      throws IOException {
    response.setHeader("Cache-Control", "no-store");
    if (!authorised(request)) {
      // The same answer for a missing, malformed or wrong token, on every path: nothing about the
      // interface (its resources, pools or backends) is revealed before the token is checked.
      response.setHeader("WWW-Authenticate", "Bearer realm=\"lb4j-admin\"");
      problem(response, 401, "about:blank", "Unauthorized",
          "This resource needs a valid bearer token.", null);
      return;
    }
    List<String> path;
    try {
      path = segments(rest);
    } catch (IllegalArgumentException e) {
      problem(response, 400, "about:blank", "Bad Request",
          "the path is not valid: " + String.valueOf(e.getMessage()), null);
      return;
    }
    try {
      route(request, response, path, rest);
    } catch (BadInput e) {
      problem(response, e.status, e.type, e.title, String.valueOf(e.getMessage()), e.extra);
    }
  }

  private void route(
      HttpServletRequest request, HttpServletResponse response, List<String> path, String rest)
      throws IOException {
    String method = request.getMethod();
    int n = path.size();
    if (n == 0) {
      only(method, "GET");
      index(response);
      return;
    }
    String first = path.get(0);
    switch (first) {
      case "status" -> {
        if (n == 1) {
          only(method, "GET");
          json(response, 200, status(lb.stats()));
          return;
        }
      }
      case "pools" -> {
        pools(request, response, path, method);
        return;
      }
      case "explain" -> {
        if (n == 1) {
          only(method, "POST");
          json(response, 200, explain(readJson(request)));
          return;
        }
      }
      case "config" -> {
        config(request, response, path, method);
        return;
      }
      default -> {
        AdminEndpoint endpoint = endpoints.get(first);
        if (endpoint != null) {
          int at = rest.indexOf('/', 1);
          endpoint.serve(request, response, at < 0 ? "" : rest.substring(at));
          return;
        }
      }
    }
    throw notFound("no admin resource at this path");
  }

  private void index(HttpServletResponse response) throws IOException {
    ObjectNode out = NODES.objectNode();
    ArrayNode resources = out.putArray("resources");
    resources.add("GET status");
    resources.add("GET pools/{pool}");
    resources.add("GET pools/{pool}/backends/{id}");
    resources.add("POST pools/{pool}/backends");
    resources.add("DELETE pools/{pool}/backends/{id}");
    resources.add("POST pools/{pool}/backends/{id}/drain|undrain|enable|disable");
    resources.add("PUT pools/{pool}/backends/{id}/weight");
    resources.add("POST explain");
    resources.add("GET config");
    resources.add("POST config");
    resources.add("POST config/rollback");
    endpoints.keySet().stream().sorted().forEach(name -> resources.add("GET " + name));
    json(response, 200, out);
  }

  // ------------------------------------------------------------------ pools and backends

  private void pools(
      HttpServletRequest request, HttpServletResponse response, List<String> path, String method)
      throws IOException {
    int n = path.size();
    if (n == 1) {
      only(method, "GET");
      json(response, 200, status(lb.stats()).get("pools"));
      return;
    }
    String pool = path.get(1);
    if (!lb.poolNames().contains(pool)) {
      throw notFound("no pool named '" + pool + "'");
    }
    if (n == 2) {
      only(method, "GET");
      json(response, 200, pool(lb.stats().pool(pool)));
      return;
    }
    if (!path.get(2).equals("backends")) {
      throw notFound("no admin resource at this path");
    }
    if (n == 3) {
      only(method, "GET", "POST");
      if (method.equals("GET")) {
        json(response, 200, pool(lb.stats().pool(pool)).get("backends"));
      } else {
        addBackend(request, response, pool);
      }
      return;
    }
    String id = path.get(3);
    if (!hasBackend(pool, id)) {
      throw notFound("pool '" + pool + "' has no backend with id '" + id + "'");
    }
    if (n == 4) {
      only(method, "GET", "DELETE");
      if (method.equals("GET")) {
        json(response, 200, backend(lb.stats().pool(pool).backend(id)));
      } else {
        change(() -> lb.admin().removeBackend(pool, id));
        LOG.log(System.Logger.Level.INFO, "admin: removed backend {0} from pool {1} ({2})",
            id, pool, request.getRemoteAddr());
        response.setStatus(204);
      }
      return;
    }
    if (n == 5) {
      String action = path.get(4);
      if (action.equals("weight")) {
        only(method, "PUT");
        JsonNode body = readJson(request);
        JsonNode w = body.get("weight");
        if (w == null || !w.isIntegralNumber() || !w.canConvertToInt()) {
          throw invalid("the body must be {\"weight\": <integer>}, found " + body);
        }
        int weight = w.intValue();
        change(() -> lb.admin().setWeight(pool, id, weight));
        LOG.log(System.Logger.Level.INFO, "admin: weight of {0} in pool {1} set to {2} ({3})",
            id, pool, weight, request.getRemoteAddr());
        json(response, 200, backend(lb.stats().pool(pool).backend(id)));
        return;
      }
      if (!List.of("drain", "undrain", "enable", "disable").contains(action)) {
        throw notFound("no admin resource at this path");
      }
      // drain, undrain, enable, disable: POST, idempotent; the answer is the backend's new state
      only(method, "POST");
      change(() -> {
        switch (action) {
          case "drain" -> lb.admin().drain(pool, id);
          case "undrain" -> lb.admin().undrain(pool, id);
          case "enable" -> lb.admin().enable(pool, id);
          default -> lb.admin().disable(pool, id);
        }
      });
      LOG.log(System.Logger.Level.INFO, "admin: {0} backend {1} of pool {2} ({3})",
          action, id, pool, request.getRemoteAddr());
      json(response, 200, backend(lb.stats().pool(pool).backend(id)));
      return;
    }
    throw notFound("no admin resource at this path");
  }

  private boolean hasBackend(String pool, String id) {
    for (Backend b : lb.pool(pool).backends()) {
      if (b.id().equals(id)) {
        return true;
      }
    }
    return false;
  }

  private void addBackend(HttpServletRequest request, HttpServletResponse response, String pool)
      throws IOException {
    JsonNode body = readJson(request);
    BackendSpec spec;
    try {
      spec = backendSpec(body);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    if (hasBackend(pool, spec.id())) {
      throw new BadInput(409, "about:blank", "Conflict",
          "pool '" + pool + "' already has a backend with id '" + spec.id() + "'", null);
    }
    change(() -> lb.admin().addBackend(pool, spec));
    LOG.log(System.Logger.Level.INFO, "admin: added backend {0} ({1}) to pool {2} ({3})",
        spec.id(), spec.uri(), pool, request.getRemoteAddr());
    response.setHeader("Location", request.getRequestURI() + "/" + encodeSegment(spec.id()));
    json(response, 201, backend(lb.stats().pool(pool).backend(spec.id())));
  }

  /** A backend from {@code {"uri": ..., "id": ..., "weight": ..., "zone": ..., "metadata": {}}}. */
  private static BackendSpec backendSpec(JsonNode body) {
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!List.of("uri", "id", "weight", "zone", "metadata").contains(e.getKey())) {
        throw new IllegalArgumentException("unknown field '" + e.getKey()
            + "' (expected: uri, id, weight, zone, metadata)");
      }
    }
    BackendSpec.Builder b = BackendSpec.builder(required(body, "uri"));
    String id = text(body, "id", false);
    if (id != null) {
      b.id(id);
    }
    JsonNode weight = body.get("weight");
    if (weight != null) {
      if (!weight.isIntegralNumber() || !weight.canConvertToInt()) {
        throw new IllegalArgumentException("weight: " + weight + " (expected: an integer "
            + BackendSpec.MIN_WEIGHT + ".." + BackendSpec.MAX_WEIGHT + ")");
      }
      b.weight(weight.intValue());
    }
    String zone = text(body, "zone", false);
    if (zone != null) {
      b.zone(zone);
    }
    JsonNode metadata = body.get("metadata");
    if (metadata != null) {
      if (!metadata.isObject()) {
        throw new IllegalArgumentException("metadata: " + metadata
            + " (expected: an object of strings)");
      }
      for (Map.Entry<String, JsonNode> e : metadata.properties()) {
        if (!e.getValue().isString()) {
          throw new IllegalArgumentException("metadata." + e.getKey() + ": " + e.getValue()
              + " (expected: a string)");
        }
        b.metadata(e.getKey(), e.getValue().stringValue());
      }
    }
    return b.build();
  }

  /** Runs an admin change; the engine's refusal (a bad value) becomes a 422 naming it. */
  private static void change(Runnable change) {
    try {
      change.run();
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  // ------------------------------------------------------------------ explain

  private ObjectNode explain(JsonNode body) {
    RequestView view;
    try {
      view = requestView(body);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
    Explanation e = lb.explain(view);
    ObjectNode out = NODES.objectNode();
    out.put("admitted", e.admitted());
    RouteMatch route = e.route();
    if (route == null) {
      out.putNull("route");
    } else {
      ObjectNode r = out.putObject("route");
      r.put("rule", String.valueOf(route.rule()));
      r.put("pool", route.pool());
      r.put("default", route.isDefault());
    }
    String rejectedBy = e.rejectedBy();
    PolicyDecision.Reject rejection = e.rejection();
    if (rejectedBy != null && rejection != null) {
      ObjectNode r = out.putObject("rejection");
      r.put("policy", rejectedBy);
      r.put("status", rejection.status());
      r.put("reason", rejection.reason());
    }
    Backend backend = e.backend();
    if (backend == null) {
      out.putNull("backend");
    } else {
      ObjectNode b = out.putObject("backend");
      b.put("id", backend.id());
      b.put("uri", backend.uri().toString());
    }
    ArrayNode lines = out.putArray("trace");
    e.lines().forEach(lines::add);
    return out;
  }

  /**
   * A request from {@code {"method", "path", "query", "host", "clientAddress", "headers"}}; headers
   * map a name to a string or a list of strings.
   */
  private static RequestView requestView(JsonNode body) {
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!List.of("method", "path", "query", "host", "clientAddress", "headers")
          .contains(e.getKey())) {
        throw new IllegalArgumentException("unknown field '" + e.getKey()
            + "' (expected: method, path, query, host, clientAddress, headers)");
      }
    }
    String method = text(body, "method", false);
    RequestViewBuilder b = RequestView.builder()
        .method(method == null ? "GET" : method)
        .path(required(body, "path"))
        .query(text(body, "query", false))
        .host(text(body, "host", false))
        .clientAddress(text(body, "clientAddress", false));
    JsonNode headers = body.get("headers");
    if (headers != null) {
      if (!headers.isObject()) {
        throw new IllegalArgumentException("headers: " + headers
            + " (expected: an object of names to a string or a list of strings)");
      }
      for (Map.Entry<String, JsonNode> e : headers.properties()) {
        JsonNode v = e.getValue();
        if (v.isString()) {
          b.header(e.getKey(), v.stringValue());
        } else if (v.isArray()) {
          for (JsonNode item : v) {
            if (!item.isString()) {
              throw new IllegalArgumentException("headers." + e.getKey() + ": " + v
                  + " (expected: a string or a list of strings)");
            }
            b.header(e.getKey(), item.stringValue());
          }
        } else {
          throw new IllegalArgumentException("headers." + e.getKey() + ": " + v
              + " (expected: a string or a list of strings)");
        }
      }
    }
    return b.build();
  }

  // ------------------------------------------------------------------ configuration

  private void config(
      HttpServletRequest request, HttpServletResponse response, List<String> path, String method)
      throws IOException {
    ConfigReloader r = reloader.get();
    int n = path.size();
    if (n > 2 || (n == 2 && !path.get(1).equals("rollback"))) {
      throw notFound("no admin resource at this path");
    }
    if (r == null) {
      throw notFound("this load balancer was not built from a configuration file, so there is"
          + " no configuration to show, apply or roll back");
    }
    if (n == 1) {
      only(method, "GET", "POST");
      if (method.equals("GET")) {
        ObjectNode out = NODES.objectNode();
        out.put("source", r.current().source());
        out.set("config", JSON.readTree(r.current().toJson()));
        json(response, 200, out);
        return;
      }
      String document = new String(readBody(request, MAX_DOCUMENT), StandardCharsets.UTF_8);
      ReloadEvent event = r.apply(document, "an admin call from " + request.getRemoteAddr());
      reloaded(response, event);
      return;
    }
    only(method, "POST");
    reloaded(response, r.rollback());
  }

  private static void reloaded(HttpServletResponse response, ReloadEvent event)
      throws IOException {
    LOG.log(System.Logger.Level.INFO, "admin: configuration {0}", event);
    switch (event.outcome()) {
      case APPLIED, UNCHANGED, ROLLED_BACK -> {
        ObjectNode out = NODES.objectNode();
        out.put("outcome", event.outcome().name());
        out.put("source", event.source());
        out.set("diff", diff(event.diff()));
        json(response, 200, out);
      }
      case REJECTED -> {
        ObjectNode extra = NODES.objectNode();
        ArrayNode problems = extra.putArray("problems");
        for (ConfigProblem p : event.problems()) {
          problems.addObject().put("path", p.path()).put("found", p.found())
              .put("expected", p.expected());
        }
        boolean nothingToRollBack = event.problems().size() == 1
            && event.problems().get(0).path().equals("(rollback)");
        if (nothingToRollBack) {
          throw new BadInput(409, "about:blank", "Conflict",
              "there is no earlier configuration to roll back to", extra);
        }
        throw new BadInput(422, "urn:lb4j:problem:invalid-configuration",
            "Invalid configuration", event.problems().size()
                + " problem(s); the running configuration is unchanged", extra);
      }
    }
  }

  private static ArrayNode diff(ConfigDiff diff) {
    ArrayNode out = NODES.arrayNode();
    for (ConfigDiff.Change c : diff.changes()) {
      out.addObject().put("kind", c.kind().name()).put("path", c.path())
          .put("detail", c.detail());
    }
    return out;
  }

  // ------------------------------------------------------------------ status as JSON

  static ObjectNode status(LoadBalancerStats stats) {
    ObjectNode out = NODES.objectNode();
    ObjectNode pools = out.putObject("pools");
    for (PoolStats p : stats.pools().values()) {
      pools.set(p.name(), pool(p));
    }
    out.put("policyErrors", stats.policyErrors());
    return out;
  }

  static ObjectNode pool(PoolStats p) {
    ObjectNode out = NODES.objectNode();
    out.put("name", p.name());
    out.put("algorithm", p.algorithm());
    out.put("inFlight", p.inFlight());
    out.put("panic", p.panic());
    out.put("noBackend", p.noBackend());
    out.put("overLimit", p.overLimit());
    out.put("retries", p.retries());
    out.put("hashKeyMisses", p.hashKeyMisses());
    out.put("algorithmErrors", p.algorithmErrors());
    out.put("ejectionsRefused", p.ejectionsRefused());
    ArrayNode backends = out.putArray("backends");
    for (BackendStats b : p.backends()) {
      backends.add(backend(b));
    }
    return out;
  }

  static ObjectNode backend(BackendStats b) {
    ObjectNode out = NODES.objectNode();
    out.put("id", b.id());
    out.put("uri", b.uri());
    out.put("weight", b.weight());
    out.put("zone", b.zone());
    out.put("status", b.status().name());
    out.put("serving", b.status().isServing());
    out.put("reason", b.statusReason());
    out.put("inFlight", b.inFlight());
    out.put("picks", b.picks());
    out.put("completed", b.completed());
    out.put("failures", b.failures());
    out.put("cancelled", b.cancelled());
    out.put("ejections", b.ejections());
    out.put("latencyEwmaMillis", b.latencyEwmaNanos() / 1e6);
    return out;
  }

  // ------------------------------------------------------------------ plumbing

  /** The percent-decoded segments of a raw path ({@code %2F} inside a segment stays in it). */
  static List<String> segments(String rest) {
    List<String> out = new ArrayList<>();
    for (String raw : rest.split("/", -1)) {
      if (raw.isEmpty()) {
        continue;
      }
      // '+' is a literal plus in a path (only form data turns it into a space)
      out.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static String encodeSegment(String segment) {
    StringBuilder out = new StringBuilder();
    for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~:@!$&'()*+,;=".indexOf(c) >= 0) {
        out.append((char) c);
      } else {
        out.append('%').append(String.format(Locale.ROOT, "%02X", c));
      }
    }
    return out.toString();
  }

  private static String required(JsonNode body, String field) {
    return Objects.requireNonNull(text(body, field, true));
  }

  private static @Nullable String text(JsonNode body, String field, boolean required) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      if (required) {
        throw new IllegalArgumentException(field + ": missing (expected: a string)");
      }
      return null;
    }
    if (!v.isString()) {
      throw new IllegalArgumentException(field + ": " + v + " (expected: a string)");
    }
    return v.stringValue();
  }

  private static void only(String method, String... allowed) {
    if (!Arrays.asList(allowed).contains(method)) {
      ObjectNode extra = NODES.objectNode();
      ArrayNode a = extra.putArray("allow");
      for (String m : allowed) {
        a.add(m);
      }
      throw new BadInput(405, "about:blank", "Method Not Allowed",
          method + " is not allowed here (allowed: " + String.join(", ", allowed) + ")", extra);
    }
  }

  private static JsonNode readJson(HttpServletRequest request) throws IOException {
    byte[] body = readBody(request, MAX_JSON);
    JsonNode node;
    try {
      node = JSON.readTree(body);
    } catch (JacksonException e) {
      throw new BadInput(400, "about:blank", "Bad Request",
          "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
    if (node == null || !node.isObject()) {
      throw new BadInput(400, "about:blank", "Bad Request",
          "the body must be a JSON object", null);
    }
    return node;
  }

  private static byte[] readBody(HttpServletRequest request, int limit) throws IOException {
    long declared = request.getContentLengthLong();
    if (declared > limit) {
      throw tooLarge(limit);
    }
    try (InputStream in = request.getInputStream()) {
      byte[] body = in.readNBytes(limit + 1);
      if (body.length > limit) {
        throw tooLarge(limit);
      }
      return body;
    }
  }

  private static BadInput tooLarge(int limit) {
    return new BadInput(413, "about:blank", "Content Too Large",
        "the body is larger than " + limit + " bytes", null);
  }

  private static BadInput notFound(String detail) {
    return new BadInput(404, "about:blank", "Not Found", detail, null);
  }

  private static BadInput invalid(@Nullable String detail) {
    return new BadInput(422, "about:blank", "Unprocessable Content",
        detail == null ? "the request was refused" : detail, null);
  }

  private static void json(HttpServletResponse response, int status, JsonNode body)
      throws IOException {
    write(response, status, JSON_TYPE, body);
  }

  /** An RFC 9457 problem details object, with {@code extra} members merged in. */
  static void problem(
      HttpServletResponse response, int status, String type, String title, String detail,
      @Nullable ObjectNode extra) throws IOException {
    ObjectNode out = NODES.objectNode();
    out.put("type", type);
    out.put("title", title);
    out.put("status", status);
    out.put("detail", detail);
    if (extra != null) {
      if (status == 405 && extra.has("allow")) {
        List<String> allow = new ArrayList<>();
        extra.get("allow").forEach(m -> allow.add(m.stringValue()));
        response.setHeader("Allow", String.join(", ", allow));
      }
      out.setAll(extra);
    }
    write(response, status, PROBLEM_TYPE, out);
  }

  private static void write(HttpServletResponse response, int status, String type, JsonNode body)
      throws IOException {
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
    response.setStatus(status);
    response.setContentType(type);
    response.setCharacterEncoding("UTF-8");
    response.setContentLength(bytes.length + 1);
    response.getOutputStream().write(bytes);
    response.getOutputStream().write('\n');
  }

  /** A request the admin interface refuses, answered as problem details. */
  private static final class BadInput extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int status;
    final String type;
    final String title;
    final transient @Nullable ObjectNode extra;

    BadInput(int status, String type, String title, String detail, @Nullable ObjectNode extra) {
      super(detail, null, false, false);
      this.status = status;
      this.type = type;
      this.title = title;
      this.extra = extra;
    }
  }
}
