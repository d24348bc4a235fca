package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.policy.RetryPolicy;
import java.net.http.HttpClient;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every builder setting may be set once: a second call throws, naming the setting. */
class BuilderSettingsTest {

  private final LoadBalancer lb =
      LoadBalancer.builder().pool("api", p -> p.backend("http://127.0.0.1:1")).build();

  @AfterEach
  void close() {
    lb.close();
  }

  private void twice(String setting, UnaryOperator<LoadBalancedHttpClient.Builder> set) {
    LoadBalancedHttpClient.Builder b = set.apply(LoadBalancedHttpClient.builder(lb));
    assertThatThrownBy(() -> set.apply(b))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith(setting + " was already set");
  }

  @Test
  void aSecondCallOfAnySettingIsRefused() {
    HttpClient http = HttpClient.newBuilder().build();
    twice("client", b -> b.client(http));
    twice("retryPolicy", b -> b.retryPolicy(RetryPolicy.builder().build()));
    twice("noRetries", LoadBalancedHttpClient.Builder::noRetries);
    twice("unknownHosts", b -> b.unknownHosts(LoadBalancedHttpClient.UnknownHosts.PASS_THROUGH));
    twice("logHealthChanges", b -> b.logHealthChanges(false));
  }

  @Test
  void retriesAreSetOnceEitherWay() {
    assertThatThrownBy(() -> LoadBalancedHttpClient.builder(lb)
            .retryPolicy(RetryPolicy.builder().build()).noRetries())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("noRetries was already set");
    assertThatThrownBy(() -> LoadBalancedHttpClient.builder(lb)
            .noRetries().retryPolicy(RetryPolicy.builder().build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("retryPolicy was already set to noRetries()");
  }
}
