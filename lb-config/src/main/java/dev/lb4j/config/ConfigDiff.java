package dev.lb4j.config;

import dev.lb4j.config.internal.Model;
import dev.lb4j.config.internal.Printer;
import dev.lb4j.core.BackendSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What changes between two configurations: pools, backends (by id), routes and policies (by name)
 * added, removed or changed, and the top-level settings that changed. Secrets are never shown.
 *
 * @param changes the changes, pools first, then routes, policies and settings
 * @since 0.1.0
 */
public record ConfigDiff(List<Change> changes) {

  /** How something changed. */
  public enum Kind {
    /** Only in the new configuration. */
    ADDED,
    /** Only in the old configuration. */
    REMOVED,
    /** In both, different. */
    CHANGED
  }

  /**
   * One change.
   *
   * @param kind how it changed
   * @param path what changed, in the file's keys: {@code pools.api}, {@code
   *     pools.api.backends[10.0.0.1:8080]}, {@code routes[v2]}, {@code policies[limit]}, {@code
   *     retries}
   * @param detail for a change, what differs (such as {@code weight 1 -> 3}); empty otherwise
   */
  public record Change(Kind kind, String path, String detail) {
    @Override
    public String toString() {
      String sign = switch (kind) {
        case ADDED -> "+ ";
        case REMOVED -> "- ";
        case CHANGED -> "~ ";
      };
      return sign + path + (detail.isEmpty() ? "" : ": " + detail);
    }
  }

  /**
   * Creates a diff.
   *
   * @param changes the changes
   */
  public ConfigDiff {
    changes = List.copyOf(changes);
  }

  /**
   * Whether nothing changes.
   *
   * @return {@code true} for identical configurations
   */
  public boolean isEmpty() {
    return changes.isEmpty();
  }

  @Override
  public String toString() {
    if (changes.isEmpty()) {
      return "no changes";
    }
    StringBuilder out = new StringBuilder();
    for (Change c : changes) {
      out.append(out.length() == 0 ? "" : "\n").append(c);
    }
    return out.toString();
  }

  static ConfigDiff between(Lb4jConfig before, Lb4jConfig after) {
    List<Change> out = new ArrayList<>();
    Model.Root a = before.model();
    Model.Root b = after.model();
    Map<String, Model.Pool> oldPools = orEmpty(a.pools());
    Map<String, Model.Pool> newPools = orEmpty(b.pools());
    keyed(out, "pools.", oldPools, newPools, (name, o, n) -> pool(out, "pools." + name, o, n));
    keyed(out, "routes[", byName(a.routes(), Model.Route::name), byName(b.routes(), Model.Route::name),
        (name, o, n) -> {
          if (!o.equals(n)) {
            out.add(new Change(Kind.CHANGED, "routes[" + name + "]", ""));
          }
        });
    List<String> oldOrder = new ArrayList<>(byName(a.routes(), Model.Route::name).keySet());
    List<String> newOrder = new ArrayList<>(byName(b.routes(), Model.Route::name).keySet());
    oldOrder.retainAll(newOrder);
    List<String> kept = new ArrayList<>(newOrder);
    kept.retainAll(oldOrder);
    if (!oldOrder.equals(kept)) {
      out.add(new Change(Kind.CHANGED, "routes", "order " + oldOrder + " -> " + kept));
    }
    keyed(out, "policies[", byName(a.policies(), Model.PolicyConfig::name),
        byName(b.policies(), Model.PolicyConfig::name), (name, o, n) -> {
          if (!o.equals(n)) {
            out.add(new Change(Kind.CHANGED, "policies[" + name + "]", ""));
          }
        });
    setting(out, "defaultPool", a.defaultPool(), b.defaultPool(), true);
    setting(out, "latencyDecay", a.latencyDecay(), b.latencyDecay(), true);
    setting(out, "latencyStats", a.latencyStats(), b.latencyStats(), true);
    setting(out, "retries", a.retries(), b.retries(), false);
    setting(out, "admin", a.admin(), b.admin(), false);
    setting(out, "server", a.server(), b.server(), false);
    return new ConfigDiff(out);
  }

  private static void pool(List<Change> out, String path, Model.Pool o, Model.Pool n) {
    Map<String, Model.BackendConfig> ob = backends(o);
    Map<String, Model.BackendConfig> nb = backends(n);
    keyed(out, path + ".backends[", ob, nb, (id, x, y) -> {
      List<String> what = new ArrayList<>();
      if (!Objects.equals(weight(x), weight(y))) {
        what.add("weight " + weight(x) + " -> " + weight(y));
      }
      if (!Objects.equals(x.zone(), y.zone())) {
        what.add("zone " + x.zone() + " -> " + y.zone());
      }
      if (!Objects.equals(x.uri(), y.uri())) {
        what.add("uri " + x.uri() + " -> " + y.uri());
      }
      if (!what.isEmpty()) {
        out.add(new Change(Kind.CHANGED, path + ".backends[" + id + "]", String.join(", ", what)));
      }
    });
    Model.Pool os = new Model.Pool(null, o.algorithm(), o.hashKey(), o.healthCheck(),
        o.outlierDetection(), o.slowStart(), o.panicThreshold(), o.panicMode(), o.maxRequests(),
        o.maxRequestsPerBackend());
    Model.Pool ns = new Model.Pool(null, n.algorithm(), n.hashKey(), n.healthCheck(),
        n.outlierDetection(), n.slowStart(), n.panicThreshold(), n.panicMode(), n.maxRequests(),
        n.maxRequestsPerBackend());
    if (!os.equals(ns)) {
      List<String> keys = new ArrayList<>();
      for (java.lang.reflect.RecordComponent c : Model.Pool.class.getRecordComponents()) {
        try {
          if (!c.getName().equals("backends")
              && !Objects.equals(c.getAccessor().invoke(os), c.getAccessor().invoke(ns))) {
            keys.add(c.getName());
          }
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      out.add(new Change(Kind.CHANGED, path, "settings " + keys));
    }
  }

  private static @Nullable Integer weight(Model.BackendConfig b) {
    return b.weight() == null ? BackendSpec.DEFAULT_WEIGHT : b.weight();
  }

  private static Map<String, Model.BackendConfig> backends(Model.Pool p) {
    Map<String, Model.BackendConfig> out = new LinkedHashMap<>();
    for (Model.BackendConfig b : p.backends() == null ? List.<Model.BackendConfig>of() : p.backends()) {
      String id = b.id();
      if (id == null) {
        id = BackendSpec.of(Objects.requireNonNull(b.uri())).id();
      }
      out.put(id, b);
    }
    return out;
  }

  private interface Compare<T> {
    void both(String key, T before, T after);
  }

  private static <T> void keyed(
      List<Change> out, String prefix, Map<String, T> before, Map<String, T> after, Compare<T> both) {
    String close = prefix.endsWith("[") ? "]" : "";
    for (Map.Entry<String, T> e : after.entrySet()) {
      T old = before.get(e.getKey());
      if (old == null) {
        out.add(new Change(Kind.ADDED, prefix + e.getKey() + close, ""));
      } else {
        both.both(e.getKey(), old, e.getValue());
      }
    }
    for (String key : before.keySet()) {
      if (!after.containsKey(key)) {
        out.add(new Change(Kind.REMOVED, prefix + key + close, ""));
      }
    }
  }

  private static <T> Map<String, T> byName(@Nullable List<T> list, Function<T, @Nullable String> name) {
    Map<String, T> out = new LinkedHashMap<>();
    if (list != null) {
      for (T t : list) {
        out.put(Objects.requireNonNull(name.apply(t)), t);
      }
    }
    return out;
  }

  private static <T> Map<String, T> orEmpty(@Nullable Map<String, T> map) {
    return map == null ? Map.of() : map;
  }

  private static void setting(
      List<Change> out, String key, @Nullable Object before, @Nullable Object after, boolean show) {
    if (Objects.equals(before, after)) {
      return;
    }
    Kind kind = before == null ? Kind.ADDED : after == null ? Kind.REMOVED : Kind.CHANGED;
    String detail = kind == Kind.CHANGED && show ? text(before) + " -> " + text(after) : "";
    out.add(new Change(kind, key, detail));
  }

  private static String text(@Nullable Object value) {
    return value == null ? "none" : new Printer(false).write(value).toString();
  }
}
