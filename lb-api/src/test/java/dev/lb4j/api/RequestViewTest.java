package dev.lb4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestViewTest {

  @Test
  void builderDefaultsToGetSlashWithNothingElse() {
    RequestView view = RequestView.builder().build();

    assertThat(view.method()).isEqualTo("GET");
    assertThat(view.path()).isEqualTo("/");
    assertThat(view.query()).isNull();
    assertThat(view.host()).isNull();
    assertThat(view.clientAddress()).isNull();
    assertThat(view.header("Cookie")).isNull();
    assertThat(view.headers("Cookie")).isEmpty();
    assertThat(view.cookie("a")).isNull();
    assertThat(view.queryParameter("a")).isNull();
    assertThat(view).hasToString("GET /");
  }

  @Test
  void methodIsStoredInUpperCase() {
    assertThat(RequestView.builder().method("patch").build().method()).isEqualTo("PATCH");
    assertThat(RequestView.of("delete", "/x").method()).isEqualTo("DELETE");
  }

  @Test
  void emptyMethodIsRejectedWithTheExpectation() {
    assertThatThrownBy(() -> RequestView.builder().method(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("method: '' (expected: a non-empty token such as GET)");
  }

  @Test
  void pathSplitsOffTheQuery() {
    RequestView view = RequestView.builder().path("/users/7?expand=true&x").build();

    assertThat(view.path()).isEqualTo("/users/7");
    assertThat(view.query()).isEqualTo("expand=true&x");
    assertThat(view).hasToString("GET /users/7?expand=true&x");
  }

  @Test
  void pathEndingInQuestionMarkHasAnEmptyQuery() {
    RequestView view = RequestView.builder().path("/a?").build();

    assertThat(view.query()).isEmpty();
    assertThat(view.queryParameter("a")).isNull();
  }

  @ParameterizedTest
  @CsvSource({"users", "''", "?a=1", "http://host/x"})
  void pathNotStartingWithSlashIsRejectedWithTheValue(String path) {
    assertThatThrownBy(() -> RequestView.builder().path(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("path: '" + path + "' (expected: starts with '/')");
  }

  @Test
  void headerNamesAreCaseInsensitiveAndRepeatedValuesKeepTheirOrder() {
    RequestView view =
        RequestView.builder()
            .header("X-Tenant", "a")
            .header("x-tenant", "b")
            .header("X-TENANT", "c")
            .header("Accept", "text/plain")
            .build();

    assertThat(view.header("x-TeNaNt")).isEqualTo("a");
    assertThat(view.headers("X-Tenant")).containsExactly("a", "b", "c");
    assertThat(view.header("accept")).isEqualTo("text/plain");
    assertThat(view.header("absent")).isNull();
  }

  @Test
  void builtViewIsImmutableAndTheBuilderStaysUsable() {
    RequestViewBuilder builder =
        RequestView.builder().method("POST").path("/a?x=1").host("example.com").header("h", "1");
    RequestView first = builder.build();

    builder.header("h", "2").host("other.example").clientAddress("10.0.0.1");
    RequestView second = builder.build();

    assertThat(first.headers("h")).containsExactly("1");
    assertThat(first.host()).isEqualTo("example.com");
    assertThat(first.clientAddress()).isNull();
    assertThat(second.headers("h")).containsExactly("1", "2");
    assertThat(second.host()).isEqualTo("other.example");
    assertThat(second.clientAddress()).isEqualTo("10.0.0.1");
    assertThat(second.method()).isEqualTo("POST");
    assertThat(second.query()).isEqualTo("x=1");
    assertThatThrownBy(() -> second.headers("h").add("3"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @ParameterizedTest(name = "cookie {1} in \"{0}\" is \"{2}\"")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "a=1; b=2         | b    | 2",
        "a=1; b=2         | a    | 1",
        "a=1;b=2          | b    | 2",
        "  a = 1 ;  b = 2 | b    | 2",
        "a=1; b=2         | c    | NULL",
        "ab=1; b=2        | b    | 2",
        "ab=1             | a    | NULL",
        "A=1              | a    | NULL",
        "a=1; a=2         | a    | 1",
        "flag; a=1        | flag | ''",
        "a=x=y            | a    | x=y",
        "s=\"quoted\"     | s    | \"quoted\"",
        "a=1;             | a    | 1",
        "a=%20            | a    | %20",
      })
  void cookieIsParsedFromTheCookieHeaderAsSent(
      String cookieHeader, String name, @Nullable String expected) {
    RequestView view = RequestView.builder().header("Cookie", cookieHeader).build();

    assertThat(view.cookie(name)).isEqualTo(expected);
  }

  @Test
  void cookieIsFoundInAnyOfSeveralCookieHeaders() {
    RequestView view =
        RequestView.builder().header("cookie", "a=1").header("COOKIE", "session=s; b=2").build();

    assertThat(view.cookie("session")).isEqualTo("s");
    assertThat(view.cookie("b")).isEqualTo("2");
    assertThat(view.cookie("a")).isEqualTo("1");
  }

  @ParameterizedTest(name = "parameter {1} of \"{0}\" is \"{2}\"")
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "a=1&b=2   | b   | 2",
        "a=1&b=2   | a   | 1",
        "a=1&b=2   | c   | NULL",
        "a=1&a=2   | a   | 1",
        "flag&a=1  | flag| ''",
        "flag      | flag| ''",
        "k=v=w     | k   | v=w",
        "ab=1&b=2  | b   | 2",
        "ab=1      | a   | NULL",
        "A=1       | a   | NULL",
        "x=1&&y=2  | y   | 2",
        "q=a%20b   | q   | a%20b",
        "e=        | e   | ''",
      })
  void queryParameterIsParsedFromTheRawQueryAsSent(
      String query, String name, @Nullable String expected) {
    RequestView view = RequestView.builder().query(query).build();

    assertThat(view.queryParameter(name)).isEqualTo(expected);
  }

  @Test
  void queryParameterOfARequestWithoutQueryIsNull() {
    assertThat(RequestView.of("GET", "/x").queryParameter("x")).isNull();
  }

  @Test
  void defaultMethodsWorkOnAMinimalImplementation() {
    RequestView minimal =
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
            return "id=42&debug";
          }

          @Override
          public @Nullable String host() {
            return null;
          }

          @Override
          public @Nullable String header(String name) {
            return name.equalsIgnoreCase("cookie") ? "session=abc; theme=dark" : null;
          }

          @Override
          public @Nullable String clientAddress() {
            return null;
          }
        };

    assertThat(minimal.headers("Cookie")).containsExactly("session=abc; theme=dark");
    assertThat(minimal.headers("X-Absent")).isEqualTo(List.of());
    assertThat(minimal.cookie("theme")).isEqualTo("dark");
    assertThat(minimal.cookie("absent")).isNull();
    assertThat(minimal.queryParameter("id")).isEqualTo("42");
    assertThat(minimal.queryParameter("debug")).isEmpty();
  }
}
