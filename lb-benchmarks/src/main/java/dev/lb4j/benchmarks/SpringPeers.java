package dev.lb4j.benchmarks;

import java.util.Objects;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.cloud.client.DefaultServiceInstance;
import org.springframework.cloud.client.ServiceInstance;
import org.springframework.cloud.client.loadbalancer.DefaultRequest;
import org.springframework.cloud.client.loadbalancer.Request;
import org.springframework.cloud.client.loadbalancer.Response;
import org.springframework.cloud.loadbalancer.core.RandomLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ReactorServiceInstanceLoadBalancer;
import org.springframework.cloud.loadbalancer.core.RoundRobinLoadBalancer;
import org.springframework.cloud.loadbalancer.core.ServiceInstanceListSupplier;
import org.springframework.cloud.loadbalancer.support.ServiceInstanceListSuppliers;

/**
 * Spring Cloud LoadBalancer: {@link RoundRobinLoadBalancer} or {@link RandomLoadBalancer} over a
 * fixed {@link ServiceInstanceListSupplier}, and {@code choose(request).block()} per request, which
 * is what Spring's blocking load-balancer client does. Neither algorithm hashes.
 */
final class SpringPeers {

  private static final String SERVICE = "bench";

  private SpringPeers() {}

  static PeerSelector create(String algorithm, int size) {
    ServiceInstance[] instances = new ServiceInstance[size];
    for (int i = 0; i < size; i++) {
      instances[i] =
          new DefaultServiceInstance(
              SERVICE + "-" + i, SERVICE, Workload.HOST, Workload.port(i), false);
    }
    ObjectProvider<ServiceInstanceListSupplier> supplier =
        ServiceInstanceListSuppliers.toProvider(SERVICE, instances);
    ReactorServiceInstanceLoadBalancer lb =
        switch (algorithm) {
          case "round_robin" -> new RoundRobinLoadBalancer(supplier, SERVICE);
          case "random" -> new RandomLoadBalancer(supplier, SERVICE);
          default -> throw Peers.unknown("spring_" + algorithm);
        };
    return new Selector(lb, new DefaultRequest<>());
  }

  private record Selector(ReactorServiceInstanceLoadBalancer lb, Request<?> request)
      implements PeerSelector {
    @Override
    public Object select(int key) {
      Response<ServiceInstance> response =
          Objects.requireNonNull(lb.choose(request).block(), "no response");
      return Objects.requireNonNull(response.getServer(), "Spring Cloud LoadBalancer chose no instance");
    }

    @Override
    public int portOf(Object selected) {
      return ((ServiceInstance) selected).getPort();
    }
  }
}
