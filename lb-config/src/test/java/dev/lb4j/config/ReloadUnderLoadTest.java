package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * While 4 threads select and complete leases without pause, 100 reloads add, remove and reweight
 * backends, add and remove pools, and change routes and policies. A request whose route and pool
 * exist in every configuration never fails; none leaks a lease; the backend an operator drained
 * before the reloads is still drained after them.
 */
class ReloadUnderLoadTest {

  private static final Scheduler IDLE = (task, delay) -> () -> {};
  private static final int RELOADS = 100;
  private static final int THREADS = 4;
  private static final RequestView STABLE = RequestView.of("GET", "/stable/x");
  private static final RequestView EXTRA = RequestView.of("GET", "/extra/x");

  /** The i-th configuration: 'stable' always (with s0 and s1 always), other parts come and go. */
  static String config(int i, Random random) {
    StringBuilder y = new StringBuilder("pools:\n  stable:\n");
    y.append(i % 3 == 0 ? "    algorithm: least_request\n" : "    algorithm: weighted_round_robin\n");
    y.append("    backends:\n      - {uri: http://s0:80, weight: ").append(1 + random.nextInt(5))
        .append("}\n");
    for (int b = 1; b < 6; b++) {
      if (b == 1 || random.nextBoolean()) { // s1 always: s0 is drained
        y.append("      - {uri: http://s").append(b).append(":80, weight: ")
            .append(1 + random.nextInt(5)).append("}\n");
      }
    }
    boolean extra = i % 2 == 0;
    if (extra) {
      y.append("  extra-").append(i % 4).append(":\n    backends: [http://e").append(i % 4)
          .append(":80]\n");
    }
    y.append("routes:\n");
    if (extra && random.nextBoolean()) {
      y.append("  - {name: extra, match: {pathPrefix: /extra}, toPool: extra-").append(i % 4)
          .append("}\n");
    }
    y.append("  - {name: stable, match: {pathPrefix: /stable}, toPool: stable")
        .append(i % 5 == 0 ? ", policies: [tag]" : "").append("}\n");
    y.append("policies:\n  - {name: tag, headerTransform: {setRequestHeaders: {X-Reload: '")
        .append(i).append("'}}}\n");
    if (random.nextBoolean()) {
      y.append("  - {name: roomy, global: true, rateLimit: {rate: 1000000000}}\n");
    }
    return y.toString();
  }

  @Test
  void reloadsUnderLoadLoseNoRequestNoLeaseAndNoState() throws InterruptedException {
    Random random = new Random(42);
    Lb4jConfig first = Lb4jConfig.loader().text(config(0, random), "reload 0")
        .environment(Map.of()).load();
    try (LoadBalancer lb = first.newBuilder().scheduler(IDLE).build();
        ConfigReloader reloader = ConfigReloader.of(lb, first, Map.of(), List.of())) {
      lb.admin().drain("stable", "s0:80");
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong stableLeases = new AtomicLong();
      AtomicLong extraLeases = new AtomicLong();
      Queue<String> failures = new ConcurrentLinkedQueue<>();
      CountDownLatch started = new CountDownLatch(THREADS);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        Thread thread = new Thread(() -> {
          started.countDown();
          List<Lease> open = new ArrayList<>();
          try {
            for (long n = 0; n < 50_000_000L && !stop.get(); n++) {
              Selection s = lb.select(n % 4 == 3 ? EXTRA : STABLE);
              if (s instanceof Lease lease) {
                (n % 4 == 3 ? extraLeases : stableLeases).incrementAndGet();
                open.add(lease);
              } else if (n % 4 != 3) {
                failures.add("a stable request failed: " + s);
              } else if (!(s instanceof NoBackend)) {
                failures.add("an extra request was refused otherwise than by a missing route or"
                    + " pool: " + s);
              }
              if (open.size() > 3) { // a few leases open across each reload
                open.remove(0).complete(n % 7 == 0 ? 503 : 200);
              }
            }
          } catch (RuntimeException | Error e) {
            failures.add(Thread.currentThread().getName() + " threw " + e);
          } finally {
            open.forEach(l -> l.complete(200));
          }
        }, "selector-" + t);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
      }
      assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
      List<ReloadEvent.Outcome> outcomes = new ArrayList<>();
      for (int i = 1; i <= RELOADS; i++) {
        ReloadEvent event = reloader.apply(config(i, random), "reload " + i);
        outcomes.add(event.outcome());
        assertThat(event.problems()).as("reload %d", i).isEmpty();
        Thread.onSpinWait();
      }
      stop.set(true);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
      }
      assertThat(outcomes).as("every reload applied").containsOnly(ReloadEvent.Outcome.APPLIED);
      assertThat(failures).isEmpty();
      assertThat(stableLeases.get()).isPositive();
      for (String pool : lb.poolNames()) {
        PoolStats stats = lb.stats().pool(pool);
        assertThat(stats.inFlight()).as("leases open in %s", pool).isZero();
        stats.backends().forEach(b ->
            assertThat(b.inFlight()).as("leases open on %s", b.id()).isZero());
      }
      assertThat(lb.stats().pool("stable").backend("s0:80").status())
          .as("drained by the operator before the reloads").isEqualTo(BackendStatus.DRAINING);
      assertThat(reloader.current().source()).isEqualTo("reload " + RELOADS);
    }
  }
}
