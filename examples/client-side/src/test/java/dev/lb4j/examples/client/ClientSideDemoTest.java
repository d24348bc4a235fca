package dev.lb4j.examples.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.health.HealthEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs the demo once, in-process, and checks what someone reading its output relies on. The run
 * takes about as long as the health check needs to report the stopped backend (two failed probes
 * and the end of a two-second ejection); {@link ClientSideDemo#HEALTH_WAIT} bounds that wait, and
 * the timeout below bounds the whole run.
 */
class ClientSideDemoTest {

  private static final int REQUESTS = 12;

  /**
   * The only threads a run may leave behind: the JDK HTTP clients' selector threads. A JDK client
   * cannot be closed on Java 17 (the demo closes its own on Java 21 and later); the demo's ends
   * once the client is garbage-collected, and the shared client of lb4j's HTTP probe lives as long
   * as the JVM, by design.
   */
  private static final Pattern JVM_WIDE_THREADS =
      Pattern.compile("HttpClient-\\d+-SelectorManager");

  private static final Duration THREAD_END_WAIT = Duration.ofSeconds(5);

  private static ClientSideDemo.Result result;
  private static String output = "";
  private static List<Thread> threadsLeft = List.of();

  @BeforeAll
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  static void runTheDemo() throws Exception {
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      result = ClientSideDemo.run(out, REQUESTS);
    }
    output = bytes.toString(StandardCharsets.UTF_8);
    threadsLeft = threadsStillAliveAfterWaiting(before);
  }

  /** New threads other than the JVM's own, each given a bounded wait to end. */
  private static List<Thread> threadsStillAliveAfterWaiting(Set<Thread> before)
      throws InterruptedException {
    long deadline = System.nanoTime() + THREAD_END_WAIT.toNanos();
    List<Thread> alive = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (before.contains(t) || JVM_WIDE_THREADS.matcher(t.getName()).matches()) {
        continue;
      }
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      if (t.isAlive()) {
        alive.add(t);
      }
    }
    return alive;
  }

  @Test
  void everyRequestSucceedsAlthoughABackendStops() {
    assertThat(result.sent()).isEqualTo(3 * REQUESTS);
    assertThat(result.succeeded()).as(output).isEqualTo(result.sent());
  }

  @Test
  void everyBackendServesWhileAllThreeRun() {
    assertThat(result.servedBeforeStop()).as(output).containsOnlyKeys(ClientSideDemo.BACKENDS);
    assertThat(result.servedBeforeStop().values())
        .as(output)
        .allSatisfy(n -> assertThat(n).isPositive());
  }

  @Test
  void requestsSentToTheStoppedBackendAreRetriedOnTheOthers() {
    assertThat(result.stopped()).isEqualTo("backend-c");
    assertThat(result.retries()).as(output).isPositive();
    assertThat(result.servedDuringFailover()).as(output)
        .doesNotContainKey(result.stopped())
        .containsOnlyKeys("backend-a", "backend-b");
  }

  @Test
  void theStoppedBackendIsReportedOutOfService() {
    List<BackendStatus> states =
        result.stoppedChanges().stream().map(HealthEvent.StatusChanged::to).toList();
    assertThat(result.stoppedChanges()).as(output).isNotEmpty();
    // Ejected by its failed requests first, unless the probe was quicker; the demo waits for the
    // probe's verdict either way.
    assertThat(states.get(0)).as(output).isIn(BackendStatus.EJECTED, BackendStatus.UNHEALTHY);
    assertThat(states).as(output).contains(BackendStatus.UNHEALTHY);
    assertThat(result.stoppedStatus().isServing()).as(output).isFalse();
  }

  @Test
  void theStoppedBackendGetsNoRequestOnceReportedDown() {
    assertThat(result.stoppedPicksAfterDown()).as(output).isZero();
    assertThat(result.servedAfterDown()).as(output).containsOnlyKeys("backend-a", "backend-b");
  }

  @Test
  void healthEventsAndFinalStatsArePrintedReadably() {
    assertThat(output)
        .containsPattern(
            "\\[health event at [\\d,]+ ms] backend-c: HEALTHY -> (EJECTED|UNHEALTHY) \\(.+\\)")
        .containsPattern("backend-c: \\w+ -> UNHEALTHY \\(.+\\)")
        .containsPattern("(?m)^ +backend-a +HEALTHY ")
        .containsPattern("(?m)^ +backend-b +HEALTHY ")
        .containsPattern("(?m)^ +backend-c +(EJECTED|UNHEALTHY) ");
  }

  @Test
  void everyPortIsClosedAndEveryThreadEndsWhenTheRunReturns() {
    assertThat(result.addresses()).hasSize(3);
    for (InetSocketAddress address : result.addresses()) {
      assertThatThrownBy(
              () -> {
                try (Socket socket = new Socket()) {
                  socket.connect(address, 1_000);
                }
              })
          .as("connecting to %s", address)
          .isInstanceOf(ConnectException.class);
    }
    assertThat(threadsLeft).as("threads the run left alive").isEmpty();
  }
}
