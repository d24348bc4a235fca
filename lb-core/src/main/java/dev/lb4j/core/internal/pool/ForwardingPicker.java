package dev.lb4j.core.internal.pool;

import dev.lb4j.api.Backend;
import dev.lb4j.api.PickContext;
import dev.lb4j.api.Picker;
import org.jspecify.annotations.Nullable;

/**
 * The picker of a pool that a reconfiguration replaced: it picks from the successor's current
 * picker (and, if the successor was replaced in turn, from its successor's, and so on), so that a
 * selection that still reaches the old pool gets a backend of the pool as it is now. The request
 * path accepts such a pick because the backend's owner succeeds the pool that picked it.
 */
final class ForwardingPicker implements Picker {

  private final PoolImpl successor;

  ForwardingPicker(PoolImpl successor) {
    this.successor = successor;
  }

  @Override
  public @Nullable Backend pick(PickContext context) {
    Picker current = successor.currentPicker();
    return current == null ? null : current.pick(context);
  }

  @Override
  public String toString() {
    return "forwarding to the successor of pool '" + successor.name() + "'";
  }
}
