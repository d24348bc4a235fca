package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.HeaderChanges.Change;
import dev.lb4j.api.HeaderChanges.Op;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class HeaderTransformTest {

  private static final RequestView REQUEST =
      RequestView.builder()
          .method("POST")
          .path("/orders/7")
          .host("shop.example.com")
          .clientAddress("192.0.2.7")
          .header("X-Tenant", "acme")
          .build();

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

  @Test
  void requestRulesRenderVariablesInOrder() {
    HeaderTransform t =
        HeaderTransform.builder("edge")
            .setRequestHeader("X-Client", "${client_address}")
            .addRequestHeader("X-Via", "lb4j ${method} ${host}${path} for ${header.x-tenant}")
            .removeRequestHeader("X-Internal")
            .setRequestHeader("X-Price", "$$5 ${header.X-Missing}.")
            .build();

    PolicyDecision d = t.onRequest(REQUEST);

    assertThat(d).isInstanceOf(PolicyDecision.Proceed.class);
    assertThat(((PolicyDecision.Proceed) d).requestHeaders().changes())
        .containsExactly(
            new Change(Op.SET, "x-client", "192.0.2.7"),
            new Change(Op.ADD, "x-via", "lb4j POST shop.example.com/orders/7 for acme"),
            new Change(Op.REMOVE, "x-internal", ""),
            new Change(Op.SET, "x-price", "$5 ."));
  }

  @Test
  void aVariableCannotSplitAHeader() {
    RequestView evil =
        new RequestView() {
          @Override
          public String method() {
            return "GET";
          }

          @Override
          public String path() {
            return "/";
          }

          @Override
          public @Nullable String query() {
            return null;
          }

          @Override
          public @Nullable String host() {
            return "a\r\nSet-Cookie: x=1";
          }

          @Override
          public @Nullable String header(String name) {
            return null;
          }

          @Override
          public @Nullable String clientAddress() {
            return null;
          }
        };
    HeaderTransform t = HeaderTransform.builder("h").setRequestHeader("X-Host", "${host}").build();

    assertThat(PolicyTestSupport.requestEdits(t.onRequest(evil)).changes())
        .containsExactly(new Change(Op.SET, "x-host", "aSet-Cookie: x=1"));
  }

  @Test
  void requestIdIsGeneratedWhenAbsentKeptWhenPresentAndEchoedOnTheResponse() {
    HeaderTransform t = HeaderTransform.builder("ids").requestId("X-Request-Id").build();

    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      List<Change> changes = PolicyTestSupport.requestEdits(t.onRequest(REQUEST)).changes();
      assertThat(changes).hasSize(1);
      assertThat(changes.get(0).name()).isEqualTo("x-request-id");
      assertThat(changes.get(0).value()).matches("[0-9a-f]{32}");
      ids.add(changes.get(0).value());
    }
    assertThat(ids).as("ids are random").hasSize(1000);

    RequestView withId = RequestView.builder().header("X-Request-Id", "abc-1").build();
    assertThat(t.onRequest(withId)).isSameAs(PolicyDecision.proceed());
    assertThat(t.onResponse(withId, OK).changes())
        .containsExactly(new Change(Op.SET, "x-request-id", "abc-1"));
  }

  @Test
  void responseRulesSeeTheRequestAndTheRequestId() {
    HeaderTransform t =
        HeaderTransform.builder("resp")
            .requestId("X-Request-Id")
            .removeResponseHeader("Server")
            .setResponseHeader("X-Trace", "${request_id}@${host}")
            .build();
    RequestView forwarded =
        RequestView.builder().host("h.example").header("X-Request-Id", "r-9").build();

    HeaderChanges changes = t.onResponse(forwarded, OK);

    assertThat(changes.changes())
        .containsExactly(
            new Change(Op.SET, "x-request-id", "r-9"),
            new Change(Op.REMOVE, "server", ""),
            new Change(Op.SET, "x-trace", "r-9@h.example"));
  }

  @Test
  void responseOnlyTransformsLeaveRequestsAlone() {
    HeaderTransform t = HeaderTransform.builder("r").setResponseHeader("X-A", "1").build();
    assertThat(t.onRequest(REQUEST)).isSameAs(PolicyDecision.proceed());
  }

  @Test
  void badInputIsRejectedWithTheField() {
    assertThatThrownBy(() -> HeaderTransform.builder("t").setRequestHeader("X-A", "${nope}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.t.request.set.X-A: '${nope}' uses unknown variable ${nope} (expected:"
                + " client_address, host, method, path, request_id, route, backend_id or"
                + " header.<Name>)");
    assertThatThrownBy(() -> HeaderTransform.builder("t").addResponseHeader("X-A", "${host"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "policies.t.response.add.X-A: '${host' has an unclosed ${ (expected: ${variable}, or"
                + " $$ for $)");
    assertThatThrownBy(() -> HeaderTransform.builder("t").setRequestHeader("Bad Name", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("policies.t.request.set: header name: 'Bad Name'");
    assertThatThrownBy(() -> HeaderTransform.builder("t").setRequestHeader("X-A", "a\nb"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("policies.t.request.set.X-A: contains CR, LF or NUL (expected: a single-line value)");
    assertThatThrownBy(() -> HeaderTransform.builder("t").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("policies.t: no header rules and no requestId (expected: at least one)");
    assertThatThrownBy(() -> HeaderTransform.builder("t").requestId("a").requestId("b"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("policies.t.requestId was already set to a");
    assertThatThrownBy(() -> HeaderTransform.builder("bad name"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("policies: name 'bad name'");
  }
}
