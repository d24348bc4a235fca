package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.fromClient;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.HashKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Eight threads share one {@link RateLimit} while the ticker stands still: no token may be handed
 * out twice and none lost, so exactly the burst gets through, globally and per key.
 */
class RateLimitConcurrencyTest {

  private static final int THREADS = 8;
  private static final long FROZEN = 123_456_789L;

  private final ExecutorService pool = Executors.newFixedThreadPool(THREADS);

  @AfterEach
  void stopThreads() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).as("threads stopped").isTrue();
  }

  /** Runs one task per thread, released together; returns their results. */
  private <T> List<T> race(List<Callable<T>> tasks) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (Callable<T> task : tasks) {
      futures.add(
          pool.submit(
              () -> {
                if (!start.await(30, TimeUnit.SECONDS)) {
                  throw new TimeoutException("start gate never opened");
                }
                return task.call();
              }));
    }
    start.countDown();
    List<T> results = new ArrayList<>();
    for (Future<T> f : futures) {
      try {
        results.add(f.get(30, TimeUnit.SECONDS));
      } catch (TimeoutException e) {
        throw new AssertionError("a racing thread did not finish within 30 s", e);
      }
    }
    return results;
  }

  @Test
  void globalBucketHandsOutExactlyTheBurst() throws Exception {
    int burst = 1_000;
    RateLimit limit =
        RateLimit.builder("global")
            .rate(burst, Duration.ofSeconds(1))
            .ticker(() -> FROZEN)
            .build();
    RequestView request = fromClient("192.0.2.1");
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      tasks.add(
          () -> {
            int admitted = 0;
            for (int i = 0; i < 2 * burst; i++) {
              if (limit.onRequest(request) instanceof PolicyDecision.Proceed) {
                admitted++;
              }
            }
            return admitted;
          });
    }
    int total = race(tasks).stream().mapToInt(Integer::intValue).sum();
    assertThat(total).isEqualTo(burst);
  }

  @Test
  void perKeyBucketsHandOutExactlyTheBurstEach() throws Exception {
    int burst = 50;
    int ownKeys = 16;
    int sharedKeys = 8;
    int rounds = 3 * burst;
    RateLimit limit =
        RateLimit.builder("keyed")
            .rate(burst, Duration.ofSeconds(1))
            .perKey(HashKey.header("X-Api-Key"))
            .maxKeys(4096)
            .ticker(() -> FROZEN)
            .build();
    // Keys 0..7: shared by every thread; then 16 per thread, used by that thread only.
    int keys = sharedKeys + THREADS * ownKeys;
    RequestView[] requests = new RequestView[keys];
    for (int k = 0; k < keys; k++) {
      requests[k] = RequestView.builder().header("X-Api-Key", "key-" + k).build();
    }
    AtomicIntegerArray admittedPerKey = new AtomicIntegerArray(keys);
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int first = sharedKeys + t * ownKeys;
      tasks.add(
          () -> {
            int attempts = 0;
            for (int round = 0; round < rounds; round++) {
              for (int k = 0; k < sharedKeys; k++) {
                attempts++;
                if (limit.onRequest(requests[k]) instanceof PolicyDecision.Proceed) {
                  admittedPerKey.incrementAndGet(k);
                }
              }
              for (int k = first; k < first + ownKeys; k++) {
                attempts++;
                if (limit.onRequest(requests[k]) instanceof PolicyDecision.Proceed) {
                  admittedPerKey.incrementAndGet(k);
                }
              }
            }
            return attempts;
          });
    }
    int attempts = race(tasks).stream().mapToInt(Integer::intValue).sum();
    assertThat(attempts).isEqualTo(THREADS * rounds * (sharedKeys + ownKeys));
    for (int k = 0; k < keys; k++) {
      assertThat(admittedPerKey.get(k)).as("admitted for key-%s", k).isEqualTo(burst);
    }
    assertThat(limit.trackedKeys()).isEqualTo(keys);
  }

  /**
   * Distinct keys from every thread at one instant: the table never grows past its capacity, and
   * exactly the slotted keys (one request each) plus the overflow bucket's burst get through.
   */
  @Test
  void concurrentFloodOfDistinctKeysStaysBounded() throws Exception {
    int burst = 5;
    int perThread = 25_000;
    RateLimit limit =
        RateLimit.builder("flood")
            .rate(burst, Duration.ofSeconds(1))
            .perKey(HashKey.header("X-Api-Key"))
            .maxKeys(1024)
            .ticker(() -> FROZEN)
            .build();
    int capacity = limit.keyCapacity();
    List<Callable<Integer>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      tasks.add(
          () -> {
            int admitted = 0;
            for (int i = 0; i < perThread; i++) {
              RequestView r =
                  RequestView.builder().header("X-Api-Key", "t" + thread + "-" + i).build();
              if (limit.onRequest(r) instanceof PolicyDecision.Proceed) {
                admitted++;
              }
            }
            return admitted;
          });
    }
    int total = race(tasks).stream().mapToInt(Integer::intValue).sum();
    int tracked = limit.trackedKeys();
    assertThat(tracked).isLessThanOrEqualTo(capacity);
    assertThat(limit.keyCapacity()).isEqualTo(capacity);
    assertThat(total).isEqualTo(tracked + burst);
  }
}
