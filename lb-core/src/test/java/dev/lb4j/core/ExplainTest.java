package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.algorithm.Algorithms;
import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.RateLimit;
import dev.lb4j.core.testing.EngineFixture;
import dev.lb4j.core.testing.ManualClock;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** explain(): a readable trace of routing, policies and the pick, with no side effects. */
class ExplainTest {

  @RegisterExtension final EngineFixture engine = new EngineFixture();
  private final ManualClock clock = engine.clock();
  private LoadBalancer lb;

  @BeforeEach
  void build() {
    lb =
        engine.balancer(b -> b
            .pool(
                "users",
                p -> p.backend("http://10.0.0.1:80").backend("http://10.0.0.2:80")
                    .algorithm(Algorithms.maglev())
                    .hashKey(HashKey.header("X-User")))
            .pool("static", p -> p.backend("http://10.0.1.1:80"))
            .policy(AccessControl.builder("office").allow("192.0.2.0/24").build())
            .route("assets", r -> r.pathPrefix("/assets/").toPool("static"))
            .route(
                "api",
                r -> r.pathPrefix("/api/").methods("GET", "POST").stripPrefix().toPool("users")
                    .policy(
                        RateLimit.builder("per-user")
                            .rate(1, Duration.ofMinutes(1))
                            .perKey(HashKey.header("X-User"))
                            .ticker(clock)
                            .build())));
  }

  private static RequestView request(String method, String path, String client) {
    return RequestView.builder()
        .method(method)
        .path(path)
        .clientAddress(client)
        .header("X-User", "alice")
        .build();
  }

  @Test
  void anAdmittedRequestShowsTheRuleThePoliciesTheCandidatesAndThePick() {
    Explanation e = lb.explain(request("GET", "/api/orders", "192.0.2.10"));

    assertThat(e.admitted()).isTrue();
    assertThat(Objects.requireNonNull(e.route()).rule().name()).isEqualTo("api");
    assertThat(e.lines())
        .startsWith(
            "request GET /api/orders from 192.0.2.10",
            "routing: 2 rules, first match in declaration order wins",
            "  assets: no, path /api/orders does not match prefix '/assets/'",
            "  api: YES (route api: path prefix '/api/' and method in [GET, POST] -> users,"
                + " rewrite prefix to '/', policies [per-user])",
            "path rewritten: /api/orders -> /orders",
            "policies: 2, in order",
            "  office: proceed",
            "  per-user: proceed");
    assertThat(e.lines()).anyMatch(l -> l.startsWith("pool 'users': algorithm maglev"));
    assertThat(e.lines())
        .anyMatch(l -> l.startsWith("  candidate 10.0.0.1:80: HEALTHY, weight 1, in flight 0"));
    assertThat(e.lines()).anyMatch(l -> l.startsWith("hash key header(X-User): 'alice', XXH64 0x"));
    String picked = Objects.requireNonNull(e.backend()).id();
    assertThat(e.lines()).last().isEqualTo("the algorithm picks " + picked);

    // The real selection agrees (maglev is deterministic), and explain spent no rate-limit token.
    Lease lease = lb.select(request("GET", "/api/orders", "192.0.2.10")).leaseOrThrow();
    assertThat(lease.backend().id()).isEqualTo(picked);
    lease.close();
    assertThat(lb.stats().pool("users").inFlight()).isZero();
    assertThat(lb.stats().pool("users").backend(picked).picks())
        .as("explain opened no lease").isEqualTo(1);
  }

  @Test
  void aRejectedRequestNamesThePolicyAndItsReasonAndPicksNothing() {
    Explanation outside = lb.explain(request("GET", "/api/orders", "198.51.100.7"));

    assertThat(outside.admitted()).isFalse();
    assertThat(outside.rejectedBy()).isEqualTo("office");
    assertThat(Objects.requireNonNull(outside.rejection()).status()).isEqualTo(403);
    assertThat(outside.backend()).isNull();
    assertThat(outside.lines())
        .last()
        .isEqualTo(
            "  office: reject 403: access control 'office': client 198.51.100.7 not in an allowed"
                + " range");

    // Spend alice's one permit, then explain shows the rate limit's verdict without spending more.
    lb.select(request("GET", "/api/orders", "192.0.2.10")).leaseOrThrow().close();
    Explanation limited = lb.explain(request("GET", "/api/orders", "192.0.2.10"));
    assertThat(limited.rejectedBy()).isEqualTo("per-user");
    assertThat(Objects.requireNonNull(limited.rejection()).status()).isEqualTo(429);
    clock.advance(Duration.ofMinutes(1));
    assertThat(lb.explain(request("GET", "/api/orders", "192.0.2.10")).admitted()).isTrue();
    Selection admitted = lb.select(request("GET", "/api/orders", "192.0.2.10"));
    assertThat(admitted).isInstanceOf(Lease.class);
    ((Lease) admitted).close();
  }

  @Test
  void aRequestNoRuleMatchesSaysSo() {
    Explanation e = lb.explain(request("DELETE", "/api/orders", "192.0.2.10"));

    assertThat(e.route()).isNull();
    assertThat(e.admitted()).isFalse();
    assertThat(e.lines())
        .contains(
            "  api: no, method DELETE is not one of [GET, POST]",
            "  no rule matched and there is no default pool: no routing rule matched and there is"
                + " no default pool (pools: [users, static])");
    assertThat(e.toString()).contains(System.lineSeparator());
  }
}
