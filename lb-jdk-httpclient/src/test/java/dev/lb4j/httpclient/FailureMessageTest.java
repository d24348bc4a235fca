package dev.lb4j.httpclient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.net.ConnectException;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A call that failed after its retries says what happened: the exception keeps its type (callers
 * catch {@link ConnectException}), its message names the pool, the attempts and the backends tried,
 * and the earlier attempts' failures are attached as suppressed exceptions.
 */
@Timeout(60)
class FailureMessageTest extends WireMockPoolFixture {

  @ParameterizedTest
  @EnumSource(CallMode.class)
  void twoRefusedConnectionsFailWithAConnectExceptionNamingThePoolTheAttemptsAndTheBackends(
      CallMode mode) {
    int first = closedPort();
    int second = closedPort();
    LoadBalancedHttpClient client =
        balance(fastRetries().build(), p -> p.algorithm(new InOrder()),
            List.of(uri(first), uri(second)));

    Throwable thrown =
        catchThrowable(
            () -> mode.call(client, request("/items/7", 0).GET().build(),
                HttpResponse.BodyHandlers.ofString()));

    assertThat(thrown).isInstanceOf(ConnectException.class);
    assertThat(thrown.getMessage())
        .contains("pool '" + POOL + "'")
        .contains("2 attempts")
        .contains(id(first) + " (" + uri(first) + ")")
        .contains(id(second) + " (" + uri(second) + ")");
    assertThat(thrown.getSuppressed()).as("the first attempt's failure").hasSize(1);
    assertThat(thrown.getSuppressed()[0]).isInstanceOf(ConnectException.class);
    assertThat(thrown.getCause()).as("the last attempt's own exception")
        .isInstanceOf(ConnectException.class);
    assertThat(stats(id(first)).failures()).isEqualTo(1);
    assertThat(stats(id(second)).failures()).isEqualTo(1);
  }
}
