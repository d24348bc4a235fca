package dev.lb4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The admin interface's HTTP plumbing: bounded bodies read as JSON, JSON answers, and refusals as
 * RFC 9457 problem details ({@link BadInput}, thrown where a request is refused and answered by
 * {@link AdminApi}).
 */
final class AdminHttp {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final String JSON_TYPE = "application/json";
  private static final String PROBLEM_TYPE = "application/problem+json";
  /** The largest JSON body an admin call may send. */
  static final int MAX_JSON = 64 * 1024;
  /** The largest configuration document an admin call may send. */
  static final int MAX_DOCUMENT = 1024 * 1024;

  private AdminHttp() {}

  static void only(String method, String... allowed) {
    if (!Arrays.asList(allowed).contains(method)) {
      throw new BadInput(405, "about:blank", "Method Not Allowed",
          method + " is not allowed here (allowed: " + String.join(", ", allowed) + ")",
          allow(allowed));
    }
  }

  /** The {@code allow} member of a 405 problem, which {@link #problem} also sends as a header. */
  static ObjectNode allow(String... allowed) {
    ObjectNode extra = NODES.objectNode();
    ArrayNode a = extra.putArray("allow");
    for (String m : allowed) {
      a.add(m);
    }
    return extra;
  }

  static JsonNode readJson(HttpServletRequest request) throws IOException {
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

  static byte[] readBody(HttpServletRequest request, int limit) throws IOException {
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

  static BadInput tooLarge(int limit) {
    return new BadInput(413, "about:blank", "Content Too Large",
        "the body is larger than " + limit + " bytes", null);
  }

  static BadInput notFound(String detail) {
    return new BadInput(404, "about:blank", "Not Found", detail, null);
  }

  static BadInput invalid(@Nullable String detail) {
    return new BadInput(422, "about:blank", "Unprocessable Content",
        detail == null ? "the request was refused" : detail, null);
  }

  static void json(HttpServletResponse response, int status, JsonNode body)
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

  static void write(HttpServletResponse response, int status, String type, JsonNode body)
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
  static final class BadInput extends RuntimeException {
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
