package dev.lb4j.httpclient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.algorithm.Algorithms;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SmokeTest {
  private final List<WireMockServer> servers = new ArrayList<>();

  @AfterEach
  void stop() {
    servers.forEach(WireMockServer::stop);
  }

  @Test
  void roundRobin() throws Exception {
    for (int i = 0; i < 3; i++) {
      WireMockServer s = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
      s.start();
      s.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("b" + i)));
      servers.add(s);
    }
    try (LoadBalancer lb =
            LoadBalancer.builder()
                .pool("api", p -> {
                  for (WireMockServer s : servers) {
                    p.backend("http://127.0.0.1:" + s.port());
                  }
                  p.algorithm(Algorithms.roundRobin());
                })
                .build();
        LoadBalancedHttpClient client = LoadBalancedHttpClient.of(lb)) {
      List<String> bodies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        HttpResponse<String> r = client.send(
            HttpRequest.newBuilder(URI.create("http://api/x?y=1")).build(),
            HttpResponse.BodyHandlers.ofString());
        bodies.add(r.body());
      }
      assertThat(bodies).containsExactlyInAnyOrder("b0", "b1", "b2", "b0", "b1", "b2");
      assertThat(lb.stats().pool("api").inFlight()).isZero();
    }
  }
}
