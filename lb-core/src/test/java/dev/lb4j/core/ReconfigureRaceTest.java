package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.testing.EngineFixture;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Selections racing reconfigurations: four threads select and complete leases without pause while
 * another thread reconfigures 100 times (backends added, removed and re-weighted, a pool added and
 * removed, the stable pool's algorithm switched, routes and policies changed). A request whose route
 * exists before and after never fails, nothing throws, every in-flight count returns to zero, and
 * the drained backend stays drained throughout.
 */
class ReconfigureRaceTest {

  private static final int SELECTORS = 4;
  private static final int RECONFIGURATIONS = 100;
  private static final long MAX_SELECTIONS_PER_THREAD = 2_000_000;

  @RegisterExtension final EngineFixture engine = new EngineFixture();

  private static Policy proceeding(String name) {
    return new Policy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public PolicyDecision onRequest(RequestView request) {
        return PolicyDecision.proceed();
      }
    };
  }

  /** Configuration {@code i}: everything that varies is a function of {@code i} and the seed. */
  private static void configure(LoadBalancerBuilder b, int i, SplittableRandom random) {
    boolean leastRequest = i % 3 == 1;
    b.pool(
        "stable",
        p -> {
          p.algorithm(leastRequest ? Algorithms.leastRequest() : Algorithms.weightedRoundRobin());
          for (int k = 0; k < 3; k++) {
            p.backend("http://s" + k + ":80", 1 + random.nextInt(5));
          }
          p.backend("http://drained:80");
          if (i % 2 == 0) {
            p.backend("http://s3:80", 1 + random.nextInt(5));
          }
        });
    b.route("stable", r -> r.pathPrefix("/s").toPool("stable"));
    if (i % 4 < 2) {
      b.pool("extra", p -> p.backend("http://x0:80").backend("http://x1:80"));
      b.route("extra", r -> r.pathPrefix("/x").toPool("extra"));
    }
    b.policy(proceeding(i % 2 == 0 ? "even" : "odd"));
    b.defaultPool("stable");
  }

  @Test
  void selectionsNeverFailAndNothingLeaksWhileTheConfigurationChanges() throws Exception {
    SplittableRandom random = new SplittableRandom(42);
    LoadBalancer lb = engine.balancer(b -> configure(b, 0, random));
    lb.admin().drain("stable", "drained:80");
    Set<Pool> handles = Collections.newSetFromMap(new IdentityHashMap<>());
    handles.add(lb.pool("stable"));

    Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong selections = new AtomicLong();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> selectors = new ArrayList<>();
    for (int t = 0; t < SELECTORS; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                  RequestView stable = RequestView.of("GET", "/s/users");
                  RequestView maybe = RequestView.of("GET", "/x/users");
                  for (long n = 0; n < MAX_SELECTIONS_PER_THREAD && !done.get(); n++) {
                    Selection s = lb.select(stable);
                    if (s instanceof Lease lease) {
                      if (lease.backend().id().equals("drained:80")) {
                        failures.add("picked the drained backend");
                      }
                      lease.complete(200);
                    } else {
                      failures.add(String.valueOf(s));
                    }
                    // The extra route comes and goes: either outcome is fine, a lease must close.
                    if (lb.select(maybe) instanceof Lease lease) {
                      lease.close();
                    }
                    selections.incrementAndGet();
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              },
              "selector-" + t);
      thread.start();
      selectors.add(thread);
    }

    start.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    for (int i = 1; i <= RECONFIGURATIONS; i++) {
      // Let the selectors make progress between changes, so every change races selections.
      long seen = selections.get();
      while (selections.get() < seen + SELECTORS && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      LoadBalancerBuilder next = LoadBalancer.builder();
      configure(next, i, random);
      lb.reconfigure(next);
      handles.add(lb.pool("stable"));
    }
    done.set(true);
    for (Thread t : selectors) {
      t.join(TimeUnit.SECONDS.toMillis(30));
      assertThat(t.isAlive()).as("%s ended", t.getName()).isFalse();
    }

    assertThat(errors).as("exceptions").isEmpty();
    assertThat(failures).as("failed selections of a route in every configuration").isEmpty();
    assertThat(selections.get())
        .as("selections made (at least a few between reconfigurations)")
        .isGreaterThanOrEqualTo((long) SELECTORS * RECONFIGURATIONS);
    assertThat(handles).as("the algorithm switch replaced the stable pool").hasSizeGreaterThan(1);
    EngineFixture.assertNothingInFlight(lb);
    for (Pool p : handles) {
      assertThat(p.stats().inFlight()).as("in flight in a replaced stable pool").isZero();
      assertThat(p.stats().backends()).allSatisfy(b -> assertThat(b.inFlight()).isZero());
    }
    PoolStats stable = Objects.requireNonNull(lb.stats().pools().get("stable"), "stable");
    assertThat(stable.backends())
        .filteredOn(b -> b.id().equals("drained:80"))
        .singleElement()
        .satisfies(b -> assertThat(b.status()).isEqualTo(BackendStatus.DRAINING));
  }
}
