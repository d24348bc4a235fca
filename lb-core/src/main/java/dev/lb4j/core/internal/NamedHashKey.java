package dev.lb4j.core.internal;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import java.util.Objects;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * A {@link HashKey} made by its factories: a function of the request with a description. Value-equal
 * so that a reconfiguration can tell an unchanged key source from a changed one: the built-in sources
 * are equal when their descriptions are ({@code header(X-User)} twice), a user's function ({@link
 * HashKey#of}) only to one with the same description and the same function object.
 */
public final class NamedHashKey implements HashKey {

  private final String description;
  private final Function<RequestView, @Nullable CharSequence> function;

  /** Null for a built-in source (its description says everything); else the user's function. */
  private final @Nullable Object identity;

  /**
   * Creates a key source.
   *
   * @param description shown in {@code toString()}; for a built-in one, its whole identity
   * @param function extracts the key
   * @param identity null for a built-in source, else the object that must also be the same
   */
  public NamedHashKey(
      String description,
      Function<RequestView, @Nullable CharSequence> function,
      @Nullable Object identity) {
    this.description = Objects.requireNonNull(description, "description");
    this.function = Objects.requireNonNull(function, "function");
    this.identity = identity;
  }

  @Override
  public @Nullable CharSequence key(RequestView request) {
    return function.apply(request);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof NamedHashKey k
        && k.description.equals(description)
        && k.identity == identity;
  }

  @Override
  public int hashCode() {
    return description.hashCode() * 31 + System.identityHashCode(identity);
  }

  @Override
  public String toString() {
    return description;
  }
}
