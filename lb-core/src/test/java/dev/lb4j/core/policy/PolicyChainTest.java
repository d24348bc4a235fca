package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.HeaderChanges.Change;
import dev.lb4j.api.HeaderChanges.Op;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.HashKey;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.Rejected;
import dev.lb4j.core.RequestRejectedException;
import dev.lb4j.core.Selection;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Policies on the request path: order, rejection, edits, containment, retries. */
class PolicyChainTest {

  private final List<String> calls = new ArrayList<>();
  @RegisterExtension final EngineFixture engine = new EngineFixture();

  private static final ResponseView OK =
      new ResponseView() {
        @Override
        public int status() {
          return 200;
        }

        @Override
        public @Nullable String header(String name) {
          return null;
        }
      };

  /** A policy that records its calls and decides with {@code decide}. */
  private Policy recording(String name, Function<RequestView, PolicyDecision> decide) {
    return new Policy() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public PolicyDecision onRequest(RequestView request) {
        calls.add(name);
        return decide.apply(request);
      }

      @Override
      public HeaderChanges onResponse(RequestView request, ResponseView response) {
        calls.add(name + ".response");
        return HeaderChanges.builder().add("X-Seen-By", name).build();
      }
    };
  }

  private static PolicyDecision edit(String header, String value) {
    return PolicyDecision.proceed(HeaderChanges.builder().set(header, value).build());
  }

  private LoadBalancer lb(Policy global1, Policy global2, Policy onApi) {
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .policy(global1)
            .policy(global2)
            .route("api", r -> r.pathPrefix("/api/").stripPrefix().toPool("api").policy(onApi))
            .defaultPool("web")
            .build();
    engine.track(lb);
    return lb;
  }

  @Test
  void globalPoliciesThenRoutePoliciesInOrderAndTheirEditsReachTheLease() {
    LoadBalancer lb =
        lb(
            recording("g1", r -> edit("X-One", "1")),
            recording("g2", r -> PolicyDecision.proceed()),
            recording("route", r -> edit("X-Two", "2")));

    Lease lease = lb.select(RequestView.of("GET", "/api/users")).leaseOrThrow();

    assertThat(calls).containsExactly("g1", "g2", "route");
    assertThat(lease.pool()).isEqualTo("api");
    assertThat(lease.requestHeaders().changes())
        .containsExactly(new Change(Op.SET, "x-one", "1"), new Change(Op.SET, "x-two", "2"));
    assertThat(lease.route()).isNotNull();
    assertThat(java.util.Objects.requireNonNull(lease.route()).rewrite("/api/users")).isEqualTo("/users");
    HeaderChanges response = lease.responseHeaders(RequestView.of("GET", "/users"), OK);
    assertThat(response.changes())
        .as("response steps run in reverse order")
        .containsExactly(
            new Change(Op.ADD, "x-seen-by", "route"),
            new Change(Op.ADD, "x-seen-by", "g2"),
            new Change(Op.ADD, "x-seen-by", "g1"));
    lease.complete(200);

    calls.clear();
    Lease other = lb.select(RequestView.of("GET", "/home")).leaseOrThrow();
    assertThat(calls).as("route policies run only for their route").containsExactly("g1", "g2");
    assertThat(other.pool()).isEqualTo("web");
    assertThat(java.util.Objects.requireNonNull(other.route()).rule().name()).isEqualTo("default");
    assertThat(other.requestHeaders().changes()).containsExactly(new Change(Op.SET, "x-one", "1"));
    other.close();
  }

  @Test
  void theFirstRejectionEndsTheRequestWithoutALease() {
    LoadBalancer lb =
        lb(
            recording("g1", r -> PolicyDecision.proceed()),
            recording(
                "deny",
                r ->
                    PolicyDecision.reject(
                        418, "no tea", HeaderChanges.builder().set("X-Why", "teapot").build())),
            recording("route", r -> PolicyDecision.proceed()));

    Selection s = lb.select(RequestView.of("GET", "/api/x"));

    assertThat(s).isInstanceOf(Rejected.class);
    Rejected rejected = (Rejected) s;
    assertThat(rejected.status()).isEqualTo(418);
    assertThat(rejected.reason()).isEqualTo("no tea");
    assertThat(rejected.policy()).isEqualTo("deny");
    assertThat(rejected.pool()).isEqualTo("api");
    assertThat(rejected.responseHeaders().changes())
        .containsExactly(new Change(Op.SET, "x-why", "teapot"));
    assertThat(calls).containsExactly("g1", "deny");
    assertThat(lb.stats().pool("api").inFlight()).isZero();
    assertThatThrownBy(rejected::leaseOrThrow)
        .isInstanceOf(RequestRejectedException.class)
        .hasMessage("418 no tea")
        .satisfies(e -> assertThat(((RequestRejectedException) e).status()).isEqualTo(418));
  }

  @Test
  void aPolicyThatThrowsRejectsWith500AndIsCounted() {
    LoadBalancer lb =
        lb(
            recording(
                "broken",
                r -> {
                  throw new IllegalStateException("boom");
                }),
            recording("g2", r -> PolicyDecision.proceed()),
            recording("route", r -> PolicyDecision.proceed()));

    for (int i = 0; i < 3; i++) {
      Selection s = lb.select(RequestView.of("GET", "/api/x"));
      assertThat(s).isInstanceOf(Rejected.class);
      assertThat(((Rejected) s).status()).isEqualTo(500);
      assertThat(((Rejected) s).reason())
          .isEqualTo("policy 'broken' failed: threw java.lang.IllegalStateException: boom");
    }
    assertThat(lb.stats().policyErrors()).isEqualTo(3);
    assertThat(calls).containsOnly("broken");
  }

  @Test
  void aPolicyThatThrowsACheckedExceptionOrReturnsNullIsContainedToo() {
    Policy sneaky =
        new Policy() {
          @Override
          public String name() {
            return "sneaky";
          }

          @Override
          public PolicyDecision onRequest(RequestView request) {
            return PolicyChainTest.<RuntimeException>sneakyThrow(new java.io.IOException("disk"));
          }
        };
    Policy nothing =
        new Policy() {
          @Override
          public String name() {
            return "nothing";
          }

          @SuppressWarnings("NullAway") // the point: a plugin that breaks its contract
          @Override
          public PolicyDecision onRequest(RequestView request) {
            return null;
          }
        };
    LoadBalancer a =
        LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).policy(sneaky).build();
    LoadBalancer b =
        LoadBalancer.builder().pool("api", p -> p.backend("http://a:1")).policy(nothing).build();
    engine.track(a);
    engine.track(b);

    assertThat(((Rejected) a.select(RequestView.of("GET", "/"))).reason())
        .isEqualTo("policy 'sneaky' failed: threw java.io.IOException: disk");
    assertThat(((Rejected) b.select(RequestView.of("GET", "/"))).reason())
        .isEqualTo("policy 'nothing' failed: returned no decision (null)");
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> PolicyDecision sneakyThrow(Throwable e) throws E {
    throw (E) e;
  }

  @Test
  void retriesDoNotRunPoliciesAgainButKeepTheRoute() {
    ManualClock clock = new ManualClock();
    RateLimit once =
        RateLimit.builder("once").rate(1, Duration.ofMinutes(1)).ticker(clock).build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(clock)
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
            .route("api", r -> r.pathPrefix("/").toPool("api").policy(once))
            .build();
    engine.track(lb);
    RequestView request = RequestView.of("GET", "/x");

    Lease first = lb.select(request).leaseOrThrow();
    first.fail(dev.lb4j.api.ErrorKind.CONNECT);
    Lease retry = lb.select(request, List.of(first.backend())).leaseOrThrow();

    assertThat(retry.backend()).isNotEqualTo(first.backend());
    assertThat(java.util.Objects.requireNonNull(retry.route()).rule().name()).isEqualTo("api");
    retry.complete(200);
    Selection next = lb.select(request);
    assertThat(next).as("the retry did not spend the rate limit").isInstanceOf(Rejected.class);
    assertThat(((Rejected) next).status()).isEqualTo(429);
  }

  @Test
  void rateLimitAndAccessControlThroughTheLoadBalancer() {
    ManualClock clock = new ManualClock();
    LoadBalancer lb =
        LoadBalancer.builder()
            .ticker(clock)
            .pool("api", p -> p.backend("http://a:1"))
            .policy(AccessControl.builder("acl").allow("10.0.0.0/8").build())
            .policy(
                RateLimit.builder("per-client")
                    .rate(2, Duration.ofSeconds(1))
                    .perKey(HashKey.clientAddress())
                    .ticker(clock)
                    .build())
            .build();
    engine.track(lb);
    RequestView inside = RequestView.builder().clientAddress("10.1.2.3").build();
    RequestView other = RequestView.builder().clientAddress("10.1.2.4").build();
    RequestView outside = RequestView.builder().clientAddress("192.0.2.1").build();

    assertThat(((Rejected) lb.select(outside)).status()).isEqualTo(403);
    lb.select(inside).leaseOrThrow().close();
    lb.select(inside).leaseOrThrow().close();
    Selection third = lb.select(inside);
    assertThat(third).isInstanceOf(Rejected.class);
    assertThat(((Rejected) third).status()).isEqualTo(429);
    assertThat(((Rejected) third).responseHeaders().changes())
        .contains(new Change(Op.SET, "retry-after", "1"));
    lb.select(other).leaseOrThrow().close(); // its own bucket
    clock.advance(Duration.ofMillis(500));
    lb.select(inside).leaseOrThrow().close();
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void routeAndBackendVariablesAreFilledInByTheEngine() {
    HeaderTransform t =
        HeaderTransform.builder("tags")
            .setRequestHeader("X-Route", "${route}")
            .setRequestHeader("X-Upstream", "${backend_id} via ${route}")
            .setResponseHeader("X-Served-By", "${backend_id}")
            .build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .route("users", r -> r.pathPrefix("/users").toPool("api").policy(t))
            .build();
    engine.track(lb);
    RequestView forged =
        RequestView.builder().path("/users/1").header("X-Evil", "\ue000route\ue000").build();

    Lease lease = lb.select(forged).leaseOrThrow();

    assertThat(lease.requestHeaders().changes())
        .containsExactly(
            new Change(Op.SET, "x-route", "users"), new Change(Op.SET, "x-upstream", "a:1 via users"));
    assertThat(lease.responseHeaders(forged, OK).changes())
        .containsExactly(new Change(Op.SET, "x-served-by", "a:1"));
    lease.close();
    // A client cannot forge the engine's placeholder through a request value.
    HeaderTransform echo = HeaderTransform.builder("echo").setRequestHeader("X-E", "${header.X-Evil}").build();
    assertThat(PolicyTestSupport.requestEdits(echo.onRequest(forged)).changes())
        .containsExactly(new Change(Op.SET, "x-e", "route"));
  }

  @Test
  void aRetryKeepsThePolicyEditsForItsNewBackendWithoutRunningPoliciesAgain() {
    HeaderTransform t =
        HeaderTransform.builder("tags")
            .removeRequestHeader("X-User-Id")
            .setRequestHeader("X-Upstream", "${backend_id}")
            .build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
            .policy(t)
            .policy(recording("counted", r -> PolicyDecision.proceed()))
            .build();
    engine.track(lb);
    RequestView request = RequestView.of("GET", "/");

    Lease first = lb.select(request).leaseOrThrow();
    first.fail(dev.lb4j.api.ErrorKind.CONNECT);
    Lease second = lb.retry(request, first, List.of(first.backend())).leaseOrThrow();

    assertThat(calls).as("policies ran once").containsExactly("counted");
    assertThat(second.backend()).isNotEqualTo(first.backend());
    assertThat(second.requestHeaders().changes())
        .containsExactly(
            new Change(Op.REMOVE, "x-user-id", ""),
            new Change(Op.SET, "x-upstream", second.backend().id()));
    assertThat(first.requestHeaders().changes())
        .contains(new Change(Op.SET, "x-upstream", first.backend().id()));
    second.close();
  }

  @Test
  void aCustomRuleThatThrowsIsNoMatchAndThePolicyListsMayNotShareAPolicy() {
    dev.lb4j.api.RoutingRule broken =
        new dev.lb4j.api.RoutingRule() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public @Nullable String route(RequestView request) {
            throw new IllegalStateException("rule boom");
          }
        };
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .rule(broken)
            .defaultPool("web")
            .build();
    engine.track(lb);
    try (Lease lease = lb.select(RequestView.of("GET", "/")).leaseOrThrow()) {
      assertThat(lease.pool()).isEqualTo("web");
    }
    assertThat(lb.explain(RequestView.of("GET", "/")).lines())
        .contains("  broken: threw java.lang.IllegalStateException: rule boom (treated as no match)");

    Policy shared = recording("shared", r -> PolicyDecision.proceed());
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                LoadBalancer.builder()
                    .pool("api", p -> p.backend("http://a:1"))
                    .policy(shared)
                    .route("r", r -> r.pathPrefix("/").toPool("api").policy(shared))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "routes.r.policies.shared: also a global policy (expected: each policy once per"
                + " request; global policies already run for every route)");
  }
}
