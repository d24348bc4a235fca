package dev.lb4j.core.internal.pool;

import dev.lb4j.api.HealthProbe;
import dev.lb4j.core.health.HealthCheck;
import java.lang.System.Logger.Level;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/** Closes the probes of a closed load balancer's pools: each distinct probe once, errors logged. */
public final class ProbeCloser {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private ProbeCloser() {}

  /**
   * Calls {@link HealthProbe#close()} once per distinct probe (by identity) of {@code pools}; call
   * after the pools are closed, so no probe loop runs any more.
   *
   * @param pools the closed pools
   */
  public static void closeProbes(Collection<PoolImpl> pools) {
    Set<HealthProbe> closed = Collections.newSetFromMap(new IdentityHashMap<>());
    for (PoolImpl pool : pools) {
      HealthCheck check = pool.healthCheck();
      if (check == null || !closed.add(check.probe())) {
        continue;
      }
      try {
        check.probe().close();
      } catch (RuntimeException | Error e) { // a broken probe never stops closing the others
        LOG.log(Level.WARNING, "closing probe " + check.probe() + " of pool '" + pool.name()
            + "' failed", e);
      }
    }
  }

  /**
   * Closes, once each, the distinct probes of {@code stopped} pools (removed or replaced by a
   * reconfiguration, already closed or retired) that no pool in {@code running} uses.
   *
   * @param stopped pools whose probe loops have stopped
   * @param running the pools of the configuration now in effect
   */
  public static void closeUnusedProbes(Collection<PoolImpl> stopped, Collection<PoolImpl> running) {
    Set<HealthProbe> inUse = Collections.newSetFromMap(new IdentityHashMap<>());
    for (PoolImpl pool : running) {
      HealthCheck check = pool.healthCheck();
      if (check != null) {
        inUse.add(check.probe());
      }
    }
    java.util.List<PoolImpl> unused = new java.util.ArrayList<>();
    for (PoolImpl pool : stopped) {
      HealthCheck check = pool.healthCheck();
      if (check != null && !inUse.contains(check.probe())) {
        unused.add(pool);
      }
    }
    closeProbes(unused);
  }
}
