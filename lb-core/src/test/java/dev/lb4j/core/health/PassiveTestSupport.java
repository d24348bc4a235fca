package dev.lb4j.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.Backend;
import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Selection;
import dev.lb4j.core.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Set-up shared by the passive-health and panic tests: one pool named {@value #POOL} of fake
 * backends (never contacted), leases pinned to a chosen backend through exclusions, and readers of
 * stats. Events are read through {@link dev.lb4j.core.testing.HealthEventLog}.
 */
final class PassiveTestSupport {

  static final String POOL = "api";
  static final RequestView GET = RequestView.of("GET", "/");

  private PassiveTestSupport() {}

  /** The URI of fake backend {@code i} (below 250). */
  static String uri(int i) {
    return "http://10.1.0." + (i + 1) + ":8080";
  }

  /** The default id of fake backend {@code i}: {@code host:port}. */
  static String id(int i) {
    return "10.1.0." + (i + 1) + ":8080";
  }

  /** A lease on backend {@code id}: every other member is excluded, so only it can be picked. */
  static Lease leaseOn(LoadBalancer lb, String id) {
    List<Backend> others = new ArrayList<>();
    for (Backend b : lb.pool(POOL).backends()) {
      if (!b.id().equals(id)) {
        others.add(b);
      }
    }
    Lease lease = lb.pool(POOL).select(GET, others).leaseOrThrow();
    assertThat(lease.backend().id()).as("lease pinned by exclusions").isEqualTo(id);
    return lease;
  }

  /** Whether backend {@code id} can be selected at all (every other member excluded). */
  static Selection selectOnly(LoadBalancer lb, String id) {
    List<Backend> others = new ArrayList<>();
    for (Backend b : lb.pool(POOL).backends()) {
      if (!b.id().equals(id)) {
        others.add(b);
      }
    }
    return lb.pool(POOL).select(GET, others);
  }

  static void complete(LoadBalancer lb, String id, int status, int times) {
    for (int i = 0; i < times; i++) {
      leaseOn(lb, id).complete(status);
    }
  }

  static void fail(LoadBalancer lb, String id, ErrorKind error, int times) {
    for (int i = 0; i < times; i++) {
      leaseOn(lb, id).fail(error);
    }
  }

  /**
   * Completes {@code times} leases of {@code id} with {@code status}, then lets the scheduler run
   * what they triggered: an ejection is applied on the scheduler, never on the request's thread.
   */
  static void complete(ManualClock clock, LoadBalancer lb, String id, int status, int times) {
    complete(lb, id, status, times);
    clock.runDue();
  }

  /** Fails {@code times} leases of {@code id}, then lets the scheduler run what they triggered. */
  static void fail(ManualClock clock, LoadBalancer lb, String id, ErrorKind error, int times) {
    fail(lb, id, error, times);
    clock.runDue();
  }

  static BackendStats stats(LoadBalancer lb, String id) {
    return lb.stats().pool(POOL).backend(id);
  }

  static BackendStatus status(LoadBalancer lb, String id) {
    return stats(lb, id).status();
  }

  /**
   * Selects {@code n} times with {@code request}, closing each lease at once (a cancellation, which
   * outlier detection ignores), and counts the picks per backend id.
   */
  static Map<String, Integer> pickCounts(LoadBalancer lb, RequestView request, int n) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      try (Lease lease = lb.select(request).leaseOrThrow()) {
        counts.merge(lease.backend().id(), 1, Integer::sum);
      }
    }
    return counts;
  }

  static Map<String, Integer> pickCounts(LoadBalancer lb, int n) {
    return pickCounts(lb, GET, n);
  }
}
