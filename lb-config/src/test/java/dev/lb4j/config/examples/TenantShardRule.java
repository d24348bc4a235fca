package dev.lb4j.config.examples;

import dev.lb4j.api.RequestView;
import dev.lb4j.api.RouteAction;
import dev.lb4j.api.RoutingRule;
import org.jspecify.annotations.Nullable;

// region extend-rule
/** Sends each tenant (header {@code X-Tenant}) to one of the pools shard-0 .. shard-(n-1). */
public final class TenantShardRule implements RoutingRule {

  private final RouteAction[] shards;

  public TenantShardRule(int count) {
    shards = new RouteAction[count];
    for (int i = 0; i < count; i++) {
      // Built once and returned every time: the engine keys its per-route state by the action.
      shards[i] = RouteAction.to("shard-" + i).withPrefixRewrite("/api/", "/");
    }
  }

  @Override
  public String name() {
    return "tenant-shard";
  }

  @Override
  public @Nullable RouteAction action(RequestView request) {
    String tenant = request.header("X-Tenant");
    // String.hashCode is the same in every JVM, so every instance shards a tenant alike.
    return tenant == null ? null : shards[Math.floorMod(tenant.hashCode(), shards.length)];
  }

  @Override
  public @Nullable String route(RequestView request) {
    RouteAction action = action(request);
    return action == null ? null : action.pool();
  }
}
// endregion
