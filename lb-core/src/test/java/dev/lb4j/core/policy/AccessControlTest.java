package dev.lb4j.core.policy;

import static dev.lb4j.core.policy.PolicyTestSupport.assertProceeds;
import static dev.lb4j.core.policy.PolicyTestSupport.assertRejected;
import static dev.lb4j.core.policy.PolicyTestSupport.fromClient;
import static dev.lb4j.core.policy.PolicyTestSupport.responseHeader;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.PolicyDecision;
import dev.lb4j.api.RequestView;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link AccessControl} rules on the connection's peer address (no trusted proxies): deny wins over
 * allow, an allow list rejects everyone else and unknown clients, deny lists alone admit unknown
 * clients, and a method allow list answers 405 with an {@code Allow} header.
 */
class AccessControlTest {

  private static RequestView request(String method, @Nullable String client) {
    return RequestView.builder().method(method).path("/x").clientAddress(client).build();
  }

  @Test
  void denyWinsInsideAnAllowedRange() {
    AccessControl acl = AccessControl.builder("acl").allow("10.0.0.0/8").deny("10.0.0.13").build();

    assertProceeds(acl.onRequest(fromClient("10.0.0.12")));
    assertProceeds(acl.onRequest(fromClient("10.0.0.14")));
    PolicyDecision denied = acl.onRequest(fromClient("10.0.0.13"));
    assertThat(assertRejected(denied, 403))
        .isEqualTo("access control 'acl': client 10.0.0.13 denied by 10.0.0.13");
    assertThat(((PolicyDecision.Reject) denied).responseHeaders().isEmpty()).isTrue();
    // IPv4-mapped form of the denied address is the same client.
    assertRejected(acl.onRequest(fromClient("::ffff:10.0.0.13")), 403);
  }

  @Test
  void allowListRejectsEveryoneElseWith403() {
    AccessControl acl =
        AccessControl.builder("office").allow("192.0.2.0/24", "2001:db8::/32").build();

    assertProceeds(acl.onRequest(fromClient("192.0.2.1")));
    assertProceeds(acl.onRequest(fromClient("192.0.2.255")));
    assertProceeds(acl.onRequest(fromClient("2001:db8:1::5")));
    assertThat(assertRejected(acl.onRequest(fromClient("192.0.3.0")), 403))
        .isEqualTo("access control 'office': client 192.0.3.0 not in an allowed range");
    assertThat(assertRejected(acl.onRequest(fromClient("2001:db9::1")), 403))
        .isEqualTo("access control 'office': client 2001:db9::1 not in an allowed range");
  }

  @Test
  void allowListRejectsUnknownClients() {
    AccessControl acl = AccessControl.builder("acl").allow("0.0.0.0/0", "::/0").build();
    assertProceeds(acl.onRequest(fromClient("203.0.113.9")));
    for (String unknown : new String[] {"not-an-ip", "", "10.0.0.1:8080", "example.com", "1.2.3"}) {
      assertThat(assertRejected(acl.onRequest(fromClient(unknown)), 403))
          .as("client %s", unknown)
          .isEqualTo("access control 'acl': client (unknown) not in an allowed range");
    }
    assertThat(assertRejected(acl.onRequest(fromClient(null)), 403))
        .isEqualTo("access control 'acl': client (unknown) not in an allowed range");
  }

  @Test
  void denyOnlyAdmitsUnknownAndOtherClients() {
    AccessControl acl = AccessControl.builder("blocklist").deny("192.0.2.0/24", "2001:db8::/32").build();

    assertProceeds(acl.onRequest(fromClient("198.51.100.1")));
    assertProceeds(acl.onRequest(fromClient("2001:db9::1")));
    assertProceeds(acl.onRequest(fromClient(null)));
    assertProceeds(acl.onRequest(fromClient("garbage")));
    assertThat(assertRejected(acl.onRequest(fromClient("192.0.2.77")), 403))
        .isEqualTo("access control 'blocklist': client 192.0.2.77 denied by 192.0.2.0/24");
    assertThat(assertRejected(acl.onRequest(fromClient("2001:db8::dead")), 403))
        .isEqualTo("access control 'blocklist': client 2001:db8::dead denied by 2001:db8::/32");
  }

  @Test
  void reasonNamesTheRuleAsWritten() {
    AccessControl acl = AccessControl.builder("acl").deny("10.1.2.3/8", "fe80::/10").build();
    assertThat(assertRejected(acl.onRequest(fromClient("10.200.0.1")), 403))
        .isEqualTo("access control 'acl': client 10.200.0.1 denied by 10.1.2.3/8");
    assertThat(assertRejected(acl.onRequest(fromClient("fe80::1%eth0")), 403))
        .isEqualTo("access control 'acl': client fe80::1%eth0 denied by fe80::/10");
  }

  @Test
  void ipv4RulesMatchIpv4MappedClients() {
    AccessControl acl = AccessControl.builder("acl").allow("10.0.0.0/8").build();
    assertProceeds(acl.onRequest(fromClient("::ffff:10.9.8.7")));
    assertRejected(acl.onRequest(fromClient("::ffff:11.9.8.7")), 403);
    // An IPv6 client is in no IPv4 range, even 0.0.0.0/0.
    AccessControl v4Only = AccessControl.builder("v4").allow("0.0.0.0/0").build();
    assertRejected(v4Only.onRequest(fromClient("2001:db8::1")), 403);
    assertProceeds(v4Only.onRequest(fromClient("198.51.100.1")));
  }

  @Test
  void allowAndDenyMayBeCalledMoreThanOnce() {
    AccessControl acl =
        AccessControl.builder("acl")
            .allow("10.0.0.0/8")
            .allow("192.168.0.0/16")
            .deny("10.0.0.1")
            .deny("192.168.1.0/24")
            .build();
    assertProceeds(acl.onRequest(fromClient("10.0.0.2")));
    assertProceeds(acl.onRequest(fromClient("192.168.2.1")));
    assertRejected(acl.onRequest(fromClient("10.0.0.1")), 403);
    assertRejected(acl.onRequest(fromClient("192.168.1.1")), 403);
    assertRejected(acl.onRequest(fromClient("172.16.0.1")), 403);
  }

  // ------------------------------------------------------------------ methods

  @Test
  void methodAllowListAnswers405WithAllow() {
    AccessControl acl = AccessControl.builder("read-only").methods("GET", "head").build();

    assertProceeds(acl.onRequest(request("GET", "192.0.2.1")));
    assertProceeds(acl.onRequest(request("HEAD", null))); // no address rules: any client
    for (String method : new String[] {"POST", "DELETE", "PUT", "OPTIONS", "PATCH"}) {
      PolicyDecision rejected = acl.onRequest(request(method, "192.0.2.1"));
      assertThat(assertRejected(rejected, 405))
          .isEqualTo("access control 'read-only': method not allowed (allowed: GET, HEAD)");
      assertThat(responseHeader(rejected, "Allow")).isEqualTo("GET, HEAD");
    }
  }

  @Test
  void requestMethodsAreComparedInUpperCase() {
    AccessControl acl = AccessControl.builder("acl").methods("get").build();
    // The request view stores methods in upper case; the allow list is upper case too.
    assertProceeds(acl.onRequest(request("get", "192.0.2.1")));
    assertProceeds(acl.onRequest(request("GET", "192.0.2.1")));
    assertRejected(acl.onRequest(request("post", "192.0.2.1")), 405);
  }

  @Test
  void repeatedMethodsAreListedOnce() {
    AccessControl acl =
        AccessControl.builder("acl").methods("GET", "get").methods("POST", "GET").build();
    PolicyDecision rejected = acl.onRequest(request("DELETE", "192.0.2.1"));
    assertThat(responseHeader(rejected, "Allow")).isEqualTo("GET, POST");
  }

  @Test
  void allowedMethodsStillFaceTheAddressRules() {
    AccessControl acl =
        AccessControl.builder("acl").methods("GET").allow("10.0.0.0/8").deny("10.0.0.66").build();

    assertProceeds(acl.onRequest(request("GET", "10.1.1.1")));
    assertThat(assertRejected(acl.onRequest(request("GET", "192.0.2.1")), 403))
        .contains("192.0.2.1");
    assertRejected(acl.onRequest(request("GET", "10.0.0.66")), 403);
    assertRejected(acl.onRequest(request("GET", null)), 403);
    // A wrong method is answered 405 whatever the address.
    assertRejected(acl.onRequest(request("POST", "10.1.1.1")), 405);
    assertRejected(acl.onRequest(request("POST", "192.0.2.1")), 405);
  }

  @Test
  void clientAddressIsThePeerWithoutTrustedProxies() {
    AccessControl acl = AccessControl.builder("acl").allow("192.0.2.0/24").build();
    RequestView spoofing =
        RequestView.builder()
            .clientAddress("198.51.100.9")
            .header("X-Forwarded-For", "192.0.2.1")
            .header("Forwarded", "for=192.0.2.1")
            .build();
    assertThat(acl.clientAddress(spoofing)).isEqualTo("198.51.100.9");
    assertRejected(acl.onRequest(spoofing), 403);
    assertThat(acl.clientAddress(fromClient("garbage"))).isNull();
    assertThat(acl.clientAddress(fromClient(null))).isNull();
  }
}
