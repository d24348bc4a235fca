package dev.lb4j.core.internal;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.api.RequestView;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancerObserver;
import dev.lb4j.core.NoBackend;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.Selection;
import java.lang.System.Logger.Level;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Calls a {@link LoadBalancerObserver} so that what it throws never reaches the request: caught,
 * counted and logged the 1st, 2nd, 4th, 8th... time, so a broken observer cannot flood the logs.
 * Callers check for a null observer first, so nothing here runs when none is installed.
 */
public final class Observation {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");
  private static final AtomicLong FAILURES = new AtomicLong();

  private Observation() {}

  /** See {@link LoadBalancerObserver#leaseReleased}. */
  public static void released(
      LoadBalancerObserver observer, Lease lease, int status, ErrorKind error, long latencyNanos) {
    try {
      observer.leaseReleased(lease, status, error, latencyNanos);
    } catch (RuntimeException e) {
      failed(observer, "leaseReleased", e);
    }
  }

  /** Reports a selection that is not a lease: a rejection or no backend. */
  public static void selected(LoadBalancerObserver observer, RequestView request, Selection s) {
    try {
      if (s instanceof NoBackend none) {
        observer.noBackend(request, none);
      } else if (s instanceof Rejected rejected) {
        observer.rejected(request, rejected);
      }
    } catch (RuntimeException e) {
      failed(observer, s instanceof NoBackend ? "noBackend" : "rejected", e);
    }
  }

  /** See {@link LoadBalancerObserver#retried}. */
  public static void retried(LoadBalancerObserver observer, Lease previous, Lease next) {
    try {
      observer.retried(previous, next);
    } catch (RuntimeException e) {
      failed(observer, "retried", e);
    }
  }

  /** Observer failures so far, in this JVM. */
  public static long failures() {
    return FAILURES.get();
  }

  private static void failed(LoadBalancerObserver observer, String method, RuntimeException e) {
    long count = FAILURES.incrementAndGet();
    if (Long.bitCount(count) == 1) {
      LOG.log(
          Level.WARNING,
          "observer " + observer + " threw from " + method + " (" + count
              + " observer failures so far); the request was not affected",
          e);
    }
  }
}
