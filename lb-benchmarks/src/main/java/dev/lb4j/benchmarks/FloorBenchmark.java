package dev.lb4j.benchmarks;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The physical floor: the least work a round robin, a random pick or a power-of-two-choices pick can
 * do on this machine, measured in the same run as lb4j and the peers so ratios to it are meaningful.
 * Each returns an element of an array of {@code size} objects, as a picker returns a backend.
 *
 * <ul>
 *   <li>{@code roundRobin}: one shared {@link AtomicInteger} increment, masked non-negative, modulo
 *       {@code size} (the gRPC picker's arithmetic). At two threads the counter's cache line
 *       ping-pongs between cores: that cost is the point of measuring it.
 *   <li>{@code random}: a {@link ThreadLocalRandom} index; no shared writes.
 *   <li>{@code twoChoices}: two distinct random indices, compare two ints of a shared load array,
 *       return the less loaded (the read side of P2C, without the in-flight accounting).
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class FloorBenchmark {

  /** Elements in the array (backends). */
  @Param({"10", "100", "1000"})
  public int size = 10;

  private final AtomicInteger counter = new AtomicInteger();
  private Object[] backends = new Object[0];
  private int[] loads = new int[0];

  /** Fills the arrays; loads are small distinct values so the comparison is not predictable. */
  @Setup(Level.Trial)
  public void setUp() {
    backends = new Object[size];
    loads = new int[size];
    for (int i = 0; i < size; i++) {
      backends[i] = Workload.uri(i);
      loads[i] = (i * 7) % 13;
    }
  }

  /**
   * Shared counter, one thread.
   *
   * @return the element
   */
  @Benchmark
  @Threads(1)
  public Object roundRobin1() {
    return roundRobin();
  }

  /**
   * Shared counter, two threads.
   *
   * @return the element
   */
  @Benchmark
  @Threads(2)
  public Object roundRobin2() {
    return roundRobin();
  }

  /**
   * Thread-local random index, one thread.
   *
   * @return the element
   */
  @Benchmark
  @Threads(1)
  public Object random1() {
    return random();
  }

  /**
   * Thread-local random index, two threads.
   *
   * @return the element
   */
  @Benchmark
  @Threads(2)
  public Object random2() {
    return random();
  }

  /**
   * Two random indices and one comparison, one thread.
   *
   * @return the element
   */
  @Benchmark
  @Threads(1)
  public Object twoChoices1() {
    return twoChoices();
  }

  /**
   * Two random indices and one comparison, two threads.
   *
   * @return the element
   */
  @Benchmark
  @Threads(2)
  public Object twoChoices2() {
    return twoChoices();
  }

  Object roundRobin() {
    Object[] b = backends;
    return b[(counter.getAndIncrement() & Integer.MAX_VALUE) % b.length];
  }

  Object random() {
    Object[] b = backends;
    return b[ThreadLocalRandom.current().nextInt(b.length)];
  }

  Object twoChoices() {
    Object[] b = backends;
    int[] load = loads;
    int n = b.length;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int i = random.nextInt(n);
    int j = random.nextInt(n - 1);
    if (j >= i) {
      j++;
    }
    return load[j] < load[i] ? b[j] : b[i];
  }
}
