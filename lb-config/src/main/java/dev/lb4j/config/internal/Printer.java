package dev.lb4j.config.internal;

import dev.lb4j.config.internal.Schema.Secret;
import dev.lb4j.config.internal.Schema.Shorthand;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a bound model back as a document the loader reads to the same model: durations as {@code
 * 30s}, enums in lower case, absent keys left out, shorthands where an object has only its shorthand
 * key, and secrets (unless asked) as {@code ******}.
 */
public final class Printer {

  /** What a secret prints as. */
  public static final String MASK = "******";

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final boolean revealSecrets;

  /**
   * A printer.
   *
   * @param revealSecrets whether secrets are written as they are (for a rollback copy) or masked
   */
  public Printer(boolean revealSecrets) {
    this.revealSecrets = revealSecrets;
  }

  /**
   * The document for a model value.
   *
   * @param value a record of the model
   * @return the document
   */
  public JsonNode write(Object value) {
    return node(value, false);
  }

  private JsonNode node(@Nullable Object value, boolean secret) {
    if (value == null) {
      return NODES.nullNode();
    }
    if (secret && !revealSecrets) {
      return NODES.stringNode(MASK);
    }
    if (value instanceof Record record) {
      return record(record);
    }
    if (value instanceof List<?> list) {
      ArrayNode array = NODES.arrayNode();
      for (Object o : list) {
        array.add(node(o, false));
      }
      return array;
    }
    if (value instanceof Map<?, ?> map) {
      ObjectNode object = NODES.objectNode();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        object.set(String.valueOf(e.getKey()), node(e.getValue(), false));
      }
      return object;
    }
    if (value instanceof Duration d) {
      return NODES.stringNode(DurationText.format(d));
    }
    if (value instanceof Enum<?> e) {
      return NODES.stringNode(Binder.EnumText.of(e));
    }
    if (value instanceof Integer i) {
      return NODES.numberNode(i);
    }
    if (value instanceof Long l) {
      return NODES.numberNode(l);
    }
    if (value instanceof Double d) {
      return NODES.numberNode(d);
    }
    if (value instanceof Boolean b) {
      return NODES.booleanNode(b);
    }
    return NODES.stringNode(value.toString().replace("${", "$${")); // read back literally
  }

  private JsonNode record(Record record) {
    ObjectNode object = NODES.objectNode();
    RecordComponent[] components = record.getClass().getRecordComponents();
    for (RecordComponent c : components) {
      Object v;
      try {
        v = c.getAccessor().invoke(record);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + c, e);
      }
      if (v != null) {
        object.set(c.getName(), node(v, c.isAnnotationPresent(Secret.class)));
      }
    }
    Shorthand shorthand = record.getClass().getAnnotation(Shorthand.class);
    if (shorthand != null && object.size() == 1 && object.get(shorthand.value()) != null) {
      return object.get(shorthand.value());
    }
    return object;
  }
}
