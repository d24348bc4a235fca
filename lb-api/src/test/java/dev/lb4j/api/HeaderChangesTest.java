package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lb4j.api.HeaderChanges.Change;
import dev.lb4j.api.HeaderChanges.Op;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeaderChangesTest {

  @Test
  void noneIsEmptyAndShared() {
    assertThat(HeaderChanges.none().isEmpty()).isTrue();
    assertThat(HeaderChanges.none().changes()).isEmpty();
    assertThat(HeaderChanges.builder().build()).isSameAs(HeaderChanges.none());
  }

  @Test
  void editsKeepTheirOrderWithLowerCaseNames() {
    HeaderChanges changes =
        HeaderChanges.builder()
            .set("X-Request-Id", "abc")
            .add("Via", "1.1 lb4j")
            .remove("Server")
            .build();

    assertThat(changes.isEmpty()).isFalse();
    assertThat(changes.changes())
        .containsExactly(
            new Change(Op.SET, "x-request-id", "abc"),
            new Change(Op.ADD, "via", "1.1 lb4j"),
            new Change(Op.REMOVE, "server", ""));
    assertThatThrownBy(() -> changes.changes().add(new Change(Op.REMOVE, "x", "")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void builderStaysUsableAndEarlierResultsDoNotChange() {
    HeaderChanges.Builder builder = HeaderChanges.builder().set("a", "1");
    HeaderChanges first = builder.build();
    HeaderChanges second = builder.add("b", "2").build();

    assertThat(first.changes()).hasSize(1);
    assertThat(second.changes()).hasSize(2);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bad name", "a:b", "x(y)", "tab\there", "caf\u00e9", "a/b", "q?"})
  void headerNameThatIsNotATokenIsRejectedWithTheNameAndCharacter(String name) {
    assertThatThrownBy(() -> HeaderChanges.builder().set(name, "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("header name: '" + name + "'")
        .hasMessageContaining("expected: an RFC 9110 token");
    assertThatThrownBy(() -> HeaderChanges.builder().remove(name))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyHeaderNameIsRejected() {
    assertThatThrownBy(() -> HeaderChanges.builder().add("", "v"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("header name: '' (expected: a non-empty token)");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a\r\nInjected: yes", "line\nbreak", "cr\r", "nul\u0000"})
  void headerValueWithLineBreaksOrNulIsRejectedNamingTheHeader(String value) {
    assertThatThrownBy(() -> HeaderChanges.builder().set("X-Forwarded-For", value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "header 'X-Forwarded-For' value: contains CR, LF or NUL (expected: a single-line"
                + " value)");
    assertThatThrownBy(() -> HeaderChanges.builder().add("X-Forwarded-For", value))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectedEditLeavesTheBuilderUnchanged() {
    HeaderChanges.Builder builder = HeaderChanges.builder().set("a", "1");

    assertThatThrownBy(() -> builder.set("b", "x\ny")).isInstanceOf(IllegalArgumentException.class);

    assertThat(builder.build().changes()).containsExactly(new Change(Op.SET, "a", "1"));
  }

  @Test
  void toStringListsTheEdits() {
    assertThat(HeaderChanges.builder().set("A", "1").build().toString())
        .contains("SET")
        .contains("a")
        .contains("1");
  }
}
