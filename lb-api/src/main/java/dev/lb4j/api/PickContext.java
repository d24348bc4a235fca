package dev.lb4j.api;

/**
 * What a {@link Picker} knows about the request it picks for.
 *
 * <p>The engine creates one context per selection and passes it to one picker on one thread; a
 * picker must not keep it after {@link Picker#pick} returns.
 *
 * @since 0.1.0
 */
public interface PickContext {

  /**
   * The request being balanced.
   *
   * @return the request view
   */
  RequestView request();

  /**
   * Whether {@link #hash()} carries the hash of the request's key. It is {@code true} exactly when
   * the pool's algorithm {@linkplain Algorithm#usesHashKey() hashes} and the request had a key.
   *
   * @return whether a key hash is present
   */
  boolean hasHash();

  /**
   * The 64-bit hash of the request's key (xxHash64, seed 0, of its UTF-8 bytes), or, when {@link
   * #hasHash()} is false, a uniformly random value that stays the same for every call during this
   * selection.
   *
   * @return the hash
   */
  long hash();

  /**
   * Whether the backend must not be picked, because an earlier attempt of the same request already
   * used it. Built-in algorithms move on to the next candidate their own way (the next ring entry,
   * the next table slot, the next in the schedule).
   *
   * @param backend a backend of the picker's set
   * @return {@code true} if the backend must be skipped
   */
  boolean isExcluded(Backend backend);

  /**
   * Whether any backend is excluded at all; lets pickers skip exclusion checks on first attempts.
   *
   * @return {@code true} if {@link #isExcluded} may return true for some backend
   */
  boolean hasExclusions();
}
