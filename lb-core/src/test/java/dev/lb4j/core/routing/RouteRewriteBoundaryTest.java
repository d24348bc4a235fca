package dev.lb4j.core.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** A prefix that ends a segment keeps that boundary whatever the replacement ends with. */
class RouteRewriteBoundaryTest {

  private static String rewrite(String prefix, String replacement, String path) {
    Route route = Route.builder("r").pathPrefix(prefix).replacePrefix(replacement).toPool("p").build();
    RouteMatch m = Objects.requireNonNull(route.match(RequestView.of("GET", path)));
    return m.rewrite(path);
  }

  @Test
  void segmentsAreNeitherGluedNorDoubled() {
    assertThat(rewrite("/v1/", "/v2", "/v1/users")).isEqualTo("/v2/users");
    assertThat(rewrite("/v1/", "/v2/", "/v1/users")).isEqualTo("/v2/users");
    assertThat(rewrite("/v1", "/v2/", "/v1/users")).isEqualTo("/v2/users");
    assertThat(rewrite("/v1", "/v2", "/v1/users")).isEqualTo("/v2/users");
    assertThat(rewrite("/v1/", "/v2", "/v1/")).isEqualTo("/v2");
    assertThat(rewrite("/v1", "/v2", "/v1x")).as("a character prefix stays one").isEqualTo("/v2x");
  }
}
