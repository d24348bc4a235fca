package dev.lb4j.core.internal.pool;

import dev.lb4j.core.BackendSpec;
import dev.lb4j.core.health.HealthEvent;
import dev.lb4j.core.internal.HealthEvents;
import dev.lb4j.core.internal.health.BackendHealth;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One pool taking over from another whose settings a reconfiguration changed: which backends the new
 * pool adopts (same id, URI, zone and metadata: the very {@link BackendState} objects, so in-flight
 * counts, latency EWMA, outcome counters and open leases carry on), which leave and which join, and
 * each adopted backend's health under the new settings ({@link BackendHealth#reconfigured}).
 *
 * <p>Computed and committed under the predecessor's lock, so no timer or admin change of the
 * predecessor can slip in between; the successor is not yet visible to anyone. The only step that
 * can fail is building the successor's first snapshot; then the weights written for it are put back
 * and nothing else was written.
 */
final class Succession {

  private final List<BackendState> members;
  private final long generation;
  private final long now;
  private final List<BackendState> adopted = new ArrayList<>();
  private final IdentityHashMap<BackendState, BackendHealth> proposed = new IdentityHashMap<>();
  private final IdentityHashMap<BackendState, Integer> oldWeights = new IdentityHashMap<>();
  private final List<BackendState> gone = new ArrayList<>();
  private final Set<String> replacedIds = new HashSet<>();
  private final List<BackendState> joined = new ArrayList<>();
  private @Nullable Snapshot first;

  /**
   * @param members the predecessor's members
   * @param generation the predecessor's newest snapshot generation
   * @param now the ticker reading of the change
   */
  Succession(List<BackendState> members, long generation, long now) {
    this.members = members;
    this.generation = generation;
    this.now = now;
  }

  /** The generation of the predecessor's forwarding snapshot; the successor's first is the next. */
  long forwardingGeneration() {
    return generation + 1;
  }

  /**
   * Computes the successor's members and builds its first snapshot; called by the successor's
   * constructor once its control plane exists.
   *
   * @throws IllegalArgumentException or IllegalStateException if the algorithm cannot build a picker
   */
  Snapshot firstSnapshot(PoolImpl next, ControlPlane plane, Membership membership,
      List<BackendSpec> specs) {
    Map<String, BackendState> current = new LinkedHashMap<>();
    for (BackendState b : members) {
      current.put(b.id(), b);
    }
    List<BackendState> initial = new ArrayList<>(specs.size());
    boolean detectsOutliers = next.healthConfig().outlier() != null;
    for (BackendSpec spec : specs) {
      BackendState existing = current.remove(spec.id());
      if (existing != null && Membership.sameExceptWeight(existing.spec(), spec)) {
        initial.add(existing);
        adopted.add(existing);
        if (existing.weight() != spec.weight()) {
          oldWeights.put(existing, existing.weight());
          existing.setWeight(spec.weight()); // algorithms read weights from the backends
        }
        proposed.put(
            existing,
            existing
                .health()
                .reconfigured(
                    next.healthConfig().check(),
                    detectsOutliers,
                    next.healthConfig().slowStart(),
                    now));
      } else {
        if (existing != null) {
          gone.add(existing);
          replacedIds.add(existing.id());
        }
        BackendState joining = membership.joining(spec, now);
        initial.add(joining);
        joined.add(joining);
      }
    }
    gone.addAll(current.values());
    try {
      Snapshot built =
          plane.initialAdopted(
              initial, b -> proposed.getOrDefault(b, b.health()), forwardingGeneration() + 1);
      first = built;
      return built;
    } catch (RuntimeException | Error e) {
      oldWeights.forEach(BackendState::setWeight);
      throw e;
    }
  }

  /**
   * Makes the adopted backends the successor's, writes their health and posts the events a
   * reconfiguration owes: status changes of adopted backends, then removals, then additions (the
   * order of {@link ControlPlane#commit}). Cannot fail.
   */
  void commit(PoolImpl next, ControlPlane plane, HealthEvents events) {
    String name = next.name();
    for (BackendState b : adopted) {
      BackendHealth was = b.health();
      BackendHealth is = Objects.requireNonNull(proposed.get(b), "proposed");
      b.adopt(next, next.healthConfig().outlier());
      if (!is.equals(was)) {
        b.setHealth(is);
        if (was.status() != is.status()) {
          events.post(
              new HealthEvent.StatusChanged(name, b.id(), was.status(), is.status(), is.reason(), now));
        }
      }
    }
    for (BackendState b : gone) {
      b.leave();
      String reason =
          replacedIds.contains(b.id()) ? "replaced (its URI, zone or metadata changed)" : "removed";
      events.post(new HealthEvent.BackendRemoved(name, b.id(), b.health().status(), reason, now));
    }
    for (BackendState b : joined) {
      BackendHealth h = b.health();
      events.post(new HealthEvent.BackendAdded(name, b.id(), h.status(), h.reason(), now));
    }
    plane.stampInitial(Objects.requireNonNull(first, "first"));
  }
}
