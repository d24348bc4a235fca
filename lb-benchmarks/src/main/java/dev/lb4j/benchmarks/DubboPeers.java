package dev.lb4j.benchmarks;

import java.util.ArrayList;
import java.util.List;
import org.apache.dubbo.common.URL;
import org.apache.dubbo.rpc.Invocation;
import org.apache.dubbo.rpc.Invoker;
import org.apache.dubbo.rpc.Result;
import org.apache.dubbo.rpc.RpcInvocation;
import org.apache.dubbo.rpc.cluster.LoadBalance;
import org.apache.dubbo.rpc.model.ApplicationModel;

/**
 * Apache Dubbo 3: a {@link LoadBalance} extension loaded by name from the default application
 * model (as Dubbo's cluster invokers load it, so {@code shortestresponse} gets its executor), then
 * {@code select(invokers, url, invocation)} over simple {@link Invoker} stubs. The invocation's first
 * argument is the hash key, which {@code consistenthash} hashes by default ({@code
 * hash.arguments=0}); the other algorithms ignore it.
 *
 * <p>Round robin and random are Dubbo's weighted algorithms, so their invokers carry weights {@code
 * 1..5} cyclic (compare them with lb4j's {@code weighted_round_robin} and {@code weighted_random});
 * the others keep Dubbo's default weight.
 */
final class DubboPeers {

  /** The service the stubs pretend to implement. */
  interface OrderService {
    /**
     * A call with the hash key as its first argument.
     *
     * @param key the key
     * @return anything
     */
    String get(String key);
  }

  private static final String SERVICE = OrderService.class.getName();

  private DubboPeers() {}

  static PeerSelector create(String algorithm, int size) {
    String extension;
    boolean weighted = false;
    switch (algorithm) {
      case "round_robin" -> {
        extension = "roundrobin";
        weighted = true;
      }
      case "random" -> {
        extension = "random";
        weighted = true;
      }
      case "least_active" -> extension = "leastactive";
      case "shortest_response" -> extension = "shortestresponse";
      case "consistent_hash" -> extension = "consistenthash";
      default -> throw Peers.unknown("dubbo_" + algorithm);
    }
    LoadBalance lb =
        ApplicationModel.defaultModel().getExtensionLoader(LoadBalance.class).getExtension(extension);
    List<Invoker<OrderService>> invokers = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      String query = weighted ? "?weight=" + Workload.weight(i) : "";
      URL url = URL.valueOf("dubbo://" + Workload.HOST + ":" + Workload.port(i) + "/" + SERVICE + query);
      invokers.add(new StubInvoker(url));
    }
    URL consumer = URL.valueOf("consumer://" + Workload.HOST + "/" + SERVICE);
    Invocation[] invocations = new Invocation[Workload.KEY_COUNT];
    for (int k = 0; k < invocations.length; k++) {
      invocations[k] =
          new RpcInvocation(
              null, // no ServiceModel: no Dubbo service is exported or referenced
              "get",
              SERVICE,
              SERVICE,
              new Class<?>[] {String.class},
              new Object[] {Workload.key(k)});
    }
    return new Selector(lb, List.copyOf(invokers), consumer, invocations);
  }

  private static final class Selector implements PeerSelector {
    private final LoadBalance lb;
    private final List<Invoker<OrderService>> invokers;
    private final URL consumer;
    private final Invocation[] invocations;

    Selector(
        LoadBalance lb, List<Invoker<OrderService>> invokers, URL consumer, Invocation[] invocations) {
      this.lb = lb;
      this.invokers = invokers;
      this.consumer = consumer;
      this.invocations = invocations;
    }

    @Override
    public Object select(int key) {
      return lb.select(invokers, consumer, invocations[key]);
    }

    @Override
    public int portOf(Object selected) {
      return ((Invoker<?>) selected).getUrl().getPort();
    }
  }

  /** An invoker that is never invoked. */
  private static final class StubInvoker implements Invoker<OrderService> {
    private final URL url;

    StubInvoker(URL url) {
      this.url = url;
    }

    @Override
    public Class<OrderService> getInterface() {
      return OrderService.class;
    }

    @Override
    public Result invoke(Invocation invocation) {
      throw new UnsupportedOperationException("the benchmark measures selection only");
    }

    @Override
    public URL getUrl() {
      return url;
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public void destroy() {}
  }
}
