package dev.lb4j.benchmarks;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
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
 *   <li>{@code lease}: the irreducible work of a lease: the {@code roundRobin} pick, one small
 *       object allocated (the lease), the backend's in-flight count incremented, the lease released
 *       with one compare-and-set, the in-flight count decremented. {@code leaseClock} adds the two
 *       {@link System#nanoTime()} reads that measuring latency needs (at the pick and at the
 *       release). Each backend's counter sits on its own 128 bytes, as lb4j's do, so at two threads
 *       only true sharing (both threads leasing the same backend) moves lines between cores.
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

  /** In-flight counts, one per backend, {@link #STRIDE} ints (128 bytes) apart. */
  private AtomicIntegerArray inFlight = new AtomicIntegerArray(0);

  private static final int STRIDE = 32;
  private Object[] backends = new Object[0];
  private int[] loads = new int[0];

  /** Fills the arrays; loads are small distinct values so the comparison is not predictable. */
  @Setup(Level.Trial)
  public void setUp() {
    backends = new Object[size];
    loads = new int[size];
    inFlight = new AtomicIntegerArray(size * STRIDE);
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

  /**
   * The lease floor without clock reads, one thread.
   *
   * @return the lease
   */
  @Benchmark
  @Threads(1)
  public Object lease1() {
    return lease(false);
  }

  /**
   * The lease floor without clock reads, two threads.
   *
   * @return the lease
   */
  @Benchmark
  @Threads(2)
  public Object lease2() {
    return lease(false);
  }

  /**
   * The lease floor with the two clock reads of a latency measurement, one thread.
   *
   * @return the lease
   */
  @Benchmark
  @Threads(1)
  public Object leaseClock1() {
    return lease(true);
  }

  /**
   * The lease floor with the two clock reads of a latency measurement, two threads.
   *
   * @return the lease
   */
  @Benchmark
  @Threads(2)
  public Object leaseClock2() {
    return lease(true);
  }

  /** The smallest lease: which backend, since when, and a released flag for exactly-once. */
  static final class FloorLease {
    private static final VarHandle RELEASED;

    static {
      try {
        RELEASED = MethodHandles.lookup().findVarHandle(FloorLease.class, "released", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final int backend;
    final long start;
    long latency;

    @SuppressWarnings("unused") // through RELEASED
    private volatile int released;

    FloorLease(int backend, long start) {
      this.backend = backend;
      this.start = start;
    }

    boolean release() {
      return RELEASED.compareAndSet(this, 0, 1);
    }
  }

  /** Leases open now, over all backends (zero between operations). */
  int inFlightSum() {
    int sum = 0;
    for (int i = 0; i < backends.length; i++) {
      sum += inFlight.get(i * STRIDE);
    }
    return sum;
  }

  Object lease(boolean clock) {
    int i = (counter.getAndIncrement() & Integer.MAX_VALUE) % backends.length;
    AtomicIntegerArray counts = inFlight;
    counts.getAndIncrement(i * STRIDE);
    FloorLease lease = new FloorLease(i, clock ? System.nanoTime() : 0);
    if (lease.release()) {
      if (clock) {
        lease.latency = System.nanoTime() - lease.start;
      }
      counts.getAndDecrement(lease.backend * STRIDE);
    }
    return lease;
  }
}
