package dev.lb4j.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Small helpers shared by the policy tests. */
final class PolicyTestSupport {

  private PolicyTestSupport() {}

  /** A GET request from the given peer address (or none). */
  static RequestView fromClient(@Nullable String clientAddress) {
    return RequestView.builder().clientAddress(clientAddress).build();
  }

  /**
   * The value a rejection sets for a response header (names compared case-insensitively), or null
   * when the decision does not set it. Fails if the header is set more than once.
   */
  static @Nullable String responseHeader(PolicyDecision decision, String name) {
    if (!(decision instanceof PolicyDecision.Reject reject)) {
      return null; // only a rejection has response headers
    }
    List<HeaderChanges.Change> matching =
        reject.responseHeaders().changes().stream()
            .filter(c -> c.name().equalsIgnoreCase(name))
            .toList();
    assertThat(matching).as("changes of %s in %s", name, decision).hasSizeLessThanOrEqualTo(1);
    if (matching.isEmpty()) {
      return null;
    }
    HeaderChanges.Change change = matching.get(0);
    assertThat(change.op()).as("%s in %s", name, decision).isEqualTo(HeaderChanges.Op.SET);
    return change.value();
  }

  /** Sends the same request {@code n} times and counts how many the policy admits. */
  static int admitted(Policy policy, RequestView request, int n) {
    int admitted = 0;
    for (int i = 0; i < n; i++) {
      if (policy.onRequest(request) instanceof PolicyDecision.Proceed) {
        admitted++;
      }
    }
    return admitted;
  }

  /** Asserts that the decision lets the request through; returns its request edits. */
  static HeaderChanges requestEdits(PolicyDecision decision) {
    assertThat(decision).as("rejected: %s", decision).isInstanceOf(PolicyDecision.Proceed.class);
    return ((PolicyDecision.Proceed) decision).requestHeaders();
  }

  /** Asserts that the decision lets the request through untouched. */
  static void assertProceeds(PolicyDecision decision) {
    assertThat(decision).as("rejected: %s", decision).isInstanceOf(PolicyDecision.Proceed.class);
    assertThat(((PolicyDecision.Proceed) decision).requestHeaders().isEmpty()).isTrue();
  }

  /** Asserts a rejection with this status; returns the reason for further checks. */
  static String assertRejected(PolicyDecision decision, int status) {
    assertThat(decision).as("admitted: %s", decision).isInstanceOf(PolicyDecision.Reject.class);
    PolicyDecision.Reject reject = (PolicyDecision.Reject) decision;
    assertThat(reject.status()).isEqualTo(status);
    return reject.reason();
  }
}
