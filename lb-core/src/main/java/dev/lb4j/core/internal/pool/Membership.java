package dev.lb4j.core.internal.pool;

import com.google.errorprone.annotations.concurrent.GuardedBy;
import dev.lb4j.api.Algorithm;
import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.OutlierDetection;
import dev.lb4j.core.health.SlowStart;
import dev.lb4j.core.internal.Checks;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A pool's membership: adding and removing backends, replacing the whole list (the diff that keeps
 * unchanged backends and their state), and weights. Each operation validates, computes the next
 * membership as a {@link Change} and commits it; on any error nothing changed.
 */
final class Membership {

  private final PoolImpl pool;
  private final ControlPlane plane;
  private final Algorithm algorithm;
  private final @Nullable HealthCheck check;
  private final @Nullable OutlierDetection outlier;
  private final @Nullable SlowStart slowStart;

  Membership(
      PoolImpl pool,
      ControlPlane plane,
      @Nullable HealthCheck check,
      @Nullable OutlierDetection outlier,
      @Nullable SlowStart slowStart) {
    this.pool = pool;
    this.plane = plane;
    this.algorithm = pool.algorithm();
    this.check = check;
    this.outlier = outlier;
    this.slowStart = slowStart;
  }

  /** A member present when the pool is built. */
  BackendState initial(BackendSpec spec, long now) {
    return new BackendState(pool, spec, outlier, BackendHealth.atBuild(check, now));
  }

  /** A member that joins a running pool (slow start ramps it, if the pool has it). */
  BackendState joining(BackendSpec spec, long now) {
    return new BackendState(pool, spec, outlier, BackendHealth.joining(check, slowStart, "added", now));
  }

  void add(BackendSpec spec) {
    try {
      synchronized (plane.lock) {
        if (plane.find(spec.id()) != null) {
          throw new IllegalArgumentException(
              "backend id: '" + spec.id() + "' (expected: unique in pool '" + pool.name() + "')");
        }
        Change c = plane.begin();
        List<BackendState> next = new ArrayList<>(c.members());
        next.add(joining(spec, c.now()));
        Checks.weightsHonoured(algorithm, weightsOf(next), "pools." + pool.name() + ".backends");
        c.membership(next, List.of());
        plane.commit(c);
      }
    } finally {
      plane.finish();
    }
  }

  void remove(String id) {
    try {
      synchronized (plane.lock) {
        BackendState b = plane.require(id);
        Change c = plane.begin();
        List<BackendState> next = new ArrayList<>(c.members());
        next.remove(b);
        c.membership(next, List.of(b));
        plane.commit(c);
      }
    } finally {
      plane.finish();
    }
  }

  /**
   * Makes the membership exactly {@code specs}, in one atomic change: backends whose id is new are
   * added; ids no longer listed are removed; a listed id whose URI, zone or metadata changed is
   * replaced by a new backend (state and slow start start afresh); one whose weight alone changed
   * keeps its state and takes the new weight. An unchanged backend is not touched at all: its health,
   * ejection history and slow-start ramp carry on.
   */
  void setBackends(List<BackendSpec> specs) {
    try {
      synchronized (plane.lock) {
        setBackendsLocked(specs);
      }
    } finally {
      plane.finish();
    }
  }

  @GuardedBy("plane.lock")
  private void setBackendsLocked(List<BackendSpec> specs) {
    Map<String, BackendSpec> byId = new LinkedHashMap<>();
    for (int i = 0; i < specs.size(); i++) {
      BackendSpec spec = Objects.requireNonNull(specs.get(i), "backends[" + i + "]");
      if (byId.put(spec.id(), spec) != null) {
        throw new IllegalArgumentException(
            "pools." + pool.name() + ".backends[" + i + "].id: '" + spec.id()
                + "' (expected: unique in the pool)");
      }
    }
    Change c = plane.begin();
    List<BackendState> members = c.members();
    List<BackendState> next = new ArrayList<>(specs.size());
    List<BackendState> gone = new ArrayList<>();
    List<Integer> weights = new ArrayList<>(specs.size());
    Map<String, BackendState> current = new HashMap<>();
    for (BackendState b : members) {
      current.put(b.id(), b);
    }
    boolean reweighed = false;
    for (BackendSpec spec : byId.values()) {
      BackendState existing = current.remove(spec.id());
      if (existing != null && sameExceptWeight(existing.spec(), spec)) {
        next.add(existing);
        if (existing.weight() != spec.weight()) {
          c.weight(existing, spec.weight());
          reweighed = true;
        }
      } else {
        if (existing != null) {
          gone.add(existing);
        }
        next.add(joining(spec, c.now()));
      }
      weights.add(spec.weight());
    }
    gone.addAll(current.values());
    Checks.weightsHonoured(algorithm, weights, "pools." + pool.name() + ".backends");
    boolean changed = !gone.isEmpty() || reweighed || next.size() != members.size();
    for (int i = 0; !changed && i < next.size(); i++) {
      changed = next.get(i) != members.get(i);
    }
    if (!changed) {
      return; // the same list again: nothing to do, no ramp restarts
    }
    c.membership(next, gone);
    plane.commit(c);
  }

  static boolean sameExceptWeight(BackendSpec a, BackendSpec b) {
    return a.uri().equals(b.uri()) && a.zone().equals(b.zone()) && a.metadata().equals(b.metadata());
  }

  void setWeight(String id, int weight) {
    try {
      synchronized (plane.lock) {
        BackendState b = plane.require(id);
        if (b.weight() == weight) {
          return;
        }
        Change c = plane.begin();
        List<Integer> weights = weightsOf(c.members());
        weights.set(c.members().indexOf(b), weight);
        Checks.weightsHonoured(algorithm, weights, "pools." + pool.name() + ".backends");
        c.weight(b, weight);
        plane.commit(c);
      }
    } finally {
      plane.finish();
    }
  }

  private static List<Integer> weightsOf(List<BackendState> backends) {
    List<Integer> weights = new ArrayList<>(backends.size());
    for (BackendState b : backends) {
      weights.add(b.weight());
    }
    return weights;
  }
}
