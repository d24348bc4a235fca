package dev.lb4j.config.internal;

import dev.lb4j.config.internal.Schema.DecimalRange;
import dev.lb4j.config.internal.Schema.NonEmpty;
import dev.lb4j.config.internal.Schema.Doc;
import dev.lb4j.config.internal.Schema.OneOf;
import dev.lb4j.config.internal.Schema.Pattern;
import dev.lb4j.config.internal.Schema.Range;
import dev.lb4j.config.internal.Schema.Required;
import dev.lb4j.config.internal.Schema.Shorthand;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes the JSON Schema (draft 2020-12) of the file format from the {@link Model} records, the
 * same description the {@link Binder} enforces. Numbers, booleans and enums also accept a string
 * with a <code>${VAR}</code> reference, which is resolved before binding.
 */
public final class SchemaWriter {

  /** The schema's {@code $id}. */
  public static final String ID = "https://lb4j.dev/schema/lb4j-config.schema.json";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final String REFERENCE = ".*\\$\\{.*\\}.*";

  private final Map<String, ObjectNode> definitions = new TreeMap<>();

  /**
   * The schema of the whole file.
   *
   * @return the schema document
   */
  public static ObjectNode schema() {
    SchemaWriter w = new SchemaWriter();
    ObjectNode root = w.record(Model.Root.class);
    ObjectNode out = NODES.objectNode();
    out.put("$schema", "https://json-schema.org/draft/2020-12/schema");
    out.put("$id", ID);
    out.put("title", "lb4j configuration");
    out.setAll(root);
    ObjectNode defs = out.putObject("$defs");
    w.definitions.forEach(defs::set);
    return out;
  }

  private ObjectNode record(Class<?> type) {
    ObjectNode object = NODES.objectNode();
    Doc doc = type.getAnnotation(Doc.class);
    if (doc != null) {
      object.put("description", doc.value());
    }
    object.put("type", "object");
    ObjectNode properties = object.putObject("properties");
    ArrayNode required = NODES.arrayNode();
    for (RecordComponent c : type.getRecordComponents()) {
      ObjectNode property = type(c.getGenericType(), c);
      Doc d = c.getAnnotation(Doc.class);
      if (d != null) {
        property.put("description", d.value());
      }
      properties.set(c.getName(), property);
      if (c.isAnnotationPresent(Required.class)) {
        required.add(c.getName());
      }
    }
    if (!required.isEmpty()) {
      object.set("required", required);
    }
    object.put("additionalProperties", false);
    OneOf oneOf = type.getAnnotation(OneOf.class);
    if (oneOf != null) {
      ArrayNode choices = NODES.arrayNode();
      ArrayNode any = NODES.arrayNode();
      for (String name : oneOf.value()) {
        boolean flag = componentType(type, name) == Boolean.class; // a choice made by true
        for (ArrayNode list : List.of(choices, any)) {
          ObjectNode choice = list.addObject();
          choice.putArray("required").add(name);
          if (flag) {
            choice.putObject("properties").putObject(name).put("const", true);
          }
        }
      }
      if (!oneOf.required()) {
        choices.addObject().putObject("not").set("anyOf", any);
      }
      object.set("oneOf", choices);
    }
    return object;
  }

  private static @Nullable Class<?> componentType(Class<?> record, String name) {
    for (RecordComponent c : record.getRecordComponents()) {
      if (c.getName().equals(name)) {
        return c.getType();
      }
    }
    return null;
  }

  private ObjectNode reference(Class<?> type) {
    String name = type.getSimpleName();
    if (!definitions.containsKey(name)) {
      definitions.put(name, NODES.objectNode()); // placeholder against recursion
      definitions.put(name, record(type));
    }
    ObjectNode ref = NODES.objectNode().put("$ref", "#/$defs/" + name);
    Shorthand shorthand = type.getAnnotation(Shorthand.class);
    if (shorthand == null) {
      return ref;
    }
    ObjectNode either = NODES.objectNode();
    ArrayNode anyOf = either.putArray("anyOf");
    anyOf.addObject().put("type", "string").put("description", "The " + shorthand.value() + " alone.");
    anyOf.add(ref);
    return either;
  }

  private ObjectNode type(Type type, @Nullable RecordComponent component) {
    if (type instanceof ParameterizedType p) {
      Type[] args = p.getActualTypeArguments();
      ObjectNode out = NODES.objectNode();
      boolean nonEmpty = component != null && component.isAnnotationPresent(NonEmpty.class);
      if (p.getRawType() == List.class) {
        out.put("type", "array");
        if (nonEmpty) {
          out.put("minItems", 1);
        }
        out.set("items", type(args[0], component));
      } else {
        out.put("type", "object");
        if (nonEmpty) {
          out.put("minProperties", 1);
        }
        Pattern keys = component == null ? null : component.getAnnotation(Pattern.class);
        if (keys != null) {
          out.putObject("propertyNames").put("pattern", "^(" + keys.value() + ")$");
        }
        out.set("additionalProperties", type(args[1], component));
      }
      return out;
    }
    Class<?> c = (Class<?>) type;
    if (c.isRecord()) {
      return reference(c);
    }
    if (c == String.class) {
      ObjectNode out = NODES.objectNode().put("type", "string");
      Pattern pattern = component == null ? null : component.getAnnotation(Pattern.class);
      if (pattern != null) {
        out.put("pattern", "^(" + pattern.value() + ")$|" + REFERENCE);
      }
      return out;
    }
    if (c == Integer.class || c == Long.class) {
      ObjectNode out = NODES.objectNode().put("type", "integer");
      Range range = component == null ? null : component.getAnnotation(Range.class);
      if (range != null) {
        out.put("minimum", range.min());
        out.put("maximum", c == Integer.class ? Math.min(range.max(), Integer.MAX_VALUE) : range.max());
      }
      return orText(out, Binder.INTEGER_TEXT);
    }
    if (c == Double.class) {
      ObjectNode out = NODES.objectNode().put("type", "number");
      DecimalRange range = component == null ? null : component.getAnnotation(DecimalRange.class);
      if (range != null) {
        out.put("minimum", range.min());
        out.put("maximum", range.max());
      }
      return orText(out, Binder.DECIMAL_TEXT);
    }
    if (c == Boolean.class) {
      return orText(NODES.objectNode().put("type", "boolean"), "true|false");
    }
    if (c == Duration.class) {
      return NODES.objectNode().put("type", "string")
          .put("pattern", DurationText.PATTERN + "|" + REFERENCE);
    }
    if (c.isEnum()) {
      ObjectNode out = NODES.objectNode().put("type", "string");
      ArrayNode values = out.putArray("enum");
      for (Object constant : c.getEnumConstants()) {
        values.add(Binder.EnumText.of((Enum<?>) constant));
      }
      return orText(out, null);
    }
    throw new IllegalStateException("unsupported model type " + type);
  }

  /**
   * The plain schema, or a string: the value as text (how the environment and flags give it), or a
   * <code>${VAR}</code> reference resolved before binding.
   */
  private static ObjectNode orText(ObjectNode plain, @Nullable String text) {
    ObjectNode out = NODES.objectNode();
    ArrayNode anyOf = out.putArray("anyOf");
    anyOf.add(plain);
    anyOf.addObject().put("type", "string")
        .put("pattern", (text == null ? "" : "^(" + text + ")$|") + REFERENCE);
    return out;
  }
}
