package dev.lb4j.servlet;

import static dev.lb4j.servlet.AdminHttp.JSON;
import static dev.lb4j.servlet.AdminHttp.MAX_DOCUMENT;
import static dev.lb4j.servlet.AdminHttp.invalid;
import static dev.lb4j.servlet.AdminHttp.json;
import static dev.lb4j.servlet.AdminHttp.notFound;
import static dev.lb4j.servlet.AdminHttp.only;
import static dev.lb4j.servlet.AdminHttp.problem;
import static dev.lb4j.servlet.AdminHttp.readBody;
import static dev.lb4j.servlet.AdminHttp.readJson;
import static dev.lb4j.servlet.AdminJson.backend;
import static dev.lb4j.servlet.AdminJson.backendSpec;
import static dev.lb4j.servlet.AdminJson.diff;
import static dev.lb4j.servlet.AdminJson.pool;
import static dev.lb4j.servlet.AdminJson.requestView;
import static dev.lb4j.servlet.AdminJson.status;

import dev.lb4j.api.Backend;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.config.ConfigProblem;
import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.ReloadEvent;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.Explanation;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.routing.RouteMatch;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
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

  private final LoadBalancer lb;
  private final byte[] tokenDigest;
  private final Supplier<@Nullable ConfigReloader> reloader;
  private final Map<String, AdminEndpoint> endpoints;
  private final AdminEvents events;

  /**
   * An admin interface for {@code lb}; it registers a health listener on it (the recent events),
   * which {@link #close()} removes.
   */
  AdminApi(
      LoadBalancer lb,
      String token,
      Supplier<@Nullable ConfigReloader> reloader,
      Map<String, AdminEndpoint> endpoints) {
    this.lb = lb;
    this.tokenDigest = digest(token);
    this.reloader = reloader;
    this.endpoints = Map.copyOf(endpoints);
    this.events = AdminEvents.register(lb);
  }

  /** Removes the health listener this interface registered; idempotent. */
  void close() {
    events.close();
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
    if (AdminDashboard.owns(rest)) {
      // The page, its script and style: no data, so no token (see AdminDashboard).
      try {
        AdminDashboard.serve(request, response, rest);
      } catch (AdminHttp.BadInput e) {
        problem(response, e.status, e.type, e.title, String.valueOf(e.getMessage()), e.extra);
      }
      return;
    }
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
    } catch (AdminHttp.BadInput e) {
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
      case "events" -> {
        if (n == 1) {
          only(method, "GET");
          json(response, 200, events.json(after(request.getParameter("after"))));
          return;
        }
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
    resources.add("GET events?after={seq}");
    resources.add("GET dashboard (the page; no token needed for it)");
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
      json(response, 200, pool(lb.pool(pool).stats()));
      return;
    }
    if (!path.get(2).equals("backends")) {
      throw notFound("no admin resource at this path");
    }
    if (n == 3) {
      only(method, "GET", "POST");
      if (method.equals("GET")) {
        json(response, 200, pool(lb.pool(pool).stats()).get("backends"));
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
        json(response, 200, backend(lb.pool(pool).stats().backend(id)));
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
        json(response, 200, backend(lb.pool(pool).stats().backend(id)));
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
      json(response, 200, backend(lb.pool(pool).stats().backend(id)));
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
      throw new AdminHttp.BadInput(409, "about:blank", "Conflict",
          "pool '" + pool + "' already has a backend with id '" + spec.id() + "'", null);
    }
    change(() -> lb.admin().addBackend(pool, spec));
    LOG.log(System.Logger.Level.INFO, "admin: added backend {0} ({1}) to pool {2} ({3})",
        spec.id(), spec.uri(), pool, request.getRemoteAddr());
    response.setHeader("Location", request.getRequestURI() + "/" + encodeSegment(spec.id()));
    json(response, 201, backend(lb.pool(pool).stats().backend(spec.id())));
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
          throw new AdminHttp.BadInput(409, "about:blank", "Conflict",
              "there is no earlier configuration to roll back to", extra);
        }
        throw new AdminHttp.BadInput(422, "urn:lb4j:problem:invalid-configuration",
            "Invalid configuration", event.problems().size()
                + " problem(s); the running configuration is unchanged", extra);
      }
    }
  }

  // ------------------------------------------------------------------ plumbing

  /** The {@code after} query parameter of {@code /events}: absent is 0 (everything kept). */
  private static long after(@Nullable String value) {
    if (value == null || value.isEmpty()) {
      return 0;
    }
    try {
      long after = Long.parseLong(value);
      if (after >= 0) {
        return after;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new AdminHttp.BadInput(400, "about:blank", "Bad Request",
        "after: '" + value + "' (expected: a sequence number >= 0)", null);
  }

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
}
