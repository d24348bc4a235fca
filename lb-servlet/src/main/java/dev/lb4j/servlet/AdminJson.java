package dev.lb4j.servlet;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RequestViewBuilder;
import dev.lb4j.config.ConfigDiff;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancerStats;
import dev.lb4j.core.PoolStats;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The admin interface's JSON: the load balancer's state as documents, and the request bodies
 * (a backend to add, a request to explain) read into the engine's values. Malformed bodies throw
 * {@link IllegalArgumentException} naming the field, the value and what is allowed.
 */
final class AdminJson {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private AdminJson() {}

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

  /** A backend from {@code {"uri": ..., "id": ..., "weight": ..., "zone": ..., "metadata": {}}}. */
  static BackendSpec backendSpec(JsonNode body) {
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

  /**
   * A request from {@code {"method", "path", "query", "host", "clientAddress", "headers"}}; headers
   * map a name to a string or a list of strings.
   */
  static RequestView requestView(JsonNode body) {
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

  static ArrayNode diff(ConfigDiff diff) {
    ArrayNode out = NODES.arrayNode();
    for (ConfigDiff.Change c : diff.changes()) {
      out.addObject().put("kind", c.kind().name()).put("path", c.path())
          .put("detail", c.detail());
    }
    return out;
  }

  static String required(JsonNode body, String field) {
    return Objects.requireNonNull(text(body, field, true));
  }

  static @Nullable String text(JsonNode body, String field, boolean required) {
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
}
