package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.RoutingRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** {@link LoadBalancer#selectByHost}: how client-side adapters route a request to a service. */
class SelectByHostTest {

  private static RequestView to(String host, String path) {
    return RequestView.builder().host(host).path(path).build();
  }

  /** A policy that records what it saw and rejects requests with header {@code X-Deny}. */
  private static final class Recording implements Policy {
    final List<String> seen = new ArrayList<>();
    private final String name;

    Recording(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public PolicyDecision onRequest(RequestView request) {
      seen.add(request.host() + request.path());
      return request.header("X-Deny") != null
          ? PolicyDecision.reject(403, "denied by " + name)
          : PolicyDecision.proceed(HeaderChanges.builder().set("X-Seen-By", name).build());
    }
  }

  @Test
  void routingRulesComeFirstThenTheHostNamesThePoolAndNeverTheDefault() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("api-v2", p -> p.backend("http://b:1"))
            .pool("other", p -> p.backend("http://o:1"))
            .defaultPool("other")
            .route("v2", r -> r.pathPrefix("/v2/").toPool("api-v2"))
            .build()) {
      assertThat(pick(lb.selectByHost(to("api", "/v2/users")))).isEqualTo("api-v2");
      assertThat(pick(lb.selectByHost(to("api", "/users")))).isEqualTo("api");
      assertThat(pick(lb.selectByHost(to("other", "/users")))).isEqualTo("other");
      Selection unknown = lb.selectByHost(to("example.com", "/users"));
      assertThat(unknown).isInstanceOfSatisfying(NoBackend.class, n -> {
        assertThat(n.reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
        assertThat(n.message()).contains("'example.com'").contains("[api, api-v2, other]");
      });
      // select() still uses the default route for the same request.
      assertThat(pick(lb.select(to("example.com", "/users")))).isEqualTo("other");
      assertThat(lb.routeByHost(to("example.com", "/"))).isNull();
      assertThat(lb.routeByHost(to("api", "/")))
          .satisfies(m -> assertThat(m == null ? null : m.pool()).isEqualTo("api"));
    }
  }

  @Test
  void hostsMatchPoolNamesIgnoringCaseUnlessThatIsAmbiguous() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("Api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .pool("WEB", p -> p.backend("http://x:1"))
            .build()) {
      assertThat(pick(lb.selectByHost(to("api", "/")))).isEqualTo("Api");
      assertThat(pick(lb.selectByHost(to("API", "/")))).isEqualTo("Api");
      assertThat(pick(lb.selectByHost(to("web", "/")))).isEqualTo("web");
      assertThat(pick(lb.selectByHost(to("WEB", "/")))).isEqualTo("WEB");
      assertThat(lb.selectByHost(to("Web", "/"))).isInstanceOf(NoBackend.class); // ambiguous
    }
  }

  @Test
  void aCustomRuleNamingAnUnknownPoolFallsBackToTheHost() {
    RoutingRule broken =
        new RoutingRule() {
          @Override
          public String name() {
            return "broken";
          }

          @Override
          public @Nullable String route(RequestView request) {
            return "no-such-pool";
          }
        };
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .rule(broken)
            .build()) {
      assertThat(pick(lb.selectByHost(to("web", "/")))).isEqualTo("web");
      assertThat(lb.explainByHost(to("web", "/")).backend())
          .satisfies(b -> assertThat(b == null ? null : b.id()).isEqualTo("w:1"));
    }
  }

  @Test
  void globalPoliciesRunForHostRoutesAndRoutePoliciesOnlyForTheirRoute() {
    Recording global = new Recording("global");
    Recording onRoute = new Recording("on-route");
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1"))
            .pool("web", p -> p.backend("http://w:1"))
            .policy(global)
            .route("admin", r -> r.pathPrefix("/admin/").toPool("web").policy(onRoute))
            .build()) {
      try (Lease lease = lb.selectByHost(to("api", "/x")).leaseOrThrow()) {
        assertThat(lease.requestHeaders().changes())
            .extracting(HeaderChanges.Change::value)
            .containsExactly("global");
        assertThat(lease.route()).isNotNull();
      }
      try (Lease lease = lb.selectByHost(to("api", "/admin/x")).leaseOrThrow()) {
        assertThat(lease.pool()).isEqualTo("web");
        assertThat(lease.requestHeaders().changes())
            .extracting(HeaderChanges.Change::value)
            .containsExactly("global", "on-route");
      }
      assertThat(global.seen).containsExactly("api/x", "api/admin/x");
      assertThat(onRoute.seen).containsExactly("api/admin/x");

      Selection denied =
          lb.selectByHost(RequestView.builder().host("api").path("/x").header("X-Deny", "1")
              .build());
      assertThat(denied).isInstanceOfSatisfying(Rejected.class, r -> {
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.policy()).isEqualTo("global");
      });
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void retriesAreCountedPerPool() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
            .build()) {
      RequestView request = to("api", "/");
      Lease first = lb.selectByHost(request).leaseOrThrow();
      first.complete(503);
      Lease second = lb.retry(request, first, Set.of(first.backend())).leaseOrThrow();
      assertThat(second.backend()).isNotEqualTo(first.backend());
      second.complete(200);
      assertThat(lb.stats().pool("api").retries()).isEqualTo(1);
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }

  @Test
  void onceEveryBackendWasTriedARetryAvoidsOnlyThePreviousOne() {
    try (LoadBalancer lb =
        LoadBalancer.builder()
            .pool("api", p -> p.backend("http://a:1").backend("http://b:1"))
            .pool("solo", p -> p.backend("http://s:1"))
            .build()) {
      RequestView request = to("api", "/");
      Lease first = lb.selectByHost(request).leaseOrThrow();
      first.complete(503);
      Lease second = lb.retry(request, first, List.of(first.backend())).leaseOrThrow();
      second.complete(503);
      Lease third =
          lb.retry(request, second, List.of(first.backend(), second.backend())).leaseOrThrow();
      assertThat(third.backend()).isEqualTo(first.backend()); // not the previous attempt's
      third.complete(200);

      RequestView solo = to("solo", "/");
      Lease only = lb.selectByHost(solo).leaseOrThrow();
      only.complete(503);
      Lease again = lb.retry(solo, only, List.of(only.backend())).leaseOrThrow();
      assertThat(again.backend()).isEqualTo(only.backend());
      again.close();

      lb.admin().disable("solo", only.backend().id());
      assertThat(lb.retry(solo, again, List.of(again.backend()))).isInstanceOf(NoBackend.class);
      assertThat(lb.stats().pool("api").retries()).isEqualTo(2);
      assertThat(lb.stats().pool("api").noBackend()).isZero(); // the fallback probes do not count
      assertThat(lb.stats().pool("solo").retries()).isEqualTo(1); // the failed one is not counted
      assertThat(lb.stats().pool("solo").noBackend()).isEqualTo(1); // only the final refusal
    }
  }

  private static String pick(Selection selection) {
    try (Lease lease = selection.leaseOrThrow()) {
      return lease.pool();
    }
  }
}
