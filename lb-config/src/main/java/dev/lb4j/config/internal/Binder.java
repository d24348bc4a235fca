package dev.lb4j.config.internal;

import dev.lb4j.config.ConfigProblem;
import dev.lb4j.config.internal.Schema.DecimalRange;
import dev.lb4j.config.internal.Schema.NonEmpty;
import dev.lb4j.config.internal.Schema.OneOf;
import dev.lb4j.config.internal.Schema.Pattern;
import dev.lb4j.config.internal.Schema.Range;
import dev.lb4j.config.internal.Schema.Required;
import dev.lb4j.config.internal.Schema.Shorthand;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * Binds a parsed document to the {@link Model}'s records, collecting every problem instead of
 * stopping at the first: wrong types, values out of range, missing and unknown keys (with a "did you
 * mean"), and the one-of rules. Strings from the environment or flags are accepted where numbers or
 * booleans are expected when they parse exactly.
 */
public final class Binder {

  /** A whole number written as text (from the environment or a flag), as the schema allows it. */
  public static final String INTEGER_TEXT = "[+-]?[0-9]{1,19}";

  /** A decimal written as text, as the schema allows it. */
  public static final String DECIMAL_TEXT = "[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]{1,3})?";

  /** The longest duration a file may give. */
  static final Duration MAX_DURATION = Duration.ofDays(3650);

  private final List<ConfigProblem> problems;
  private final Set<Object> incomplete = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());

  /**
   * A binder that adds to {@code problems}.
   *
   * @param problems where problems go
   */
  public Binder(List<ConfigProblem> problems) {
    this.problems = problems;
  }

  /**
   * Binds the whole document.
   *
   * @param root the parsed document
   * @return the model, with {@code null} for whatever could not be bound (see the problems)
   */
  public Model.@Nullable Root bindRoot(JsonNode root) {
    return (Model.Root) bindRecord(root, Model.Root.class, "");
  }

  /**
   * Whether {@code value} (a record, list or map the binder made) and everything in it bound
   * without a problem. Parts that did not are left out (or {@code null}); mapping skips incomplete
   * parts, so one document reports the problems of every part.
   *
   * @param value a value the binder returned
   * @return {@code true} if nothing in it had a problem
   */
  public boolean isComplete(Object value) {
    return !incomplete.contains(value);
  }

  private <T> T mark(T value, boolean complete) {
    if (!complete) {
      incomplete.add(value);
    }
    return value;
  }

  private void problem(String path, String found, String expected) {
    problems.add(new ConfigProblem(path.isEmpty() ? "(document)" : path, found, expected));
  }

  static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** A value as the problem list shows it: scalars as written, containers abbreviated. */
  static String show(JsonNode node) {
    if (node.isObject()) {
      return "an object";
    }
    if (node.isArray()) {
      return "a list";
    }
    if (node.isNull()) {
      return "null";
    }
    String text = node.asString();
    if (node.isString()) {
      text = "'" + text + "'";
    }
    return text.length() > 80 ? text.substring(0, 77) + "..." : text;
  }

  private @Nullable Object bindRecord(JsonNode node, Class<?> type, String path) {
    Shorthand shorthand = type.getAnnotation(Shorthand.class);
    if (!node.isObject()) {
      if (shorthand != null && node.isString()) {
        Object[] args = new Object[type.getRecordComponents().length];
        RecordComponent[] components = type.getRecordComponents();
        boolean bound = false;
        for (int i = 0; i < components.length; i++) {
          if (components[i].getName().equals(shorthand.value())) {
            args[i] = bindValue(node, components[i], join(path, shorthand.value()));
            bound = args[i] != null;
          }
        }
        return mark(construct(type, args), bound);
      }
      problem(path, show(node), shorthand != null
          ? "expected: a string (the " + shorthand.value() + ") or an object"
          : "expected: an object");
      return null;
    }
    RecordComponent[] components = type.getRecordComponents();
    Map<String, RecordComponent> byName = new LinkedHashMap<>();
    for (RecordComponent c : components) {
      byName.put(c.getName(), c);
    }
    for (String key : node.propertyNames()) {
      if (!byName.containsKey(key)) {
        String suggestion = DidYouMean.closest(key, byName.keySet());
        problem(join(path, key), "unknown key", "expected one of " + byName.keySet()
            + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
      }
    }
    Object[] args = new Object[components.length];
    boolean complete = true;
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      JsonNode value = node.get(c.getName());
      String at = join(path, c.getName());
      if (value == null) {
        if (c.isAnnotationPresent(Required.class)) {
          problem(at, "missing", "expected: " + expectedFor(c.getGenericType()) + "; required");
          complete = false;
        }
        continue;
      }
      if (value.isNull()) {
        problem(at, "null", "expected: " + expectedFor(c.getGenericType())
            + (c.isAnnotationPresent(Required.class) ? "; required" : ", or leave the key out"));
        complete = false;
        continue;
      }
      args[i] = bindValue(value, c, at);
      if (args[i] == null || !isComplete(args[i])) {
        complete = false;
      }
    }
    OneOf oneOf = type.getAnnotation(OneOf.class);
    if (oneOf != null) {
      List<String> set = new ArrayList<>();
      for (String name : oneOf.value()) {
        JsonNode value = node.get(name);
        if (value != null && !value.isNull() && !isFalse(value)) {
          set.add(name);
        }
      }
      if (set.size() > 1) {
        problem(path, String.join(" and ", set) + " both set",
            "expected: " + (oneOf.required() ? "exactly" : "at most") + " one of "
                + Arrays.toString(oneOf.value()));
        complete = false;
      } else if (set.isEmpty() && oneOf.required()) {
        problem(path, "none of " + Arrays.toString(oneOf.value()) + " set",
            "expected: exactly one of them");
        complete = false;
      }
    }
    return mark(construct(type, args), complete);
  }

  /** A boolean false (or its text): a one-of choice that is not made. */
  private static boolean isFalse(JsonNode value) {
    return (value.isBoolean() && !value.booleanValue())
        || (value.isString() && value.stringValue().equalsIgnoreCase("false"));
  }

  private static Object construct(Class<?> type, Object[] args) {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
    }
    try {
      Constructor<?> constructor = type.getDeclaredConstructor(types);
      return constructor.newInstance(args);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getSimpleName(), e);
    }
  }

  private @Nullable Object bindValue(JsonNode node, RecordComponent component, String path) {
    return bind(node, component.getGenericType(), component, path);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private @Nullable Object bind(
      JsonNode node, Type type, @Nullable RecordComponent component, String path) {
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      Type[] args = p.getActualTypeArguments();
      if (raw == List.class) {
        if (!node.isArray()) {
          problem(path, show(node), "expected: a list of " + expectedFor(args[0]));
          return null;
        }
        List<Object> out = new ArrayList<>();
        boolean complete = true;
        if (node.isEmpty() && component != null && component.isAnnotationPresent(NonEmpty.class)) {
          problem(path, "empty", "expected: at least one element");
          complete = false;
        }
        for (int i = 0; i < node.size(); i++) {
          Object v = bind(node.get(i), args[0], component, path + "[" + i + "]");
          if (v == null) {
            complete = false;
          } else {
            complete &= isComplete(v);
            out.add(v);
          }
        }
        return mark(List.copyOf(out), complete);
      }
      if (raw == Map.class) {
        if (!node.isObject()) {
          problem(path, show(node), "expected: an object of names to " + expectedFor(args[1]));
          return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        boolean complete = true;
        if (node.isEmpty() && component != null && component.isAnnotationPresent(NonEmpty.class)) {
          problem(path, "empty", "expected: at least one entry");
          complete = false;
        }
        Pattern keys = component == null ? null : component.getAnnotation(Pattern.class);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
          String at = join(path, e.getKey());
          if (keys != null && !e.getKey().matches(keys.value())) {
            problem(at, "name '" + e.getKey() + "'", "expected: " + keys.means());
            complete = false;
            continue;
          }
          if (e.getValue().isNull()) {
            problem(at, "null", "expected: " + expectedFor(args[1]));
            complete = false;
            continue;
          }
          Object v = bind(e.getValue(), args[1], component, at);
          if (v == null) {
            complete = false;
          } else {
            complete &= isComplete(v);
            out.put(e.getKey(), v);
          }
        }
        return mark(java.util.Collections.unmodifiableMap(out), complete);
      }
      throw new IllegalStateException("unsupported model type " + type);
    }
    Class<?> c = (Class<?>) type;
    if (c.isRecord()) {
      return bindRecord(node, c, path);
    }
    if (c == String.class) {
      return bindString(node, component, path);
    }
    if (c == Integer.class || c == Long.class) {
      return bindInteger(node, c == Integer.class, component, path);
    }
    if (c == Double.class) {
      return bindDecimal(node, component, path);
    }
    if (c == Boolean.class) {
      if (node.isBoolean()) {
        return node.booleanValue();
      }
      if (node.isString() && node.stringValue().matches("true|false")) {
        return Boolean.parseBoolean(node.stringValue());
      }
      problem(path, show(node), "expected: true or false");
      return null;
    }
    if (c == Duration.class) {
      if (node.isString()) {
        try {
          Duration d = DurationText.parse(node.stringValue());
          if (d.compareTo(MAX_DURATION) <= 0) {
            return d;
          }
        } catch (IllegalArgumentException | ArithmeticException e) {
          // reported below
        }
      }
      problem(path, show(node), "expected: " + DurationText.EXPECTED);
      return null;
    }
    if (c.isEnum()) {
      if (node.isString()) {
        for (Object constant : c.getEnumConstants()) {
          if (EnumText.matches((Enum) constant, node.stringValue())) {
            return constant;
          }
        }
      }
      problem(path, show(node), "expected one of " + EnumText.names((Class) c));
      return null;
    }
    throw new IllegalStateException("unsupported model type " + type);
  }

  private @Nullable String bindString(JsonNode node, @Nullable RecordComponent component, String path) {
    if (!node.isString()) {
      problem(path, show(node), "expected: a string" + (node.isContainer() ? "" : " (quote it)"));
      return null;
    }
    String text = node.stringValue();
    Pattern pattern = component == null ? null : component.getAnnotation(Pattern.class);
    if (pattern != null && !text.matches(pattern.value())) {
      problem(path, show(node), "expected: " + pattern.means());
      return null;
    }
    return text;
  }

  private @Nullable Object bindInteger(
      JsonNode node, boolean isInt, @Nullable RecordComponent component, String path) {
    Range range = component == null ? null : component.getAnnotation(Range.class);
    String expected = range == null
        ? "expected: a whole number"
        : "expected: " + range.min() + ".." + range.max();
    BigInteger value = null;
    if (node.isIntegralNumber()) {
      value = node.bigIntegerValue();
    } else if (node.isString() && node.stringValue().matches(INTEGER_TEXT)) {
      value = new BigInteger(node.stringValue());
    } else if (node.isNumber() && Double.isFinite(node.doubleValue())) {
      BigDecimal d = node.decimalValue();
      if (d.stripTrailingZeros().scale() <= 0) {
        value = d.toBigIntegerExact();
      }
    }
    long min = range == null ? (isInt ? Integer.MIN_VALUE : Long.MIN_VALUE) : range.min();
    long max = range == null ? (isInt ? Integer.MAX_VALUE : Long.MAX_VALUE) : range.max();
    if (isInt) {
      min = Math.max(min, Integer.MIN_VALUE);
      max = Math.min(max, Integer.MAX_VALUE);
    }
    if (value == null
        || value.compareTo(BigInteger.valueOf(min)) < 0
        || value.compareTo(BigInteger.valueOf(max)) > 0) {
      problem(path, show(node), expected);
      return null;
    }
    return isInt ? (Object) value.intValue() : (Object) value.longValue();
  }

  private @Nullable Double bindDecimal(JsonNode node, @Nullable RecordComponent component, String path) {
    DecimalRange range = component == null ? null : component.getAnnotation(DecimalRange.class);
    String expected = range == null
        ? "expected: a number"
        : "expected: a number in " + range.min() + ".." + range.max();
    Double value = null;
    if (node.isNumber()) {
      value = node.doubleValue();
    } else if (node.isString() && node.stringValue().matches(DECIMAL_TEXT)) {
      value = Double.parseDouble(node.stringValue());
    }
    if (value == null
        || value.isNaN()
        || value.isInfinite()
        || (range != null && (value < range.min() || value > range.max()))) {
      problem(path, show(node), expected);
      return null;
    }
    return value;
  }

  /** What a type accepts, in words. */
  static String expectedFor(Type type) {
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      Type[] args = p.getActualTypeArguments();
      return raw == List.class
          ? "a list of " + expectedFor(args[0])
          : "an object of names to " + expectedFor(args[1]);
    }
    Class<?> c = (Class<?>) type;
    if (c.isRecord()) {
      Shorthand s = c.getAnnotation(Shorthand.class);
      return s == null ? "an object" : "a string (the " + s.value() + ") or an object";
    }
    if (c == String.class) {
      return "a string";
    }
    if (c == Integer.class || c == Long.class) {
      return "a whole number";
    }
    if (c == Double.class) {
      return "a number";
    }
    if (c == Boolean.class) {
      return "true or false";
    }
    if (c == Duration.class) {
      return DurationText.EXPECTED;
    }
    if (c.isEnum()) {
      @SuppressWarnings({"unchecked", "rawtypes"})
      Set<String> names = EnumText.names((Class) c);
      return "one of " + names;
    }
    return c.getSimpleName();
  }

  /** Enum constants as the file writes them: lower case with underscores. */
  public static final class EnumText {
    private EnumText() {}

    /**
     * The file's spelling of a constant.
     *
     * @param constant the constant
     * @return its name in lower case
     */
    public static String of(Enum<?> constant) {
      return constant.name().toLowerCase(Locale.ROOT);
    }

    static boolean matches(Enum<?> constant, String text) {
      return of(constant).equals(text);
    }

    static <E extends Enum<E>> Set<String> names(Class<E> type) {
      Set<String> out = new TreeSet<>();
      for (E e : type.getEnumConstants()) {
        out.add(of(e));
      }
      return out;
    }
  }
}
