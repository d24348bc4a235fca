package dev.lb4j.core.internal.pool;

import dev.lb4j.core.internal.health.BackendHealth;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One control-plane change being computed: proposed health values, membership and weights. Nothing
 * in it is visible to anyone until {@link ControlPlane#commit} publishes it; a change that is
 * abandoned (validation failed, the picker could not be built) leaves no trace. Used by one thread,
 * under the pool's lock.
 */
final class Change {

  private final List<BackendState> members;
  private final long now;
  private final IdentityHashMap<BackendState, BackendHealth> health = new IdentityHashMap<>();
  /** Proposal order, so events keep the order of the changes. */
  private final List<BackendState> touched = new ArrayList<>(2);

  private @Nullable List<BackendState> nextMembers;
  private List<BackendState> gone = List.of();
  private final IdentityHashMap<BackendState, Integer> weights = new IdentityHashMap<>();

  Change(List<BackendState> members, long now) {
    this.members = members;
    this.now = now;
  }

  /** The ticker reading the change is computed at. */
  long now() {
    return now;
  }

  /** The members before the change. */
  List<BackendState> members() {
    return members;
  }

  /** The members after the change. */
  List<BackendState> nextMembers() {
    List<BackendState> next = nextMembers;
    return next != null ? next : members;
  }

  /** The backend's health as this change proposes it. */
  BackendHealth health(BackendState b) {
    BackendHealth proposed = health.get(b);
    return proposed != null ? proposed : b.health();
  }

  /** Proposes a new health for {@code b}. */
  void propose(BackendState b, BackendHealth next) {
    if (health.put(b, next) == null) {
      touched.add(b);
    }
  }

  /** Proposes a new membership; {@code gone} are the members that leave (removed or replaced). */
  void membership(List<BackendState> next, List<BackendState> gone) {
    this.nextMembers = List.copyOf(next);
    this.gone = List.copyOf(gone);
  }

  /** Proposes a new weight for a member that stays. */
  void weight(BackendState b, int weight) {
    weights.put(b, weight);
  }

  List<BackendState> touched() {
    return touched;
  }

  List<BackendState> gone() {
    return gone;
  }

  Map<BackendState, Integer> weights() {
    return weights;
  }

  boolean membershipChanged() {
    return nextMembers != null;
  }

  /** Whether anything the snapshot depends on changes: membership, weights, or a status. */
  boolean needsSnapshot() {
    if (nextMembers != null || !weights.isEmpty()) {
      return true;
    }
    for (BackendState b : touched) {
      if (health(b).status() != b.health().status()) {
        return true;
      }
    }
    return false;
  }

  boolean isEmpty() {
    return touched.isEmpty() && nextMembers == null && weights.isEmpty();
  }
}
