package dev.lb4j.config.internal;

import dev.lb4j.config.ConfigProblem;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;
import tools.jackson.dataformat.yaml.YAMLWriteFeature;

/**
 * Reading documents: YAML (which includes JSON) into a tree, duplicate keys refused, and
 * <code>${VAR}</code> / <code>${VAR:-default}</code> replaced in string values (<code>$${</code>
 * writes a literal <code>${</code>).
 */
public final class Documents {

  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(YAMLWriteFeature.MINIMIZE_QUOTES)
          .enable(YAMLWriteFeature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
          .disable(YAMLWriteFeature.WRITE_DOC_START_MARKER)
          .build();
  private static final JsonMapper JSON =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Documents() {}

  static YAMLMapper yaml() {
    return YAML;
  }

  /**
   * The JSON mapper the module writes with.
   *
   * @return the mapper
   */
  public static JsonMapper json() {
    return JSON;
  }

  /**
   * The YAML mapper the module writes with.
   *
   * @return the mapper
   */
  public static YAMLMapper yamlMapper() {
    return YAML;
  }

  /**
   * Parses YAML or JSON text.
   *
   * @param text the text
   * @param problems where a syntax error goes
   * @return the document (an object), or {@code null} after a problem
   */
  public static @Nullable ObjectNode parse(String text, List<ConfigProblem> problems) {
    JsonNode node;
    try {
      node = YAML.readTree(text);
    } catch (JacksonException | IllegalArgumentException e) {
      problems.add(new ConfigProblem("(document)", "not valid YAML or JSON",
          "expected: a YAML or JSON document; " + describe(e)));
      return null;
    } catch (RuntimeException | StackOverflowError e) { // the parser's own failures on garbage
      problems.add(new ConfigProblem("(document)", "unreadable",
          "expected: a YAML or JSON document; " + e));
      return null;
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      return JsonNodeFactory.instance.objectNode();
    }
    if (!(node instanceof ObjectNode object)) {
      problems.add(new ConfigProblem("(document)", Binder.show(node),
          "expected: an object with pools, routes, policies..."));
      return null;
    }
    return object;
  }

  static String describe(Exception e) {
    String message = e.getMessage() == null ? e.toString() : e.getMessage();
    int newline = message.indexOf('\n');
    String first = newline < 0 ? message : message.substring(0, newline);
    if (e instanceof JacksonException j && j.getLocation() != null) {
      first += " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr();
    }
    return first;
  }

  /**
   * Replaces <code>${VAR}</code> and <code>${VAR:-default}</code> in every string value, in place.
   *
   * @param node the document
   * @param env the variables
   * @param problems where unset variables and broken references go
   */
  public static void interpolate(JsonNode node, Map<String, String> env, List<ConfigProblem> problems) {
    interpolate(node, env, problems, "");
  }

  private static void interpolate(
      JsonNode node, Map<String, String> env, List<ConfigProblem> problems, String path) {
    if (node instanceof ObjectNode object) {
      for (String key : List.copyOf(object.propertyNames())) {
        JsonNode child = object.get(key);
        String at = Binder.join(path, key);
        if (child.isString()) {
          String replaced = replace(child.stringValue(), env, problems, at);
          if (replaced != null) {
            object.put(key, replaced);
          }
        } else {
          interpolate(child, env, problems, at);
        }
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        JsonNode child = array.get(i);
        String at = path + "[" + i + "]";
        if (child.isString()) {
          String replaced = replace(child.stringValue(), env, problems, at);
          if (replaced != null) {
            array.set(i, JsonNodeFactory.instance.stringNode(replaced));
          }
        } else {
          interpolate(child, env, problems, at);
        }
      }
    }
  }

  private static @Nullable String replace(
      String text, Map<String, String> env, List<ConfigProblem> problems, String path) {
    if (text.indexOf('$') < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c == '$' && text.startsWith("$${", i)) {
        out.append("${");
        i += 3;
      } else if (c == '$' && text.startsWith("${", i)) {
        int end = text.indexOf('}', i + 2);
        if (end < 0) {
          problems.add(new ConfigProblem(path, "'" + text + "'",
              "expected: ${NAME} or ${NAME:-default} closed by '}' (write $${ for a literal ${)"));
          return null;
        }
        String inner = text.substring(i + 2, end);
        int dflt = inner.indexOf(":-");
        String name = dflt < 0 ? inner : inner.substring(0, dflt);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
          problems.add(new ConfigProblem(path, "'${" + inner + "}'",
              "expected: an environment variable name of letters, digits and '_'"));
          return null;
        }
        String value = env.get(name);
        if (value == null) {
          if (dflt < 0) {
            problems.add(new ConfigProblem(path, "'${" + name + "}'",
                "expected: environment variable " + name + " to be set, or a default such as ${"
                    + name + ":-value}"));
            return null;
          }
          value = inner.substring(dflt + 2);
        }
        out.append(value);
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }
}
