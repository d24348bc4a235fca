package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Runs the README's routing example: routes, rewrites, policies, explain. */
class RoutingExampleTest {

  @Test
  void theExampleRoutesRewritesAndExplains() {
    try (LoadBalancer lb = RoutingExample.build()) {
      RequestView users =
          RequestView.builder()
              .path("/api/users/7")
              .clientAddress("10.2.3.4")
              .header("Cookie", "session=abc")
              .build();
      Lease lease = lb.select(users).leaseOrThrow();
      assertThat(lease.pool()).isIn("users", "users-canary");
      assertThat(Objects.requireNonNull(lease.route()).rewrite("/api/users/7")).isEqualTo("/users/7");
      assertThat(lease.requestHeaders().changes()).hasSize(1); // a generated X-Request-Id
      lease.complete(200);
      for (int i = 0; i < 20; i++) {
        assertThat(lb.select(users).leaseOrThrow().pool()).as("sticky").isEqualTo(lease.pool());
      }

      Selection outside = lb.select(RequestView.builder().path("/assets/a.css").clientAddress("203.0.113.9").build());
      assertThat(((Rejected) outside).status()).isEqualTo(403);
      Selection nowhere = lb.select(RequestView.builder().path("/").clientAddress("10.2.3.4").build());
      assertThat(((NoBackend) nowhere).reason()).isEqualTo(NoBackend.Reason.NO_ROUTE);
      assertThat(lb.explain(users).toString()).contains("users: YES").contains("per-client: proceed");
    }
  }
}
