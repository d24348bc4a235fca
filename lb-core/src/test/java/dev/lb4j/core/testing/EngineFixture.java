package dev.lb4j.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.core.BackendStats;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.PoolBuilder;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The engine set-up most tests share, as a JUnit 5 extension: a {@link ManualClock} that is every
 * load balancer's ticker and scheduler, a {@link HealthEventLog} that hears every health event, and
 * the open/close harness. After each test it checks that no lease is left open on any pool or
 * backend of any load balancer it built, then closes them all, so every test gets the leak check
 * (in the manner of gRPC's {@code GrpcCleanupRule}).
 *
 * <pre>{@code
 * @RegisterExtension final EngineFixture engine = new EngineFixture();
 *
 * LoadBalancer lb = engine.pool("api", p -> p.backend("http://a:80").backend("http://b:80"));
 * engine.clock().advance(Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>One instance per test (an instance field); load balancers may be built from any thread.
 */
public final class EngineFixture implements AfterEachCallback {

  private final ManualClock clock = new ManualClock();
  private final HealthEventLog events = new HealthEventLog();
  private final List<LoadBalancer> built = new CopyOnWriteArrayList<>();

  /** The ticker and scheduler of every load balancer built here. */
  public ManualClock clock() {
    return clock;
  }

  /** Every health event of every load balancer built here, in delivery order. */
  public HealthEventLog events() {
    return events;
  }

  /**
   * Builds a load balancer on {@link #clock()} whose events go to {@link #events()}; {@code
   * configure} adds pools and any other setting but the ticker and the scheduler.
   */
  public LoadBalancer balancer(Consumer<LoadBalancerBuilder> configure) {
    return balancer(clock, configure);
  }

  /**
   * Like {@link #balancer(Consumer)} with another scheduler on the same ticker, for a test that
   * wraps the clock (to record what a task throws, say).
   */
  public LoadBalancer balancer(Scheduler scheduler, Consumer<LoadBalancerBuilder> configure) {
    LoadBalancerBuilder builder =
        LoadBalancer.builder().ticker(clock).scheduler(scheduler).healthListener(events);
    configure.accept(builder);
    return track(builder.build());
  }

  /** A load balancer with one pool, {@code name}, configured by {@code pool}. */
  public LoadBalancer pool(String name, Consumer<PoolBuilder> pool) {
    return balancer(b -> b.pool(name, pool));
  }

  /** Takes a load balancer built elsewhere into the harness: checked for leaks and closed. */
  public LoadBalancer track(LoadBalancer lb) {
    built.add(lb);
    return lb;
  }

  /** Fails unless every pool of {@code lb}, and every backend in it, has nothing in flight. */
  public static void assertNothingInFlight(LoadBalancer lb) {
    for (PoolStats pool : lb.stats().pools().values()) {
      assertThat(pool.inFlight()).as("leases in flight in pool %s", pool.name()).isZero();
      for (BackendStats b : pool.backends()) {
        assertThat(b.inFlight())
            .as("leases in flight on %s in pool %s", b.id(), pool.name())
            .isZero();
      }
    }
  }

  /** Checks every load balancer built here for leaks, then closes them all (even on failure). */
  @Override
  public void afterEach(ExtensionContext context) {
    AssertionError leaks = null;
    for (LoadBalancer lb : built) {
      try {
        assertNothingInFlight(lb);
      } catch (AssertionError e) {
        if (leaks == null) {
          leaks = e;
        } else {
          leaks.addSuppressed(e);
        }
      }
    }
    built.forEach(LoadBalancer::close);
    built.clear();
    if (leaks != null) {
      throw leaks;
    }
  }
}
