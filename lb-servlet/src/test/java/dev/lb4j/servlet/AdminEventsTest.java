package dev.lb4j.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthEvent;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The admin interface's recent health events: bounded, ordered, and unregistered on close. */
class AdminEventsTest {

  private static LoadBalancer lb() {
    return LoadBalancer.builder()
        .pool("api", p -> p.backend("http://127.0.0.1:1").backend("http://127.0.0.1:2"))
        .build();
  }

  @Test
  void keepsTheNewestEventsUpToItsCapacityInOrder() {
    try (LoadBalancer lb = lb()) {
      AdminEvents events = AdminEvents.register(lb);
      int n = AdminEvents.CAPACITY + 44;
      for (int i = 1; i <= n; i++) {
        events.onEvent(new HealthEvent.StatusChanged("api", "b" + i, BackendStatus.HEALTHY,
            BackendStatus.UNHEALTHY, "probe " + i + " failed", i));
      }
      JsonNode all = events.json(0);
      assertThat(all.get("last").longValue()).isEqualTo(n);
      JsonNode list = all.get("events");
      assertThat(list).hasSize(AdminEvents.CAPACITY);
      assertThat(list.get(0).get("seq").longValue()).isEqualTo(45);
      assertThat(list.get(0).get("reason").stringValue()).isEqualTo("probe 45 failed");
      assertThat(list.get(AdminEvents.CAPACITY - 1).get("backend").stringValue())
          .isEqualTo("b" + n);
      assertThat(events.json(n - 2).get("events")).hasSize(2);
      events.close();
    }
  }

  @Test
  void recordsTheLoadBalancersEventsUntilClosedAndLeavesNoListenerBehind() {
    try (LoadBalancer lb = lb()) {
      String id = lb.pool("api").backends().get(0).id();
      AdminEvents events = AdminEvents.register(lb);
      lb.admin().disable("api", id);
      JsonNode list = events.json(0).get("events");
      assertThat(list).hasSize(1);
      assertThat(list.get(0).get("to").stringValue()).isEqualTo("DISABLED");

      events.close();
      lb.admin().enable("api", id);
      assertThat(events.json(0).get("events")).as("nothing after close").hasSize(1);
      assertThat(lb.removeHealthListener(events)).as("the listener is gone").isFalse();
    }
  }

  @Test
  void theDashboardAndEventsNamesAreTakenForEndpoints() {
    try (LoadBalancer lb = lb()) {
      for (String name : new String[] {"dashboard", "events"}) {
        assertThatThrownBy(() -> AdminServlet.builder(lb).endpoint(name, (q, r, p) -> { }))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("already taken");
      }
    }
  }
}
