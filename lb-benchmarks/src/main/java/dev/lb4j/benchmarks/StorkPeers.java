package dev.lb4j.benchmarks;

import io.smallrye.stork.api.LoadBalancer;
import io.smallrye.stork.api.ServiceInstance;
import io.smallrye.stork.impl.DefaultServiceInstance;
import io.smallrye.stork.impl.RoundRobinConfiguration;
import io.smallrye.stork.impl.RoundRobinLoadBalancerProvider;
import io.smallrye.stork.loadbalancer.leastresponsetime.LeastResponseTimeConfiguration;
import io.smallrye.stork.loadbalancer.leastresponsetime.LeastResponseTimeLoadBalancerProvider;
import io.smallrye.stork.loadbalancer.poweroftwochoices.PowerOfTwoChoicesConfiguration;
import io.smallrye.stork.loadbalancer.poweroftwochoices.PowerOfTwoChoicesLoadBalancerProvider;
import io.smallrye.stork.loadbalancer.random.RandomConfiguration;
import io.smallrye.stork.loadbalancer.random.RandomLoadBalancerProvider;
import io.smallrye.stork.loadbalancer.requests.LeastRequestsConfiguration;
import io.smallrye.stork.loadbalancer.requests.LeastRequestsLoadBalancerProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * SmallRye Stork: each load balancer built through its provider with its default configuration (as
 * Stork builds it from configuration), then {@code selectServiceInstance(instances)} over a fixed
 * list of {@link DefaultServiceInstance}s, which is what a Stork {@code Service} does per request
 * once discovery has answered. The providers ignore the service discovery argument.
 */
final class StorkPeers {

  private StorkPeers() {}

  static PeerSelector create(String algorithm, int size) {
    LoadBalancer lb =
        switch (algorithm) {
          case "round_robin" ->
              new RoundRobinLoadBalancerProvider().createLoadBalancer(new RoundRobinConfiguration(), null);
          case "random" ->
              new RandomLoadBalancerProvider().createLoadBalancer(new RandomConfiguration(), null);
          case "least_requests" ->
              new LeastRequestsLoadBalancerProvider()
                  .createLoadBalancer(new LeastRequestsConfiguration(), null);
          case "p2c" ->
              new PowerOfTwoChoicesLoadBalancerProvider()
                  .createLoadBalancer(new PowerOfTwoChoicesConfiguration(), null);
          case "least_response_time" ->
              new LeastResponseTimeLoadBalancerProvider()
                  .createLoadBalancer(new LeastResponseTimeConfiguration(), null);
          default -> throw Peers.unknown("stork_" + algorithm);
        };
    List<ServiceInstance> instances = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      instances.add(new DefaultServiceInstance(i, Workload.HOST, Workload.port(i), false));
    }
    return new Selector(lb, List.copyOf(instances));
  }

  private record Selector(LoadBalancer lb, List<ServiceInstance> instances) implements PeerSelector {
    @Override
    public Object select(int key) {
      return lb.selectServiceInstance(instances);
    }

    @Override
    public int portOf(Object selected) {
      return ((ServiceInstance) selected).getPort();
    }
  }
}
