package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.lb4j.config.internal.Documents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/**
 * The published JSON Schema ({@code lb-config/lb4j-config.schema.json}): it is exactly what {@code
 * ConfigCheck --schema} prints, it is a valid draft 2020-12 schema, every example file passes both
 * the schema and the loader, and the schema and the loader refuse the same broken documents.
 *
 * <p>When the model changes, regenerate the published file with either
 *
 * <pre>
 * ./mvnw -B -o -pl lb-api,lb-core,lb-config -am test -Dtest=SchemaTest \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dlb4j.schema.write=true
 * java -cp ... dev.lb4j.config.ConfigCheck --schema &gt; lb-config/lb4j-config.schema.json
 * </pre>
 *
 * <p>({@code -Dlb4j.schema.write=true} makes this test write the file before comparing it) and
 * commit the result.
 */
class SchemaTest {

  /** Surefire runs in the module's directory. */
  private static final Path SCHEMA_FILE = Path.of("lb4j-config.schema.json");

  private static final Path EXAMPLES = Path.of("examples");

  private static final String HOW_TO_REGENERATE = "the published schema " + SCHEMA_FILE.toAbsolutePath()
      + " differs from the one the model generates; regenerate it with ./mvnw -B -o -pl"
      + " lb-api,lb-core,lb-config -am test -Dtest=SchemaTest -Dsurefire.failIfNoSpecifiedTests=false"
      + " -Dlb4j.schema.write=true (or java -cp ... dev.lb4j.config.ConfigCheck --schema >"
      + " lb-config/lb4j-config.schema.json) and commit it";

  /** A valid document the invalid ones below differ from by one mistake. */
  private static final String VALID = """
      pools:
        web:
          backends:
            - uri: http://127.0.0.1:8081
              weight: 2
            - http://127.0.0.1:8082
      """;

  private static final SchemaRegistry REGISTRY =
      SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);

  private static String generatedSchema() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = ConfigCheck.run(new String[] {"--schema"},
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(status).as("ConfigCheck --schema exit status; stderr: %s",
        err.toString(StandardCharsets.UTF_8)).isZero();
    return out.toString(StandardCharsets.UTF_8);
  }

  private static Schema schema() {
    return REGISTRY.getSchema(generatedSchema(), InputFormat.JSON);
  }

  private static List<com.networknt.schema.Error> schemaErrors(String yaml) {
    return schema().validate(yaml, InputFormat.YAML);
  }

  private static Lb4jConfig load(String yaml, String source) {
    return Lb4jConfig.loader().text(yaml, source).environment(Map.of()).load();
  }

  @Test
  void publishedSchemaIsTheGeneratedOne() throws IOException {
    String generated = generatedSchema();
    if (Boolean.getBoolean("lb4j.schema.write")) {
      Files.writeString(SCHEMA_FILE, generated, StandardCharsets.UTF_8);
    }
    assertThat(SCHEMA_FILE).as(HOW_TO_REGENERATE).isRegularFile();
    JsonNode published = Documents.json().readTree(Files.readString(SCHEMA_FILE, StandardCharsets.UTF_8));
    JsonNode expected = Documents.json().readTree(generated);
    assertThat(published).as(HOW_TO_REGENERATE).isEqualTo(expected);
  }

  @Test
  void schemaIsValidDraft202012() {
    Schema metaSchema =
        REGISTRY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    assertThat(metaSchema.validate(generatedSchema(), InputFormat.JSON))
        .as("the schema checked against the draft 2020-12 meta-schema")
        .isEmpty();
    JsonNode tree = Documents.json().readTree(generatedSchema());
    assertThat(tree.get("$schema").asString()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    assertThat(tree.get("$defs").propertyNames()).as("one definition per model record")
        .contains("Pool", "BackendConfig", "Route", "PolicyConfig", "Retries", "Admin");
  }

  @Test
  void everyExampleValidatesAgainstTheSchemaAndLoads() throws IOException {
    List<Path> examples;
    try (Stream<Path> files = Files.list(EXAMPLES)) {
      examples = files
          .filter(p -> p.getFileName().toString().matches(".*\\.(ya?ml|json)"))
          .sorted()
          .toList();
    }
    assertThat(examples).as("example files in %s", EXAMPLES.toAbsolutePath())
        .extracting(p -> p.getFileName().toString())
        .contains("full.yaml", "minimal.yaml");
    Schema schema = schema();
    for (Path example : examples) {
      String text = Files.readString(example, StandardCharsets.UTF_8);
      assertThat(schema.validate(text, InputFormat.YAML)).as("schema errors in %s", example).isEmpty();
      Lb4jConfig config = Lb4jConfig.loader().file(example).environment(Map.of()).load();
      assertThat(config.poolNames()).as("pools of %s", example).isNotEmpty();
    }
  }

  @Test
  void theValidBaseDocumentPassesBoth() {
    assertThat(schemaErrors(VALID)).isEmpty();
    assertThat(load(VALID, "base").poolNames()).containsExactly("web");
  }

  static Stream<Arguments> invalidDocuments() {
    return Stream.of(
        Arguments.of("unknown key", VALID + "    colour: blue\n", "pools.web.colour"),
        Arguments.of("misspelt top-level key", "pool:\n" + VALID.substring("pools:\n".length()), "pool"),
        Arguments.of("weight zero", VALID.replace("weight: 2", "weight: 0"),
            "pools.web.backends[0].weight"),
        Arguments.of("weight above 10000", VALID.replace("weight: 2", "weight: 10001"),
            "pools.web.backends[0].weight"),
        Arguments.of("weight of the wrong type", VALID.replace("weight: 2", "weight: [2]"),
            "pools.web.backends[0].weight"),
        Arguments.of("weight not a whole number", VALID.replace("weight: 2", "weight: heavy"),
            "pools.web.backends[0].weight"),
        Arguments.of("object expected, string found", VALID + "    healthCheck: tcp\n",
            "pools.web.healthCheck"),
        Arguments.of("string expected, list found",
            VALID.replace("- http://127.0.0.1:8082", "- uri: [http://127.0.0.1:8082]"),
            "pools.web.backends[1].uri"),
        Arguments.of("boolean expected", "admin:\n  enabled: sometimes\n" + VALID, "admin.enabled"),
        Arguments.of("bad duration", "latencyDecay: 10 seconds\n" + VALID, "latencyDecay"),
        Arguments.of("duration without a unit", "latencyDecay: 10\n" + VALID, "latencyDecay"),
        Arguments.of("unknown enum constant", VALID + "    panicMode: sometimes\n", "pools.web.panicMode"),
        Arguments.of("name that is not a name", "defaultPool: 'web pool!'\n" + VALID, "defaultPool"),
        Arguments.of("toPool and split both set",
            VALID + "routes:\n  - name: r\n    toPool: web\n    split: {web: 1}\n", "routes[0]"),
        Arguments.of("neither toPool nor split", VALID + "routes:\n  - name: r\n", "routes[0]"),
        Arguments.of("two match kinds",
            VALID + "routes:\n  - name: r\n    toPool: web\n    match: {pathExact: /a, pathPrefix: /b}\n",
            "routes[0].match"),
        Arguments.of("split weight out of range",
            VALID + "routes:\n  - name: r\n    split: {web: 0}\n", "routes[0].split.web"),
        Arguments.of("missing backends", "pools:\n  web:\n    algorithm: random\n", "pools.web.backends"),
        Arguments.of("missing pools", "latencyDecay: 10s\n", "pools"),
        Arguments.of("policy with two kinds", VALID
            + "policies:\n  - name: p\n    rateLimit: {rate: 5}\n    accessControl: {allow: [10.0.0.0/8]}\n",
            "policies[0]"),
        Arguments.of("jitter above 1", VALID + "    healthCheck: {probe: tcp, jitter: 1.5}\n",
            "pools.web.healthCheck.jitter"),
        Arguments.of("retry status out of range", "retries:\n  statuses: [42]\n" + VALID,
            "retries.statuses[0]"),
        Arguments.of("document that is a list", "- pools\n", "(document)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidDocuments")
  void schemaAndLoaderBothRefuse(String mistake, String yaml, String path) {
    assertThat(schemaErrors(yaml)).as("schema errors for %s", mistake).isNotEmpty();
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml, mistake));
    assertThat(e).as("the loader refuses %s", mistake).isNotNull();
    assertThat(e.problems()).as("problems for %s", mistake)
        .anySatisfy(p -> {
          assertThat(p.path()).isEqualTo(path);
          assertThat(p.expected()).isNotBlank();
        });
  }

  @Test
  void referenceInANumericFieldPassesTheSchemaAndIsResolvedByTheLoader() {
    String yaml = VALID.replace("weight: 2", "weight: ${WEIGHT:-7}")
        + "    panicThreshold: ${PANIC}\n"
        + "    healthCheck:\n      probe: tcp\n      jitter: ${JITTER:-0.2}\n"
        + "admin:\n  enabled: ${ADMIN_ON:-true}\n";
    assertThat(schemaErrors(yaml)).as("a ${VAR} reference stands for any value").isEmpty();

    Lb4jConfig config = Lb4jConfig.loader().text(yaml, "references")
        .environment(Map.of("PANIC", "30")).load();
    assertThat(config.admin().enabled()).isTrue();
    Lb4jConfig explicit = load(VALID.replace("weight: 2", "weight: 7")
        + "    panicThreshold: 30\n"
        + "    healthCheck:\n      probe: tcp\n      jitter: 0.2\n"
        + "admin:\n  enabled: true\n", "explicit");
    assertThat(config).as("references resolve to the values written out").isEqualTo(explicit);
  }

  @Test
  void referenceResolvingToAValueOutOfRangeIsRefusedByTheLoader() {
    String yaml = VALID.replace("weight: 2", "weight: ${WEIGHT}");
    assertThat(schemaErrors(yaml)).isEmpty();
    ConfigException e = catchThrowableOfType(ConfigException.class, () ->
        Lb4jConfig.loader().text(yaml, "env").environment(Map.of("WEIGHT", "0")).load());
    assertThat(e).isNotNull();
    assertThat(e.problems()).extracting(ConfigProblem::path)
        .contains("pools.web.backends[0].weight");
  }
}
