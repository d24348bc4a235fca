package dev.lb4j.config.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The annotations that make the configuration model self-describing. The binder, the JSON Schema
 * writer, the effective-configuration printer and the environment-override resolver all read the
 * model through these, so the file format has exactly one description.
 */
public final class Schema {

  private Schema() {}

  /** What a key means; becomes the schema's {@code description}. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target({ElementType.RECORD_COMPONENT, ElementType.TYPE})
  public @interface Doc {
    /** The description. */
    String value();
  }

  /** The key must be present. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Required {}

  /** An integer's (or each list element's) inclusive range. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Range {
    /** The smallest allowed value. */
    long min();

    /** The largest allowed value. */
    long max();
  }

  /** A decimal's inclusive range. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface DecimalRange {
    /** The smallest allowed value. */
    double min();

    /** The largest allowed value. */
    double max();
  }

  /**
   * A string that must match a regular expression (and, in the schema, its {@code pattern}); on a
   * map, every key must.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Pattern {
    /** The expression, anchored at both ends. */
    String value();

    /** What the expression allows, in words, for error messages. */
    String means();
  }

  /** A list or map that must have at least one element. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface NonEmpty {}

  /** A value printed as {@code ******} in the effective configuration. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  public @interface Secret {}

  /**
   * On a record: a plain string in the file stands for an object with only this component set (a
   * backend written as its URI, an algorithm written as its name).
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface Shorthand {
    /** The component a string sets. */
    String value();
  }

  /** On a record: exactly one (or at most one) of the named components may be set. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  public @interface OneOf {
    /** The components. */
    String[] value();

    /** Whether one of them must be set (otherwise: at most one). */
    boolean required() default true;
  }
}
