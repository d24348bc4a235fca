package dev.lb4j.core;

import dev.lb4j.core.policy.AccessControl;
import dev.lb4j.core.policy.HeaderTransform;
import dev.lb4j.core.policy.RateLimit;
import java.time.Duration;

/** The README's routing example; {@link RoutingExampleTest} runs it. */
final class RoutingExample {

  private RoutingExample() {}

  static LoadBalancer build() {
    // region routing
    AccessControl internal =
        AccessControl.builder("internal").allow("10.0.0.0/8").trustedProxies("10.9.0.0/16").build();
    LoadBalancer lb =
        LoadBalancer.builder()
            .pool("users", pool -> pool.backend("http://10.0.0.1:8080").backend("http://10.0.0.2:8080"))
            .pool("users-canary", pool -> pool.backend("http://10.0.0.9:8080"))
            .pool("static", pool -> pool.backend("http://10.0.1.1:8080").maxRequests(500))
            // Global policies run for every request, in order.
            .policy(internal)
            .policy(HeaderTransform.builder("ids").requestId("X-Request-Id").build())
            // Routes: the first that matches wins; prefixes and exact paths are indexed.
            .route("assets", route -> route.pathPrefix("/assets/").methods("GET", "HEAD").toPool("static"))
            .route(
                "users",
                route ->
                    route.pathPrefix("/api/users/")
                        .replacePrefix("/users/")
                        .split("users", 95)
                        .split("users-canary", 5)
                        .sticky(HashKey.cookie("session")) // one user stays on one side
                        .policy(
                            RateLimit.builder("per-client")
                                .rate(100, Duration.ofSeconds(1))
                                .burst(200)
                                .perKey(internal.clientKey()) // the real client, not the proxy
                                .build()))
            .build(); // no default pool: other requests get NoBackend.Reason.NO_ROUTE
    // endregion
    return lb;
  }
}
