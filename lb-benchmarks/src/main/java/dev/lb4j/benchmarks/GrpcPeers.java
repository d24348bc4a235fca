package dev.lb4j.benchmarks;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.ChannelLogger;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.LoadBalancerRegistry;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.SynchronizationContext;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jspecify.annotations.Nullable;

/**
 * gRPC-java: the policy from the default {@link LoadBalancerRegistry} ({@code round_robin} from
 * grpc-util, {@code least_request_experimental} and {@code ring_hash_experimental} from grpc-xds),
 * driven through a fake {@link LoadBalancer.Helper} whose fake subchannels turn READY as soon as the
 * policy asks them to connect. The benchmark calls {@code pickSubchannel(args)} on the picker the
 * policy last published with state READY, which is what a gRPC channel does per call.
 *
 * <p>Ring hash hashes the {@value Workload#KEY_HEADER} request header (gRFC A76's {@code
 * requestHashHeader}, xxHash64 as lb4j); gRPC only accepts that option with {@code
 * GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY=true}, which this class sets as a system property
 * before parsing the config.
 */
final class GrpcPeers {

  private static final String HASH_FLAG = "GRPC_EXPERIMENTAL_RING_HASH_SET_REQUEST_HASH_KEY";

  private static final MethodDescriptor<byte[], byte[]> METHOD =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("dev.lb4j.bench.Orders/Get")
          .setRequestMarshaller(BytesMarshaller.INSTANCE)
          .setResponseMarshaller(BytesMarshaller.INSTANCE)
          .build();

  private GrpcPeers() {}

  static PeerSelector create(String algorithm, int size) {
    String policy;
    Map<String, ?> config;
    switch (algorithm) {
      case "round_robin" -> {
        policy = "round_robin";
        config = Map.of();
      }
      case "least_request" -> {
        policy = "least_request_experimental";
        config = Map.of("choiceCount", 2.0);
      }
      case "ring_hash" -> {
        System.setProperty(HASH_FLAG, "true");
        policy = "ring_hash_experimental";
        config =
            Map.of(
                "minRingSize", 1024.0,
                "maxRingSize", 8388608.0,
                "requestHashHeader", Workload.KEY_HEADER);
      }
      default -> throw Peers.unknown("grpc_" + algorithm);
    }
    LoadBalancerProvider provider = LoadBalancerRegistry.getDefaultRegistry().getProvider(policy);
    if (provider == null) {
      throw new IllegalStateException("gRPC policy '" + policy + "' is not registered");
    }
    NameResolver.ConfigOrError parsed = provider.parseLoadBalancingPolicyConfig(config);
    if (parsed.getError() != null) {
      throw new IllegalStateException("gRPC policy '" + policy + "' config: " + parsed.getError());
    }
    FakeHelper helper = new FakeHelper();
    LoadBalancer lb = provider.newLoadBalancer(helper);
    List<EquivalentAddressGroup> groups = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      groups.add(new EquivalentAddressGroup(new InetSocketAddress(loopback(), Workload.port(i))));
    }
    LoadBalancer.ResolvedAddresses addresses =
        LoadBalancer.ResolvedAddresses.newBuilder()
            .setAddresses(groups)
            .setAttributes(Attributes.EMPTY)
            .setLoadBalancingPolicyConfig(parsed.getConfig())
            .build();
    helper.syncContext.execute(
        () -> {
          Status status = lb.acceptResolvedAddresses(addresses);
          if (!status.isOk()) {
            throw new IllegalStateException("gRPC policy '" + policy + "' refused: " + status);
          }
        });
    Args[] args = new Args[Workload.KEY_COUNT];
    for (int k = 0; k < args.length; k++) {
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of(Workload.KEY_HEADER, Metadata.ASCII_STRING_MARSHALLER), Workload.key(k));
      args[k] = new Args(headers);
    }
    // Ring hash connects lazily: a pick that lands on an IDLE child asks it to connect. Pick every
    // key until each lands on a READY backend, as a channel's first calls would.
    int rounds = 0;
    while (!helper.allPick(args)) {
      if (++rounds == 16) {
        throw new IllegalStateException("gRPC policy '" + policy + "' never became READY");
      }
    }
    return new Selector(helper.readyPicker(), args, lb, helper.syncContext);
  }

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(Workload.HOST, new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Selector implements PeerSelector {
    private final LoadBalancer.SubchannelPicker picker;
    private final Args[] args;
    private final LoadBalancer lb;
    private final SynchronizationContext syncContext;

    Selector(
        LoadBalancer.SubchannelPicker picker,
        Args[] args,
        LoadBalancer lb,
        SynchronizationContext syncContext) {
      this.picker = picker;
      this.args = args;
      this.lb = lb;
      this.syncContext = syncContext;
    }

    @Override
    public Object select(int key) {
      return picker.pickSubchannel(args[key]);
    }

    @Override
    public int portOf(Object selected) {
      LoadBalancer.PickResult result = (LoadBalancer.PickResult) selected;
      return FakeSubchannel.port(Objects.requireNonNull(result.getSubchannel(), "no subchannel"));
    }

    @Override
    public void close() {
      syncContext.execute(lb::shutdown);
    }
  }

  /** The per-call arguments: one method, the call's headers, default call options. */
  private static final class Args extends LoadBalancer.PickSubchannelArgs {
    private final Metadata headers;

    Args(Metadata headers) {
      this.headers = headers;
    }

    @Override
    public CallOptions getCallOptions() {
      return CallOptions.DEFAULT;
    }

    @Override
    public Metadata getHeaders() {
      return headers;
    }

    @Override
    public MethodDescriptor<?, ?> getMethodDescriptor() {
      return METHOD;
    }
  }

  /** A channel stand-in: creates fake subchannels and remembers the last picker and state. */
  private static final class FakeHelper extends LoadBalancer.Helper {
    final SynchronizationContext syncContext =
        new SynchronizationContext(
            (thread, e) -> {
              throw new IllegalStateException("gRPC policy failed in its synchronization context", e);
            });
    private volatile LoadBalancer.@Nullable SubchannelPicker current;
    private volatile ConnectivityState state = ConnectivityState.IDLE;
    private @Nullable ScheduledExecutorService scheduler;

    LoadBalancer.SubchannelPicker readyPicker() {
      LoadBalancer.SubchannelPicker picker = current;
      if (picker == null || state != ConnectivityState.READY) {
        throw new IllegalStateException("the gRPC policy is " + state + ", not READY");
      }
      return picker;
    }

    /**
     * Picks every key once with the current picker (whatever its state: an IDLE ring hash connects
     * the children its picks land on); true if the policy is READY, every pick got a subchannel, and
     * the picker did not change meanwhile.
     */
    boolean allPick(Args[] args) {
      LoadBalancer.SubchannelPicker picker = current;
      if (picker == null) {
        return false;
      }
      boolean all = true;
      for (Args a : args) {
        LoadBalancer.PickResult result = picker.pickSubchannel(a);
        if (result.getSubchannel() == null) {
          all = false;
        }
      }
      return all && picker == current && state == ConnectivityState.READY;
    }

    @Override
    public LoadBalancer.Subchannel createSubchannel(LoadBalancer.CreateSubchannelArgs args) {
      return new FakeSubchannel(args, syncContext);
    }

    @Override
    public ManagedChannel createOobChannel(EquivalentAddressGroup eag, String authority) {
      throw new UnsupportedOperationException("no out-of-band channels in a benchmark");
    }

    @Override
    public void updateBalancingState(
        ConnectivityState state, LoadBalancer.SubchannelPicker picker) {
      this.state = state;
      this.current = picker;
    }

    @Override
    public SynchronizationContext getSynchronizationContext() {
      return syncContext;
    }

    @Override
    public synchronized ScheduledExecutorService getScheduledExecutorService() {
      ScheduledExecutorService s = scheduler;
      if (s == null) {
        s =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "grpc-bench-timer");
                  t.setDaemon(true);
                  return t;
                });
        scheduler = s;
      }
      return s;
    }

    @Override
    public String getAuthority() {
      return "bench.invalid";
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return SilentLogger.INSTANCE;
    }
  }

  /** A subchannel that never connects anywhere: READY as soon as it is asked to connect. */
  private static final class FakeSubchannel extends LoadBalancer.Subchannel {
    private final LoadBalancer.CreateSubchannelArgs args;
    private final SynchronizationContext syncContext;
    private LoadBalancer.@Nullable SubchannelStateListener listener;
    private boolean ready;

    FakeSubchannel(LoadBalancer.CreateSubchannelArgs args, SynchronizationContext syncContext) {
      this.args = args;
      this.syncContext = syncContext;
    }

    static int port(LoadBalancer.Subchannel subchannel) {
      return ((InetSocketAddress) subchannel.getAddresses().getAddresses().get(0)).getPort();
    }

    @Override
    public void start(LoadBalancer.SubchannelStateListener listener) {
      this.listener = listener;
    }

    @Override
    public void requestConnection() {
      syncContext.execute(
          () -> {
            LoadBalancer.SubchannelStateListener l = listener;
            if (ready || l == null) {
              return;
            }
            ready = true;
            l.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.CONNECTING));
            l.onSubchannelState(ConnectivityStateInfo.forNonError(ConnectivityState.READY));
          });
    }

    @Override
    public void shutdown() {
      ready = false;
    }

    @Override
    public List<EquivalentAddressGroup> getAllAddresses() {
      return args.getAddresses();
    }

    @Override
    public Attributes getAttributes() {
      return args.getAttributes();
    }

    @Override
    public ChannelLogger getChannelLogger() {
      return SilentLogger.INSTANCE;
    }
  }

  private static final class SilentLogger extends ChannelLogger {
    static final SilentLogger INSTANCE = new SilentLogger();

    @Override
    public void log(ChannelLogLevel level, String message) {}

    @Override
    public void log(ChannelLogLevel level, String messageFormat, Object... args) {}
  }

  private enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      throw new UnsupportedOperationException("nothing is sent in a benchmark");
    }
  }
}
