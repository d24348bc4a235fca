package dev.lb4j.benchmarks;

import java.util.List;

/**
 * Every peer setup the benchmarks know, by the name {@link PeerBenchmark} takes as a parameter:
 * {@code <library>_<algorithm>}. What each is compared with is in the README.
 */
public final class Peers {

  /** Every peer name, in the order of {@link PeerBenchmark}'s parameter. */
  public static final List<String> NAMES =
      List.of(
          "vertx_round_robin",
          "vertx_random",
          "vertx_p2c",
          "vertx_least_requests",
          "vertx_consistent_hashing",
          "grpc_round_robin",
          "grpc_least_request",
          "grpc_ring_hash",
          "ribbon_round_robin",
          "ribbon_random",
          "ribbon_best_available",
          "ribbon_availability_filtering",
          "ribbon_zone_avoidance",
          "dubbo_round_robin",
          "dubbo_random",
          "dubbo_least_active",
          "dubbo_shortest_response",
          "dubbo_consistent_hash",
          "spring_round_robin",
          "spring_random",
          "stork_round_robin",
          "stork_random",
          "stork_least_requests",
          "stork_p2c",
          "stork_least_response_time");

  private Peers() {}

  /**
   * Builds a peer's load balancer over {@code size} backends and makes one selection, so state a
   * peer builds lazily on its first call (Dubbo's consistent-hash ring, Dubbo's per-method weight
   * tables) is built before measurement starts, as it would be after a service's first request.
   *
   * @param name a name from {@link #NAMES}
   * @param size the number of backends
   * @return the selector; close it when done
   * @throws IllegalArgumentException for an unknown name
   */
  public static PeerSelector create(String name, int size) {
    PeerSelector selector = build(name, size);
    selector.select(0);
    return selector;
  }

  private static PeerSelector build(String name, int size) {
    int underscore = name.indexOf('_');
    String library = underscore < 0 ? name : name.substring(0, underscore);
    String algorithm = underscore < 0 ? "" : name.substring(underscore + 1);
    return switch (library) {
      case "vertx" -> VertxPeers.create(algorithm, size);
      case "grpc" -> GrpcPeers.create(algorithm, size);
      case "ribbon" -> RibbonPeers.create(algorithm, size);
      case "dubbo" -> DubboPeers.create(algorithm, size);
      case "spring" -> SpringPeers.create(algorithm, size);
      case "stork" -> StorkPeers.create(algorithm, size);
      default -> throw unknown(name);
    };
  }

  static IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException("peer: '" + name + "' (expected one of " + NAMES + ")");
  }
}
