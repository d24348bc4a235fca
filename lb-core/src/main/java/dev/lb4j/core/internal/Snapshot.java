package dev.lb4j.core.internal;

import dev.lb4j.api.Backend;
import dev.lb4j.api.BackendSet;
import dev.lb4j.api.Picker;
import dev.lb4j.core.NoBackend;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One published state of a pool: the available backends and the picker built for exactly them, or
 * the reason there is none. Immutable; replaced as a whole with one volatile write.
 */
final class Snapshot implements BackendSet {

  private final PoolImpl pool;
  final long generation;
  private final List<Backend> backends;
  final @Nullable Picker picker;
  final NoBackend unavailable;

  Snapshot(
      PoolImpl pool,
      long generation,
      List<Backend> backends,
      @Nullable Picker picker,
      NoBackend unavailable) {
    this.pool = pool;
    this.generation = generation;
    this.backends = backends;
    this.picker = picker;
    this.unavailable = unavailable;
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
    return pool.ticker().nanoTime();
  }

  @Override
  public long latencyDecayNanos() {
    return pool.latencyDecayNanos();
  }
}
