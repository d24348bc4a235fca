package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.PoolStats;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * When the caller completes the future of {@code sendAsync} itself (cancels it from another thread,
 * or its {@code orTimeout} / {@code completeOnTimeout} fires), the attempt's lease is released
 * before the future completes: a callback the caller registered on the future sees nothing in
 * flight, and the backend is not blamed (the lease counts as cancelled).
 *
 * <p>The backend answers after 10 s, so the caller always gives up first.
 */
@Timeout(60)
class FutureCallbackSeesNoLeaseTest extends WireMockPoolFixture {

  private WireMockServer slow;
  private LoadBalancedHttpClient client;

  @BeforeEach
  void start() {
    slow = asyncServer();
    slow.stubFor(any(anyUrl()).willReturn(
        aResponse().withStatus(200).withBody("late").withFixedDelay(10_000)));
    client = balance(fastRetries().build(), p -> { }, List.of(uri(slow)));
  }

  /** What a callback saw when it ran: the pool's stats, and how the future ended. */
  private static final class Seen {
    final CountDownLatch ran = new CountDownLatch(1);
    final AtomicReference<@Nullable PoolStats> pool = new AtomicReference<>();
    final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
    final AtomicReference<@Nullable Object> value = new AtomicReference<>();

    PoolStats await() throws InterruptedException {
      assertThat(ran.await(10, TimeUnit.SECONDS)).as("the callback ran within 10 s").isTrue();
      return Objects.requireNonNull(pool.get(), "stats taken by the callback");
    }
  }

  /** Registers, on the caller's future, a callback that takes the pool's stats when it runs. */
  private Seen watch(CompletableFuture<HttpResponse<String>> call) {
    Seen seen = new Seen();
    @SuppressWarnings("unused") // the callback is what is watched, not the stage after it
    CompletableFuture<?> unused =
        call.whenComplete(
            (r, e) -> {
              seen.pool.set(poolStats());
              seen.value.set(r);
              seen.error.set(e);
              seen.ran.countDown();
            });
    return seen;
  }

  private void assertReleasedAsCancelled(PoolStats pool) {
    assertThat(pool.inFlight()).as("pool in flight, seen by the callback").isZero();
    BackendStats b = pool.backend(id(slow));
    assertThat(b.inFlight()).as("backend in flight, seen by the callback").isZero();
    assertThat(b.cancelled()).as("the lease counted as cancelled").isEqualTo(1);
    assertThat(b.failures()).as("giving up is not the backend's failure").isZero();
    assertThat(b.completed()).isZero();
  }

  @Test
  void aCallbackSeesNothingInFlightWhenAnotherThreadCancels() throws Exception {
    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(request("/slow", 0).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(poolStats().inFlight()).as("the attempt is on its way").isEqualTo(1);
    Seen seen = watch(call);

    AtomicReference<@Nullable Boolean> cancelled = new AtomicReference<>();
    Thread canceller = new Thread(() -> cancelled.set(call.cancel(true)), "canceller");
    canceller.start();
    canceller.join(TimeUnit.SECONDS.toMillis(10));
    assertThat(canceller.isAlive()).as("cancel() returned within 10 s").isFalse();

    assertThat(cancelled.get()).isTrue();
    assertReleasedAsCancelled(seen.await());
    assertThat(seen.error.get()).isInstanceOf(CancellationException.class);
    assertThat(call.isCancelled()).isTrue();
  }

  @Test
  void aCallbackSeesNothingInFlightWhenOrTimeoutFires() throws Exception {
    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(request("/slow", 0).GET().build(), HttpResponse.BodyHandlers.ofString())
            .orTimeout(200, TimeUnit.MILLISECONDS);
    Seen seen = watch(call);

    assertReleasedAsCancelled(seen.await());
    assertThat(seen.error.get()).isInstanceOf(TimeoutException.class);
  }

  @Test
  void aCallbackSeesNothingInFlightWhenCompleteOnTimeoutFires() throws Exception {
    CompletableFuture<HttpResponse<String>> call =
        client.sendAsync(request("/slow", 0).GET().build(), HttpResponse.BodyHandlers.ofString())
            .completeOnTimeout(null, 200, TimeUnit.MILLISECONDS);
    Seen seen = watch(call);

    assertReleasedAsCancelled(seen.await());
    assertThat(seen.error.get()).isNull();
    assertThat(seen.value.get()).as("the caller's fallback value").isNull();
  }
}
