package dev.lb4j.httpclient;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The one JDK client of every {@link HttpProbe} built without a client of its own, and the bounded
 * executor it runs on.
 *
 * <p>Why one per JVM: on JDK 17 an {@link HttpClient} cannot be closed; its selector thread ({@code
 * HttpClient-N-SelectorManager}) ends only after the client is garbage-collected. A client per probe
 * or per load balancer would leave one such thread per closed load balancer until a collection
 * happens to run. So the client is created once, on the first check, and its selector thread lives
 * as long as the JVM: the only probe thread that outlives a load balancer.
 *
 * <p>Its executor is lb4j's: at most {@value #THREADS} daemon threads ({@code lb4j-http-probe-N}),
 * which exist only while some probe {@linkplain #acquire() holds} the client. When the last holder
 * {@linkplain #release() releases} it (its load balancer closed), the threads are shut down and
 * waited for; a task the JDK client still hands over after that (the end of a cancelled exchange)
 * runs on the thread that hands it over (usually the client's selector thread). A probe that is
 * never closed (one checked outside a load balancer, or wrapped by a probe that does not pass
 * {@code close()} on) keeps its hold; the threads then still end after 30 s without work.
 */
final class SharedProbeClient {

  /** Threads of the executor: probe work is non-blocking (parsing, completing futures). */
  static final int THREADS = 2;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final long CLOSE_WAIT_SECONDS = 5;
  private static final AtomicInteger THREAD_NUMBERS = new AtomicInteger();
  private static final Object LOCK = new Object();

  // Guarded by LOCK.
  private static int holders;
  private static @Nullable HttpClient client;
  /** Written under LOCK, read by {@link #execute} without it. */
  private static volatile @Nullable ThreadPoolExecutor executor;
  /** The threads of {@link #executor} that may be alive; guarded by LOCK. */
  private static Set<Thread> threads = ConcurrentHashMap.newKeySet();

  private SharedProbeClient() {}

  /** Takes a hold on the client (creating it and starting the executor as needed). */
  static HttpClient acquire() {
    synchronized (LOCK) {
      holders++;
      if (executor == null) {
        executor = newExecutor();
      }
      HttpClient c = client;
      if (c == null) {
        c =
            HttpClient.newBuilder()
                .executor(SharedProbeClient::execute)
                .connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        client = c;
      }
      return c;
    }
  }

  /**
   * Gives back a hold; the last one shuts the executor down and waits for its threads to end
   * (unless called on one of them, which would wait for itself).
   */
  static void release() {
    ThreadPoolExecutor stopped;
    Set<Thread> stoppedThreads;
    synchronized (LOCK) {
      if (holders == 0 || --holders > 0) {
        return;
      }
      stopped = executor;
      stoppedThreads = threads;
      executor = null;
      threads = ConcurrentHashMap.newKeySet();
    }
    if (stopped == null) {
      return;
    }
    stopped.shutdown(); // queued tasks still run; tasks handed over from now on run inline
    if (Thread.currentThread() instanceof ProbeThread) {
      return;
    }
    // The executor terminates just before its threads' last instructions: join them.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
    try {
      for (Thread t : stoppedThreads) {
        long left = deadline - System.nanoTime();
        if (left > 0) {
          TimeUnit.NANOSECONDS.timedJoin(t, left);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void execute(Runnable task) {
    ThreadPoolExecutor e = executor;
    if (e != null) {
      try {
        e.execute(task);
        return;
      } catch (RejectedExecutionException shutDownMeanwhile) {
        // the last holder released the client while the task was handed over: run it here
      }
    }
    task.run();
  }

  private static ThreadPoolExecutor newExecutor() {
    Set<Thread> started = threads;
    ThreadPoolExecutor e =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            task -> {
              started.removeIf(t -> !t.isAlive()); // ended after 30 s idle
              Thread t = new ProbeThread(task);
              started.add(t);
              return t;
            });
    e.allowCoreThreadTimeOut(true);
    return e;
  }

  /** A thread of the executor. */
  private static final class ProbeThread extends Thread {
    ProbeThread(Runnable task) {
      super(task, "lb4j-http-probe-" + THREAD_NUMBERS.incrementAndGet());
      setDaemon(true);
    }
  }
}
