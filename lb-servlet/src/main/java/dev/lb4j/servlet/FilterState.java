package dev.lb4j.servlet;

import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.ReloadEvent;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.policy.RetryPolicy;
import dev.lb4j.core.retry.AttemptLoop;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** What a {@link LoadBalancingFilter} runs with, from its builder or its init parameters. */
final class FilterState {
  final LoadBalancer lb;
  final UpstreamTransport transport;
  final @Nullable Duration timeout;
  final boolean proxyUnrouted;
  final boolean preserveHost;
  final @Nullable ConfigReloader reloader;
  /** Set when the retry policy follows the reloader's configuration. */
  final boolean followsConfig;
  volatile AttemptLoop loop;
  volatile @Nullable RetryPolicy retryPolicy;
  /** The admin interface the filter serves itself (from a configuration file), or null. */
  @Nullable AdminApi admin;
  String adminPath = "";
  /** Whether {@link LoadBalancingFilter#destroy()} closes the load balancer (and the reloader). */
  boolean owned;

  FilterState(LoadBalancingFilter.Builder b) {
    b.checkHostAllowed();
    this.lb = b.lb;
    this.transport = b.transport != null ? b.transport
        : UpstreamTransport.of(b.client != null ? b.client : defaultClient());
    this.timeout = b.timeoutSet ? b.timeout : LoadBalancingFilter.DEFAULT_TIMEOUT;
    this.proxyUnrouted = b.proxyUnrouted;
    this.preserveHost = b.preserveHost;
    this.reloader = b.reloader;
    this.followsConfig = b.retryPolicy == null && b.reloader != null;
    RetryPolicy policy = followsConfig ? Objects.requireNonNull(b.reloader).current()
        .retryPolicy() : b.retryPolicy;
    this.retryPolicy = policy;
    this.loop = AttemptLoop.builder(b.lb).retryPolicy(policy).build();
  }

  /** Takes the retry policy of the configuration now running (after a reload or rollback). */
  void onReload(ReloadEvent event) {
    ConfigReloader r = reloader;
    if (r == null || (event.outcome() != ReloadEvent.Outcome.APPLIED
        && event.outcome() != ReloadEvent.Outcome.ROLLED_BACK)) {
      return;
    }
    RetryPolicy policy = r.current().retryPolicy();
    retryPolicy = policy;
    loop = AttemptLoop.builder(lb).retryPolicy(policy).build();
  }

  private static HttpClient defaultClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER) // redirects are the client's to follow
        .proxy(HttpClient.Builder.NO_PROXY)
        .build();
  }
}
