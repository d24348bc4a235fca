package dev.lb4j.core.algorithm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;

class SequenceTest {

  @Test
  void oneThreadGetsEveryPositionInOrderFromTheStart() {
    Sequence sequence = new Sequence(7, 3);
    for (int i = 0; i < 70; i++) {
      assertThat(sequence.next()).as("pick %d", i).isEqualTo((3 + i) % 7);
    }
    assertThat(sequence.isStriped()).isFalse();
  }

  /**
   * Four threads hammer one sequence until it has inflated into stripes (a lost compare-and-set),
   * then keep going. Every stripe walks all positions in order, so however the picks interleave no
   * position ends more than {@link Sequence#STRIPES} picks ahead of another, beyond the imbalance
   * the exact phase can leave (it is exact: at most one pick).
   */
  @Test
  void contendedPicksStaySpreadEvenlyOverEveryPosition() throws InterruptedException {
    int period = 10;
    int threads = 4;
    int picksPerThread = 200_000;
    Sequence sequence = new Sequence(period, 0);
    AtomicLongArray counts = new AtomicLongArray(period);
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread worker =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                for (int i = 0; i < picksPerThread; i++) {
                  counts.incrementAndGet(sequence.next());
                }
              },
              "sequence-test-" + t);
      workers.add(worker);
      worker.start();
    }
    start.countDown();
    for (Thread worker : workers) {
      worker.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(worker.isAlive()).as("%s finished", worker.getName()).isFalse();
    }
    long min = Long.MAX_VALUE;
    long max = 0;
    long total = 0;
    for (int i = 0; i < period; i++) {
      min = Math.min(min, counts.get(i));
      max = Math.max(max, counts.get(i));
      total += counts.get(i);
    }
    assertThat(total).isEqualTo((long) threads * picksPerThread);
    assertThat(max - min).as("spread between positions").isLessThanOrEqualTo(Sequence.STRIPES + 1);
  }
}
