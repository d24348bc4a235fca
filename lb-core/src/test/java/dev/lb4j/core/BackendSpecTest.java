package dev.lb4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Backend URIs, ids and the set-once builder. */
class BackendSpecTest {

  @ParameterizedTest(name = "{0} -> {1} as {2}")
  @CsvSource({
    "http://10.0.0.7:8080,       http://10.0.0.7:8080,        10.0.0.7:8080",
    "http://Example.COM,         http://example.com:80,       example.com:80",
    "HTTPS://example.com,        https://example.com:443,     example.com:443",
    "https://example.com/base/,  https://example.com:443/base/, example.com:443",
    "http://[::1]:9000,          http://[::1]:9000,           [::1]:9000",
    "'  http://padded:81  ',     http://padded:81,            padded:81",
  })
  void uriIsNormalizedAndTheDefaultIdIsHostColonPort(String uri, String normalized, String id) {
    BackendSpec spec = BackendSpec.of(uri);

    assertThat(spec.uri()).hasToString(normalized);
    assertThat(spec.id()).isEqualTo(id);
    assertThat(spec.weight()).isEqualTo(BackendSpec.DEFAULT_WEIGHT);
    assertThat(spec.zone()).isEmpty();
    assertThat(spec.metadata()).isEmpty();
  }

  @Test
  void builderSetsIdWeightZoneAndMetadata() {
    BackendSpec spec =
        BackendSpec.builder("http://10.0.0.7:8080")
            .id("node-7")
            .weight(40)
            .zone("eu-west-1a")
            .metadata("rack", "r12")
            .metadata("version", "2")
            .build();

    assertThat(spec.id()).isEqualTo("node-7");
    assertThat(spec.weight()).isEqualTo(40);
    assertThat(spec.zone()).isEqualTo("eu-west-1a");
    assertThat(spec.metadata())
        .containsExactly(Map.entry("rack", "r12"), Map.entry("version", "2"));
    assertThat(spec)
        .hasToString(
            "node-7 -> http://10.0.0.7:8080 weight=40 zone=eu-west-1a metadata={rack=r12,"
                + " version=2}");
    assertThatThrownBy(() -> spec.metadata().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builderStaysUsableAndBuiltSpecsDoNotChange() {
    BackendSpec.Builder builder = BackendSpec.builder("http://a").metadata("k", "1");
    BackendSpec first = builder.build();
    builder.metadata("k2", "2");

    assertThat(first.metadata()).containsOnlyKeys("k");
    assertThat(builder.build().metadata()).containsOnlyKeys("k", "k2");
  }

  @Test
  void secondCallToEachSetOnceSettingThrowsNamingTheSettingAndItsValue() {
    BackendSpec.Builder builder =
        BackendSpec.builder("http://a").id("first").weight(5).zone("z1").metadata("k", "v");

    assertThatThrownBy(() -> builder.id("second"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("id was already set to 'first'");
    assertThatThrownBy(() -> builder.weight(6))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("weight was already set to 5");
    assertThatThrownBy(() -> builder.zone("z2"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("zone was already set to 'z1'");
    assertThatThrownBy(() -> builder.metadata("k", "w"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("metadata 'k' was already set to 'v'");
    assertThat(builder.build().id()).isEqualTo("first");
  }

  @Test
  void secondWeightCallThrowsEvenWhenTheFirstSetTheDefault() {
    BackendSpec.Builder builder = BackendSpec.builder("http://a").weight(1);

    assertThatThrownBy(() -> builder.weight(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("weight was already set to 1");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 10_001, Integer.MAX_VALUE})
  void weightOutOfRangeIsRejectedWithTheValueAndTheRange(int weight) {
    assertThatThrownBy(() -> BackendSpec.builder("http://a").weight(weight))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("weight: " + weight + " (expected: 1..10000)");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 10_000})
  void weightBoundsAreAccepted(int weight) {
    assertThat(BackendSpec.builder("http://a").weight(weight).build().weight()).isEqualTo(weight);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "tab\tid", "new\nline", "del\u007f"})
  void blankIdOrIdWithControlCharactersIsRejected(String id) {
    assertThatThrownBy(() -> BackendSpec.builder("http://a").id(id))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("id: '" + id + "' (expected: non-blank, without control characters)");
  }

  @Test
  void blankZoneAndMetadataKeyAreRejected() {
    assertThatThrownBy(() -> BackendSpec.builder("http://a").zone(" "))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("zone: ' ' (expected: a non-blank name)");
    assertThatThrownBy(() -> BackendSpec.builder("http://a").metadata("", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("metadata key: '' (expected: non-blank)");
  }

  @Test
  void malformedUriIsRejectedAsInvalidWithTheValue() {
    assertThatThrownBy(() -> BackendSpec.of("http://exa mple.com"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("uri: 'http://exa mple.com' is not a valid URI (")
        .hasMessageContaining("expected: an http or https URI");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://example.com", "example.com:8080", "/just/a/path", "mailto:someone"})
  void nonHttpUriIsRejectedWithTheValue(String uri) {
    assertThatThrownBy(() -> BackendSpec.of(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "uri: '" + uri + "' (expected: an http or https URI such as http://10.0.0.7:8080)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http:///path", "https://under_score:80", "http:opaque"})
  void uriWithoutHostIsRejected(String uri) {
    assertThatThrownBy(() -> BackendSpec.of(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("uri: '" + uri + "'")
        .hasMessageContaining("expected: http[s]://host[:port][/path]");
  }

  @Test
  void uriWithUserInfoIsRejectedWithoutShowingThePassword() {
    assertThatThrownBy(() -> BackendSpec.of("http://admin:s3cr3t@example.com:8080/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "uri: 'http://***@example.com:8080/x' has user info (expected: no credentials in a"
                + " backend URI)")
        .hasMessageNotContaining("s3cr3t");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ftp://admin:s3cr3t@example.com",
        "http://admin:s3cr3t@exa mple.com",
        "http://admin:s3cr3t@/path",
        "http://admin:s3cr3t@example.com:0",
        "http:///admin:s3cr3t@10.0.0.1:8080",
        "http:/admin:s3cr3t@10.0.0.1:8080",
        "mailto:admin:s3cr3t@example.com",
      })
  void passwordNeverAppearsInAnyUriErrorOrItsCause(String uri) {
    assertThatThrownBy(() -> BackendSpec.of(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(
            e -> {
              for (Throwable t = e; t != null; t = t.getCause()) {
                assertThat(String.valueOf(t.getMessage())).as("%s", t).doesNotContain("s3cr3t");
              }
            });
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://example.com/?a=1", "http://example.com/#frag", "http://h?x"})
  void uriWithQueryOrFragmentIsRejected(String uri) {
    assertThatThrownBy(() -> BackendSpec.of(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "uri: '" + uri + "' has a query or fragment (expected: http[s]://host[:port][/path])");
  }

  @ParameterizedTest
  @CsvSource({
    "http://example.com:0, 0",
    "http://example.com:70000, 70000",
    "http://h:65536, 65536"
  })
  void portOutOfRangeIsRejectedWithThePort(String uri, int port) {
    assertThatThrownBy(() -> BackendSpec.of(uri))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri: '" + uri + "' has port " + port + " (expected: 1..65535)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://h:1", "http://h:65535"})
  void portBoundsAreAccepted(String uri) {
    assertThat(BackendSpec.of(uri).uri().toString()).isEqualTo(uri);
  }

  @Test
  void nullUriIsRejectedNamingTheField() {
    assertThatThrownBy(() -> BackendSpec.of(nullString()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("uri: null (expected: an http or https URI)");
  }

  @SuppressWarnings("NullAway") // deliberately breaks the contract
  private static String nullString() {
    return null;
  }
}
