package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyDecisionTest {

  @Test
  void proceedIsSharedAndCarriesNothing() {
    PolicyDecision proceed = PolicyDecision.proceed();

    assertThat(proceed).isSameAs(PolicyDecision.proceed());
    assertThat(proceed)
        .isInstanceOfSatisfying(
            PolicyDecision.Proceed.class, p -> assertThat(p.requestHeaders().isEmpty()).isTrue());
    assertThat(proceed).hasToString("proceed");
  }

  @Test
  void proceedWithNoEditsIsTheSharedProceed() {
    assertThat(PolicyDecision.proceed(HeaderChanges.none())).isSameAs(PolicyDecision.proceed());
  }

  @Test
  void proceedWithEditsCarriesThemForTheRequest() {
    HeaderChanges edits = HeaderChanges.builder().set("X-User", "u1").build();

    PolicyDecision decision = PolicyDecision.proceed(edits);

    assertThat(decision)
        .isInstanceOfSatisfying(
            PolicyDecision.Proceed.class, p -> assertThat(p.requestHeaders()).isSameAs(edits));
    assertThat(decision.toString()).startsWith("proceed with ").contains("x-user");
  }

  @Test
  void rejectCarriesStatusReasonAndResponseHeaders() {
    HeaderChanges retryAfter = HeaderChanges.builder().set("Retry-After", "1").build();

    PolicyDecision decision = PolicyDecision.reject(429, "rate limited", retryAfter);

    assertThat(decision).isEqualTo(new PolicyDecision.Reject(429, "rate limited", retryAfter));
    assertThat(decision).hasToString("reject 429: rate limited");
    assertThat(PolicyDecision.reject(403, "denied"))
        .isEqualTo(new PolicyDecision.Reject(403, "denied", HeaderChanges.none()));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 200, 302, 399, 600})
  void rejectStatusOutside4xxAnd5xxIsRejectedWithTheValue(int status) {
    assertThatThrownBy(() -> PolicyDecision.reject(status, "x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("status: " + status + " (expected: 400..599)");
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 599})
  void rejectStatusBoundsAreAccepted(int status) {
    assertThat(PolicyDecision.reject(status, "x"))
        .isInstanceOfSatisfying(
            PolicyDecision.Reject.class, r -> assertThat(r.status()).isEqualTo(status));
  }
}
