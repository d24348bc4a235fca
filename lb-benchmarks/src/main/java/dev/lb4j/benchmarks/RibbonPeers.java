package dev.lb4j.benchmarks;

import com.netflix.loadbalancer.AvailabilityFilteringRule;
import com.netflix.loadbalancer.BaseLoadBalancer;
import com.netflix.loadbalancer.BestAvailableRule;
import com.netflix.loadbalancer.IRule;
import com.netflix.loadbalancer.LoadBalancerStats;
import com.netflix.loadbalancer.RandomRule;
import com.netflix.loadbalancer.RoundRobinRule;
import com.netflix.loadbalancer.Server;
import com.netflix.loadbalancer.ZoneAvoidanceRule;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netflix Ribbon: a {@link BaseLoadBalancer} over a static server list with no {@code IPing} (so no
 * ping timer, and every server counts as alive), balanced by one {@link IRule}; the benchmark calls
 * {@code chooseServer(key)} as Ribbon's clients do. No rule of these hashes; the key is passed and
 * ignored.
 */
final class RibbonPeers {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private RibbonPeers() {}

  static PeerSelector create(String algorithm, int size) {
    IRule rule =
        switch (algorithm) {
          case "round_robin" -> new RoundRobinRule();
          case "random" -> new RandomRule();
          case "best_available" -> new BestAvailableRule();
          case "availability_filtering" -> new AvailabilityFilteringRule();
          case "zone_avoidance" -> new ZoneAvoidanceRule();
          default -> throw Peers.unknown("ribbon_" + algorithm);
        };
    // Ribbon registers monitors by name; keep names unique across setups in one JVM.
    String name = "bench-" + algorithm + "-" + size + "-" + INSTANCES.incrementAndGet();
    BaseLoadBalancer lb = new BaseLoadBalancer(name, rule, new LoadBalancerStats(name), null);
    List<Server> servers = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      servers.add(new Server(Workload.HOST, Workload.port(i)));
    }
    lb.setServersList(servers);
    return new Selector(lb);
  }

  private record Selector(BaseLoadBalancer lb) implements PeerSelector {
    @Override
    public Object select(int key) {
      Server server = lb.chooseServer(Workload.key(key));
      if (server == null) {
        throw new IllegalStateException("Ribbon chose no server");
      }
      return server;
    }

    @Override
    public int portOf(Object selected) {
      return ((Server) selected).getPort();
    }

    @Override
    public void close() {
      lb.shutdown();
    }
  }
}
