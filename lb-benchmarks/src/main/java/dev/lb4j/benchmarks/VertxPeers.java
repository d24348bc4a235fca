package dev.lb4j.benchmarks;

import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.endpoint.InteractionMetrics;
import io.vertx.core.net.endpoint.LoadBalancer;
import io.vertx.core.net.endpoint.ServerEndpoint;
import io.vertx.core.net.endpoint.ServerInteraction;
import io.vertx.core.net.endpoint.ServerSelector;
import java.util.ArrayList;
import java.util.List;

/**
 * Vert.x 5 ({@code io.vertx.core.net.endpoint}): a {@link ServerSelector} built once over N {@link
 * ServerEndpoint}s, as Vert.x's endpoint resolver does, then {@code select()} (or {@code
 * select(key)} for consistent hashing) per request. Each endpoint carries the metrics object the
 * algorithm asks for ({@link LoadBalancer#newMetrics()}), which least requests and P2C read.
 */
final class VertxPeers {

  private VertxPeers() {}

  static PeerSelector create(String algorithm, int size) {
    LoadBalancer lb =
        switch (algorithm) {
          case "round_robin" -> LoadBalancer.ROUND_ROBIN;
          case "random" -> LoadBalancer.RANDOM;
          case "p2c" -> LoadBalancer.POWER_OF_TWO_CHOICES;
          case "least_requests" -> LoadBalancer.LEAST_REQUESTS;
          case "consistent_hashing" -> LoadBalancer.CONSISTENT_HASHING;
          default -> throw Peers.unknown("vertx_" + algorithm);
        };
    List<Endpoint> endpoints = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      endpoints.add(new Endpoint(Workload.port(i), lb.newMetrics()));
    }
    List<Endpoint> fixed = List.copyOf(endpoints);
    ServerSelector selector = lb.selector(fixed);
    return algorithm.equals("consistent_hashing")
        ? new Keyed(selector, fixed)
        : new Unkeyed(selector, fixed);
  }

  /** A fake endpoint; nothing ever connects to it. */
  static final class Endpoint implements ServerEndpoint {
    final int port;
    private final String key;
    private final SocketAddress address;
    private final InteractionMetrics<?> metrics;

    Endpoint(int port, InteractionMetrics<?> metrics) {
      this.port = port;
      this.key = Workload.HOST + ":" + port;
      this.address = SocketAddress.inetSocketAddress(port, Workload.HOST);
      this.metrics = metrics;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public SocketAddress address() {
      return address;
    }

    @Override
    public ServerInteraction newInteraction() {
      throw new UnsupportedOperationException("the benchmark measures selection only");
    }

    @Override
    public InteractionMetrics<?> metrics() {
      return metrics;
    }

    @Override
    public Object unwrap() {
      return this;
    }
  }

  private record Unkeyed(ServerSelector selector, List<Endpoint> endpoints) implements PeerSelector {
    @Override
    public Object select(int key) {
      return endpoints.get(selector.select());
    }

    @Override
    public int portOf(Object selected) {
      return ((Endpoint) selected).port;
    }
  }

  private record Keyed(ServerSelector selector, List<Endpoint> endpoints) implements PeerSelector {
    @Override
    public Object select(int key) {
      return endpoints.get(selector.select(Workload.key(key)));
    }

    @Override
    public int portOf(Object selected) {
      return ((Endpoint) selected).port;
    }
  }
}
