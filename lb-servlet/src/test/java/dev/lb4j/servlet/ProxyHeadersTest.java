package dev.lb4j.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/** The proxy's header rules, without a container: what a container lets through is tested there. */
class ProxyHeadersTest {

  private static @Nullable String reject(String... nameValues) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (int i = 0; i < nameValues.length; i += 2) {
      headers.computeIfAbsent(nameValues[i], n -> new ArrayList<>()).add(nameValues[i + 1]);
    }
    return Headers.rejection(headers.keySet(), headers::get);
  }

  @Test
  void rejectsContentLengthBesideTransferEncoding() {
    assertThat(reject("Content-Length", "5", "Transfer-Encoding", "chunked"))
        .isEqualTo("both Content-Length and Transfer-Encoding");
  }

  @Test
  void rejectsConflictingContentLengths() {
    assertThat(reject("Content-Length", "5", "Content-Length", "6"))
        .isEqualTo("conflicting Content-Length values");
    assertThat(reject("Content-Length", "5, 6")).isEqualTo("conflicting Content-Length values");
    assertThat(reject("Content-Length", "5", "Content-Length", "5")).isNull();
  }

  @Test
  void rejectsATransferEncodingThatDoesNotEndInChunked() {
    assertThat(reject("Transfer-Encoding", "chunked, gzip"))
        .isEqualTo("Transfer-Encoding does not end in chunked");
    assertThat(reject("Transfer-Encoding", "gzip, chunked")).isNull();
  }

  @Test
  void rejectsCrLfAndNulInValues() {
    assertThat(reject("X-A", "a\r\nInjected: yes")).contains("'X-A'");
    assertThat(reject("X-A", "a\nb")).contains("'X-A'");
    assertThat(reject("X-A", "a\u0000b")).contains("'X-A'");
    assertThat(reject("X-A", "a b\tc")).isNull();
  }

  @Test
  void connectionNamesHopByHopHeaders() {
    Set<String> options = Headers.connectionOptions(List.of("close, X-Hop", " Keep-Alive"));
    assertThat(options).containsExactlyInAnyOrder("close", "x-hop", "keep-alive");
    assertThat(Headers.isEndToEnd("X-Hop", options)).isFalse();
    assertThat(Headers.isEndToEnd("Upgrade", Set.of())).isFalse();
    assertThat(Headers.isEndToEnd("Set-Cookie", options)).isTrue();
  }

  @Test
  void forwardedElementQuotesWhatIsNotAToken() {
    assertThat(Headers.forwardedElement("10.0.0.1", "example.com", "https"))
        .isEqualTo("for=10.0.0.1;host=example.com;proto=https");
    assertThat(Headers.forwardedElement("2001:db8::1", "example.com:8080", "http"))
        .isEqualTo("for=\"[2001:db8::1]\";host=\"example.com:8080\";proto=http");
    assertThat(Headers.forwardedElement(null, "h", "http")).isEqualTo("host=h;proto=http");
  }
}
