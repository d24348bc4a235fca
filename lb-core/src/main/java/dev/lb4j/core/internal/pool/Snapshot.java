package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.core.NoBackend;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One published state of a pool: the available backends and the picker built for exactly them, or
 * the reason there is none. Immutable (every field final, set by the constructor); built by {@link
 * SnapshotBuilder} and replaced as a whole with one volatile write.
 */
final class Snapshot implements BackendSet {

  private final PoolImpl pool;
  final long generation;
  private final List<Backend> backends;
  final @Nullable Picker picker;
  final NoBackend unavailable;

  /** Whether some, but not all, available backends are warming: selection then applies slow start. */
  final boolean warming;

  /**
   * For hashing algorithms while some backends warm: a picker over the serving backends without the
   * warming ones, where a key slow start turns away from a warming backend goes (the backend it had
   * before the warming ones joined).
   */
  final @Nullable Picker withoutWarming;

  final List<Backend> withoutWarmingBackends;

  /** Panic mode, and the numbers behind it (for stats and events). */
  final boolean panic;

  final int healthy;
  final int eligible;
  final String panicReason;

  Snapshot(
      PoolImpl pool,
      long generation,
      List<Backend> backends,
      @Nullable Picker picker,
      NoBackend unavailable,
      boolean warming,
      @Nullable Picker withoutWarming,
      List<Backend> withoutWarmingBackends,
      boolean panic,
      int healthy,
      int eligible,
      String panicReason) {
    this.pool = pool;
    this.generation = generation;
    this.backends = backends;
    this.picker = picker;
    this.unavailable = unavailable;
    this.warming = warming;
    this.withoutWarming = withoutWarming;
    this.withoutWarmingBackends = withoutWarmingBackends;
    this.panic = panic;
    this.healthy = healthy;
    this.eligible = eligible;
    this.panicReason = panicReason;
  }

  /** A snapshot that answers every selection with {@code why}. */
  static Snapshot empty(PoolImpl pool, long generation, NoBackend why) {
    return new Snapshot(
        pool, generation, List.of(), null, why, false, null, List.of(), false, 0, 0, "");
  }

  /** The backends an algorithm is asked to build a picker for (no picker yet). */
  static Snapshot forBuilding(PoolImpl pool, long generation, List<Backend> backends, NoBackend why) {
    return new Snapshot(
        pool, generation, backends, null, why, false, null, List.of(), false, 0, 0, "");
  }

  @Override
  public List<Backend> backends() {
    return backends;
  }

  @Override
  public long poolInFlight() {
    return pool.inFlightSum();
  }

  @Override
  public long nanoTime() {
    long now = pool.ticker().nanoTime();
    PickState.noteClock(now); // the lease this selection grants starts from the same reading
    return now;
  }

  @Override
  public long latencyDecayNanos() {
    return pool.latencyDecayNanos();
  }
}
