package dev.lb4j.config.internal;

import dev.lb4j.config.ConfigProblem;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Overrides from the environment and from flags, applied to the parsed document before binding:
 * first every {@code LB4J_...} variable, then every {@code --set path=value} flag, so flags win over
 * the environment, which wins over the file.
 *
 * <p>A flag's path is the file's keys joined by dots, list elements by index: {@code
 * pools.api.backends[0].weight} (or {@code pools.api.backends.0.weight}). An environment variable is
 * {@code LB4J_} and the same path in upper case with every dot, bracket and word boundary an
 * underscore: {@code LB4J_POOLS_API_HEALTH_CHECK_INTERVAL}. Pool and other map names are matched
 * against the names the file already has, ignoring case and treating {@code -} as {@code _}; a name
 * the file lacks is taken as one lower-case word. A value for a list of plain values may be
 * comma-separated ({@code GET,HEAD}); a value starting with {@code [} or <code>{</code> is read as
 * YAML.
 */
public final class Overrides {

  /** The environment variables' prefix. */
  public static final String ENV_PREFIX = "LB4J_";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final List<ConfigProblem> problems;

  /**
   * Overrides that report to {@code problems}.
   *
   * @param problems where problems go
   */
  public Overrides(List<ConfigProblem> problems) {
    this.problems = problems;
  }

  /**
   * Applies the {@code LB4J_} variables of {@code env}, in name order.
   *
   * @param root the document
   * @param env the environment
   */
  public void applyEnvironment(ObjectNode root, Map<String, String> env) {
    for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX)) {
        continue;
      }
      String origin = "environment " + name;
      if (name.length() == ENV_PREFIX.length() || name.endsWith("_") || name.contains("__")) {
        problems.add(new ConfigProblem(origin, "an empty word", "expected: LB4J_ and a path of"
            + " words split by single '_', such as LB4J_POOLS_API_ALGORITHM"));
        continue;
      }
      List<String> tokens = new ArrayList<>();
      for (String t : name.substring(ENV_PREFIX.length()).split("_", -1)) {
        tokens.add(t.toLowerCase(Locale.ROOT));
      }
      List<Object> path = new ArrayList<>();
      Type leaf = resolveEnv(root, Model.Root.class, tokens, path, origin);
      if (leaf != null) {
        set(root, path, leaf, e.getValue(), origin);
      }
    }
  }

  /**
   * Applies {@code --set path=value} flags in order (a later flag for the same path wins).
   *
   * @param root the document
   * @param settings each {@code path=value}
   */
  public void applyFlags(ObjectNode root, List<String> settings) {
    for (String setting : settings) {
      String origin = "flag --set " + setting;
      int eq = setting.indexOf('=');
      if (eq <= 0) {
        problems.add(new ConfigProblem(origin, "no '='", "expected: --set path=value, such as"
            + " --set pools.api.algorithm=maglev"));
        continue;
      }
      List<Object> path = parseFlagPath(setting.substring(0, eq));
      if (path == null) {
        problems.add(new ConfigProblem(origin, "'" + setting.substring(0, eq) + "'",
            "expected: keys joined by dots, list indexes in brackets, such as"
                + " pools.api.backends[0].weight"));
        continue;
      }
      Type leaf = resolvePath(Model.Root.class, path, origin);
      if (leaf != null) {
        set(root, path, leaf, setting.substring(eq + 1), origin);
      }
    }
  }

  private static @Nullable List<Object> parseFlagPath(String text) {
    List<Object> out = new ArrayList<>();
    for (String part : text.split("\\.", -1)) {
      String p = part;
      List<Integer> indexes = new ArrayList<>();
      while (p.endsWith("]")) {
        int open = p.lastIndexOf('[');
        if (open < 0 || !p.substring(open + 1, p.length() - 1).matches("\\d{1,6}")) {
          return null;
        }
        indexes.add(0, Integer.parseInt(p.substring(open + 1, p.length() - 1)));
        p = p.substring(0, open);
      }
      if (p.isEmpty()) {
        return null;
      }
      out.add(p.matches("\\d{1,6}") ? (Object) Integer.parseInt(p) : p);
      out.addAll(indexes);
    }
    return out;
  }

  /** The model type at {@code path}, or {@code null} (with a problem) if the path names nothing. */
  private @Nullable Type resolvePath(Type type, List<Object> path, String origin) {
    Type at = type;
    StringBuilder walked = new StringBuilder();
    for (Object segment : path) {
      Type next = child(at, segment);
      if (next == null) {
        String where = walked.length() == 0 ? "the top level" : walked.toString();
        String allowed = allowedAt(at);
        String suggestion = segment instanceof String s && at instanceof Class<?> c && c.isRecord()
            ? DidYouMean.closest(s, componentNames(c)) : null;
        problems.add(new ConfigProblem(origin, "'" + segment + "' at " + where + " names nothing",
            "expected " + allowed + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?")));
        return null;
      }
      walked.append(walked.length() == 0 ? "" : ".").append(segment);
      at = next;
    }
    return at;
  }

  private static @Nullable Type child(Type type, Object segment) {
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      if (raw == List.class) {
        return segment instanceof Integer ? p.getActualTypeArguments()[0] : null;
      }
      return segment instanceof String ? p.getActualTypeArguments()[1] : null;
    }
    if (type instanceof Class<?> c && c.isRecord() && segment instanceof String s) {
      for (RecordComponent rc : c.getRecordComponents()) {
        if (rc.getName().equals(s)) {
          return rc.getGenericType();
        }
      }
    }
    return null;
  }

  private static List<String> componentNames(Class<?> record) {
    List<String> names = new ArrayList<>();
    for (RecordComponent rc : record.getRecordComponents()) {
      names.add(rc.getName());
    }
    return names;
  }

  private static String allowedAt(Type type) {
    if (type instanceof ParameterizedType p) {
      return p.getRawType() == List.class ? "a list index" : "a name";
    }
    if (type instanceof Class<?> c && c.isRecord()) {
      return "one of " + componentNames(c);
    }
    return "nothing below a plain value";
  }

  /** Resolves an environment variable's words against the model and the document. */
  private @Nullable Type resolveEnv(
      JsonNode root, Type type, List<String> tokens, List<Object> path, String origin) {
    Type at = type;
    @Nullable JsonNode node = root;
    int i = 0;
    while (i < tokens.size()) {
      if (at instanceof ParameterizedType p && p.getRawType() == List.class) {
        if (!tokens.get(i).matches("\\d{1,6}")) {
          problems.add(new ConfigProblem(origin, "'" + tokens.get(i) + "' where a list index goes",
              "expected: a number, such as LB4J_POOLS_API_BACKENDS_0_WEIGHT"));
          return null;
        }
        int index = Integer.parseInt(tokens.get(i));
        path.add(index);
        node = node == null ? null : node.get(index);
        at = p.getActualTypeArguments()[0];
        i++;
      } else if (at instanceof ParameterizedType p) { // a map: match the names the document has
        String key = null;
        int used = 0;
        if (node != null && node.isObject()) {
          for (String existing : node.propertyNames()) {
            List<String> words =
                Arrays.asList(existing.toLowerCase(Locale.ROOT).replace('-', '_').split("_"));
            if (words.size() > used && startsWith(tokens, i, words)) {
              key = existing;
              used = words.size();
            }
          }
        }
        if (key == null) {
          key = tokens.get(i);
          used = 1;
        }
        path.add(key);
        node = node == null ? null : node.get(key);
        at = p.getActualTypeArguments()[1];
        i += used;
      } else if (at instanceof Class<?> c && c.isRecord()) {
        RecordComponent match = null;
        int used = 0;
        for (RecordComponent rc : c.getRecordComponents()) {
          List<String> words = words(rc.getName());
          if (words.size() > used && startsWith(tokens, i, words)) {
            match = rc;
            used = words.size();
          }
        }
        if (match == null) {
          String suggestion = DidYouMean.closest(tokens.get(i), componentNames(c));
          problems.add(new ConfigProblem(origin, "'" + tokens.get(i).toUpperCase(Locale.ROOT)
              + "' names no key of " + (path.isEmpty() ? "the top level" : pathText(path)),
              "expected one of " + componentNames(c) + " in upper case, words split by '_'"
                  + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?")));
          return null;
        }
        path.add(match.getName());
        node = node == null ? null : node.get(match.getName());
        at = match.getGenericType();
        i += used;
      } else {
        problems.add(new ConfigProblem(origin, "words left after " + pathText(path),
            "expected: the variable to end at a plain value"));
        return null;
      }
    }
    if (path.isEmpty()) {
      return null;
    }
    return at;
  }

  private static boolean startsWith(List<String> tokens, int from, List<String> words) {
    if (tokens.size() - from < words.size()) {
      return false;
    }
    for (int k = 0; k < words.size(); k++) {
      if (!tokens.get(from + k).equals(words.get(k))) {
        return false;
      }
    }
    return true;
  }

  /** A camel-case key's words in lower case: {@code healthCheck} is [health, check]. */
  static List<String> words(String camel) {
    List<String> out = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    for (int i = 0; i < camel.length(); i++) {
      char ch = camel.charAt(i);
      if (Character.isUpperCase(ch) && word.length() > 0) {
        out.add(word.toString());
        word.setLength(0);
      }
      word.append(Character.toLowerCase(ch));
    }
    out.add(word.toString());
    return out;
  }

  static String pathText(List<Object> path) {
    StringBuilder out = new StringBuilder();
    for (Object segment : path) {
      if (segment instanceof Integer) {
        out.append('[').append(segment).append(']');
      } else {
        out.append(out.length() == 0 ? "" : ".").append(segment);
      }
    }
    return out.toString();
  }

  /** Writes {@code text}, converted for {@code leaf}, at {@code path}, creating what is missing. */
  private void set(ObjectNode root, List<Object> path, Type leaf, String text, String origin) {
    JsonNode value = valueFor(leaf, text, origin);
    if (value == null) {
      return;
    }
    JsonNode at = root;
    Type type = Model.Root.class;
    for (int k = 0; k < path.size(); k++) {
      Object segment = path.get(k);
      boolean last = k == path.size() - 1;
      Object nextSegment = last ? null : path.get(k + 1);
      Type childType = child(type, segment);
      type = childType == null ? Object.class : childType;
      if (segment instanceof Integer index) {
        if (!(at instanceof ArrayNode array) || index > array.size()) {
          problems.add(new ConfigProblem(origin, "index " + index + " at " + pathText(path.subList(0, k)),
              "expected: an index of an existing list element, or the next index to append"));
          return;
        }
        if (last) {
          if (index == array.size()) {
            array.add(value);
          } else {
            array.set(index, value);
          }
          return;
        }
        if (index == array.size()) {
          array.add(nextSegment instanceof Integer ? NODES.arrayNode() : NODES.objectNode());
        }
        JsonNode element = array.get(index);
        if (element.isString() && shorthand(type) != null) { // a backend written as its URI
          element = NODES.objectNode().set(shorthand(type), element);
          array.set(index, element);
        }
        at = element;
      } else {
        if (!(at instanceof ObjectNode object)) {
          problems.add(new ConfigProblem(origin, pathText(path.subList(0, k)) + " is not an object",
              "expected: keys below an object"));
          return;
        }
        String key = (String) segment;
        if (last) {
          object.set(key, value);
          return;
        }
        JsonNode child = object.get(key);
        if (child != null && child.isString() && shorthand(type) != null) {
          child = NODES.objectNode().set(shorthand(type), child); // an algorithm given by name
          object.set(key, child);
        } else if (child == null || child.isNull() || !child.isContainer()) {
          child = nextSegment instanceof Integer ? NODES.arrayNode() : NODES.objectNode();
          object.set(key, child);
        }
        at = child;
      }
    }
  }

  /** The component a string stands for, when {@code type} is a record with a shorthand. */
  private static @Nullable String shorthand(Type type) {
    if (type instanceof Class<?> c && c.isRecord()) {
      Schema.Shorthand s = c.getAnnotation(Schema.Shorthand.class);
      return s == null ? null : s.value();
    }
    return null;
  }

  private @Nullable JsonNode valueFor(Type leaf, String text, String origin) {
    String t = text.trim();
    if (t.startsWith("[") || t.startsWith("{")) {
      try {
        return Documents.yaml().readTree(t);
      } catch (RuntimeException e) {
        problems.add(new ConfigProblem(origin, "'" + text + "'",
            "expected: valid YAML after the '=' (" + Documents.describe(e) + ")"));
        return null;
      }
    }
    if (leaf instanceof ParameterizedType p && p.getRawType() == List.class
        && !(p.getActualTypeArguments()[0] instanceof Class<?> c && c.isRecord())) {
      ArrayNode array = NODES.arrayNode();
      if (!t.isEmpty()) {
        for (String part : t.split(",", -1)) {
          array.add(part.trim());
        }
      }
      return array;
    }
    if (leaf instanceof ParameterizedType p && p.getRawType() == List.class) {
      ArrayNode array = NODES.arrayNode(); // a list of records: each comma-separated shorthand
      for (String part : t.split(",", -1)) {
        array.add(part.trim());
      }
      return array;
    }
    return NODES.stringNode(text);
  }
}
