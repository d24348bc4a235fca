package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Algorithm;
import dev.lb4j.api.Backend;
import dev.lb4j.api.Picker;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.health.PanicMode;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Builds a pool's snapshot: a pure function of the members, their health, the previous snapshot and
 * the pool's configuration. It decides which backends are available (the serving ones, or in panic
 * mode every backend not taken out by an operator), builds the picker for exactly them, and reuses
 * the previous picker when the set is the same and no weight changed, so a change that moves nobody
 * in or out (a backend ejected while already drained, the end of a slow-start window) costs no
 * rebuild.
 *
 * <p>Writes nothing: the control plane publishes what it returns, or, when it throws (an algorithm
 * that cannot build a picker for the backends), publishes nothing.
 */
final class SnapshotBuilder {

  private final PoolImpl pool;
  private final String name;
  private final Algorithm algorithm;
  private final boolean hashing;
  private final int panicThreshold;
  private final PanicMode panicMode;
  private final NoBackend algorithmFailed;

  SnapshotBuilder(
      PoolImpl pool, int panicThreshold, PanicMode panicMode, NoBackend algorithmFailed) {
    this.pool = pool;
    this.name = pool.name();
    this.algorithm = pool.algorithm();
    this.hashing = algorithm.usesHashKey();
    this.panicThreshold = panicThreshold;
    this.panicMode = panicMode;
    this.algorithmFailed = algorithmFailed;
  }

  int panicThreshold() {
    return panicThreshold;
  }

  /**
   * The snapshot for {@code members} with the given health.
   *
   * @param health each member's health as the change proposes it
   * @param rebuild whether the picker must be rebuilt even for an unchanged set (weights changed)
   * @throws IllegalArgumentException if the algorithm's configuration does not fit the backends
   * @throws IllegalStateException if the algorithm fails to build a picker
   */
  Snapshot build(
      List<BackendState> members,
      Function<BackendState, BackendHealth> health,
      long generation,
      @Nullable Snapshot previous,
      boolean rebuild) {
    if (members.isEmpty()) {
      return Snapshot.empty(
          pool,
          generation,
          new NoBackend(name, NoBackend.Reason.NO_BACKENDS, "pool '" + name + "' has no backends"));
    }
    List<Backend> serving = new ArrayList<>(members.size());
    List<Backend> eligible = new ArrayList<>(members.size());
    List<Backend> settled = new ArrayList<>(members.size());
    int warming = 0;
    int pending = 0;
    for (BackendState b : members) {
      BackendHealth h = health.apply(b);
      BackendStatus status = h.status();
      if (h.waitingForFirstProbe()) {
        pending++; // never probed yet: neither healthy nor a reason to panic
      } else if (!status.isAdminState()) {
        eligible.add(b);
        if (status.isServing()) {
          serving.add(b);
          if (status == BackendStatus.WARMING) {
            warming++;
          } else {
            settled.add(b);
          }
        }
      }
    }
    if (eligible.isEmpty()) {
      return Snapshot.empty(
          pool, generation, new NoBackend(name, NoBackend.Reason.NONE_AVAILABLE, noneEligible(members.size(), pending)));
    }
    boolean panic = (long) serving.size() * 100 < (long) panicThreshold * eligible.size();
    String panicReason =
        panic
            ? serving.size() + " of " + eligible.size()
                + " backends healthy, below the panic threshold of " + panicThreshold + "%"
            : "";
    List<Backend> available;
    if (panic) {
      if (panicMode == PanicMode.FAIL_FAST) {
        NoBackend failFast =
            new NoBackend(
                name, NoBackend.Reason.TOO_FEW_HEALTHY,
                "pool '" + name + "': " + panicReason + "; failing fast");
        return new Snapshot(
            pool, generation, List.of(), null, failFast, false, null, List.of(), true,
            serving.size(), eligible.size(), panicReason);
      }
      available = eligible;
    } else if (serving.isEmpty()) {
      return Snapshot.empty(
          pool,
          generation,
          new NoBackend(
              name,
              NoBackend.Reason.NONE_AVAILABLE,
              "pool '" + name + "': none of " + eligible.size()
                  + " backends is healthy (panic mode is off)"));
    } else {
      available = serving;
    }
    boolean warm = !panic && warming > 0 && warming < available.size();
    List<Backend> backends = List.copyOf(available);
    Picker picker = reusable(previous == null ? null : previous.picker,
        previous == null ? List.of() : previous.backends(), backends, rebuild);
    if (picker == null) {
      picker = buildPicker(backends, generation);
    }
    Picker withoutWarming = null;
    List<Backend> settledList = List.of();
    if (warm && hashing) {
      settledList = List.copyOf(settled);
      withoutWarming = reusable(previous == null ? null : previous.withoutWarming,
          previous == null ? List.of() : previous.withoutWarmingBackends, settledList, rebuild);
      if (withoutWarming == null) {
        withoutWarming = buildPicker(settledList, generation);
      }
    }
    return new Snapshot(
        pool, generation, backends, picker, algorithmFailed, warm, withoutWarming, settledList,
        panic, serving.size(), eligible.size(), panicReason);
  }

  private String noneEligible(int members, int pending) {
    return "pool '" + name + "': "
        + (pending == 0
            ? "all " + members + " backends are disabled or draining"
            : pending == members
                ? "all " + pending + " backends are waiting for their first probe to pass"
                : (members - pending) + " of " + members
                    + " backends are disabled or draining, the other " + pending
                    + " are waiting for their first probe to pass");
  }

  private static @Nullable Picker reusable(
      @Nullable Picker previous, List<Backend> previousBackends, List<Backend> now, boolean rebuild) {
    return !rebuild && previous != null && sameBackends(previousBackends, now) ? previous : null;
  }

  private Picker buildPicker(List<Backend> backends, long generation) {
    Snapshot withoutPicker = Snapshot.forBuilding(pool, generation, backends, algorithmFailed);
    Picker picker;
    try {
      picker = algorithm.newPicker(withoutPicker);
    } catch (IllegalArgumentException e) {
      // The algorithm's configuration does not fit these backends (a Maglev table too small, say).
      throw new IllegalArgumentException(
          "pools." + name + ".algorithm: " + e.getMessage() + " (" + algorithm.name() + ")", e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "pool '" + name + "': algorithm '" + algorithm.name() + "' failed to build a picker: " + e,
          e);
    }
    if (picker == null) {
      throw new IllegalStateException(
          "pool '" + name + "': algorithm '" + algorithm.name() + "' built no picker (null)");
    }
    return picker;
  }

  private static boolean sameBackends(List<Backend> a, List<Backend> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (a.get(i) != b.get(i)) {
        return false;
      }
    }
    return true;
  }
}
