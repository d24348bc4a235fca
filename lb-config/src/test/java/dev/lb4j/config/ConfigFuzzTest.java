package dev.lb4j.config;

import static org.assertj.core.api.Assertions.fail;

import dev.lb4j.config.internal.Documents;
import dev.lb4j.config.internal.Model;
import dev.lb4j.config.internal.Printer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Loading never fails in an unexpected way: a few thousand mutations (1 to 6 in each of 1,000
 * documents) of {@code examples/full.yaml} (values of the wrong type, dropped and unknown keys,
 * numbers out of range, empty, long and unusual strings, near-duplicate keys) and raw garbage (random bytes, truncated documents, deep
 * nesting, alias bombs, tabs) each give either a configuration or a {@link ConfigException} whose
 * problems say where and what was expected. Every configuration that loads prints, with {@link
 * Lb4jConfig#toYaml()}, a document that loads back to an equal configuration (the masked admin
 * token aside).
 *
 * <p>Reproducible: the seed is fixed ({@code -Dlb4j.fuzz.seed=...} picks another, {@code
 * -Dlb4j.fuzz.iterations=...} sets the number of mutated documents); every failure names the
 * seed, the case number, the mutations and the input. The number of cases is what fits in about
 * 15 seconds on two cores.
 */
class ConfigFuzzTest {

  private static final long SEED = Long.getLong("lb4j.fuzz.seed", 0x1b4_c0f_1L);
  private static final int TREE_CASES = Integer.getInteger("lb4j.fuzz.iterations", 1_000);
  private static final int RAW_CASES = 500;
  private static final int MAX_REPORTED = 12;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BigInteger TWO_TO_63 = BigInteger.ONE.shiftLeft(63);

  private static String fullText = "";
  private static ObjectNode full = NODES.objectNode();

  /** Distinct failures by kind (exception class and where it was thrown), first input of each. */
  private final Map<String, String> failures = new LinkedHashMap<>();
  private int failureCount;

  @BeforeAll
  static void readFullExample() throws IOException {
    fullText = Files.readString(Path.of("examples", "full.yaml"), StandardCharsets.UTF_8);
    full = (ObjectNode) Documents.yamlMapper().readTree(fullText);
  }

  @Test
  void mutatedDocumentsLoadOrReportTheirProblems() {
    Random random = new Random(SEED);
    for (int i = 0; i < TREE_CASES; i++) {
      ObjectNode doc = full.deepCopy();
      StringBuilder what = new StringBuilder();
      int mutations = 1 + random.nextInt(6);
      for (int m = 0; m < mutations; m++) {
        what.append(m == 0 ? "" : "; ").append(mutate(doc, random));
      }
      String text = random.nextInt(4) == 0
          ? Documents.json().writeValueAsString(doc)
          : Documents.yamlMapper().writeValueAsString(doc);
      check("tree case " + i + ": " + what, text);
    }
    report();
  }

  @Test
  void garbageLoadsOrReportsItsProblems() {
    Random random = new Random(SEED ^ 0x5eed);
    for (int i = 0; i < RAW_CASES; i++) {
      int kind = random.nextInt(16) % 8; // nesting (2) is the slowest to parse: half as often
      if (kind == 2 && random.nextBoolean()) {
        kind = 1;
      }
      String what;
      String text;
      switch (kind) {
        case 0 -> {
          byte[] bytes = new byte[random.nextInt(300)];
          random.nextBytes(bytes);
          what = "random bytes (" + bytes.length + ")";
          text = new String(bytes, random.nextBoolean() ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        }
        case 1 -> {
          int cut = random.nextInt(fullText.length());
          what = "full.yaml truncated at " + cut;
          text = fullText.substring(0, cut);
        }
        case 2 -> {
          int depth = 1000 + random.nextInt(3000);
          String[] opens = {"[", "{a: ", "- ", "{\"a\":", "a:\n "};
          String open = opens[random.nextInt(opens.length)];
          what = "nesting '" + open + "' x " + depth;
          text = open.repeat(depth) + (random.nextBoolean() ? "1" : "");
        }
        case 3 -> {
          int levels = 2 + random.nextInt(5);
          int fanOut = 2 + random.nextInt(5);
          what = "alias bomb " + levels + " levels x " + fanOut;
          text = aliasBomb(levels, fanOut, random.nextBoolean());
        }
        case 4 -> {
          what = "tabs for indentation";
          text = tabs(random);
        }
        case 5 -> {
          int at = random.nextInt(fullText.length());
          char c = "\t\u0000\"'{}[]:&*!|>%@`#,-?\n\u00a0\ufeff\ud800".charAt(random.nextInt(21));
          what = "char U+" + Integer.toHexString(c) + " inserted at " + at;
          text = fullText.substring(0, at) + c + fullText.substring(at);
        }
        case 6 -> {
          String line = pickLine(random);
          what = "line repeated: " + line.strip();
          text = fullText.replace(line, line + line);
        }
        default -> {
          String[] small = {"", "---", "~", "null", "[]", "42", "'pools'", "pools:", "pools: ~",
              "pools: {}", "pools: []", "pools:\n  web: ~", "pools:\n  web:\n    backends: ~",
              "{}", "--- |\n  x", "%YAML 1.1\n---\npools: {}", "!!binary aGk=", "pools: !!set {a}",
              "? [a]\n: b", "pools:\n  ? [a, b]\n  : {backends: [http://a:1]}", "...", "\ufeffpools: {}",
              "pools:\n  web:\n    backends: [http://127.0.0.1:8081]\n---\nroutes: []"};
          text = small[random.nextInt(small.length)];
          what = "small document";
        }
      }
      check("raw case " + i + ": " + what, text);
    }
    report();
  }

  /** Inputs found by hand or by earlier runs, checked the same way on every run. */
  @Test
  void knownTrickyInputsLoadOrReportTheirProblems() {
    String pool = "pools:\n  web:\n    backends: [http://127.0.0.1:8081]\n";
    String[] inputs = {
        pool + "    panicThreshold: .inf\n",
        pool + "    panicThreshold: .nan\n",
        pool + "    maxRequestsPerBackend: 1e400\n",
        pool + "    maxRequests: 9223372036854775808\n",
        "latencyDecay: " + "999999999999d".repeat(120) + "\n" + pool,
        "latencyDecay: 999999999999d\n" + pool,
        "pools:\n  web:\n    backends: [{uri: http://127.0.0.1:8081, zone: \"$${X}\"}]\n",
        "pools:\n  web:\n    backends: [{uri: http://127.0.0.1:8081, zone: \"1e5\"}]\n",
        "pools:\n  web:\n    backends: [{uri: http://127.0.0.1:8081, zone: \"0x10\"}]\n",
        "routes: [{name: r, toPool: web, match: {pathRegex: '('}}]\n" + pool,
        "routes: [{name: r, toPool: web, stripPrefix: true}]\n" + pool,
        "policies: [{name: p, global: true, accessControl: {allow: ['']}}]\n" + pool,
        "a: &a [1, 2]\nb: *a\n" + pool,
        "pools:\n  web:\n    backends: &b [http://127.0.0.1:8081]\n  api:\n    backends: *b\n",
    };
    for (int i = 0; i < inputs.length; i++) {
      check("known input " + i, inputs[i]);
    }
    report();
  }

  private static String aliasBomb(int levels, int fanOut, boolean inPool) {
    StringBuilder out = new StringBuilder();
    out.append(inPool ? "pools:\n  web:\n    backends: &l0 [http://127.0.0.1:8081]\n" : "l0: &l0 [lol]\n");
    for (int l = 1; l <= levels; l++) {
      out.append(inPool ? "    zz" : "l").append(l).append(": &l").append(l).append(" [");
      for (int k = 0; k < fanOut; k++) {
        out.append(k == 0 ? "" : ", ").append("*l").append(l - 1);
      }
      out.append("]\n");
    }
    return out.toString();
  }

  private static String tabs(Random random) {
    StringBuilder out = new StringBuilder();
    for (String line : fullText.lines().toList()) {
      int indent = 0;
      while (indent < line.length() && line.charAt(indent) == ' ') {
        indent++;
      }
      boolean swap = indent > 0 && random.nextInt(3) == 0;
      out.append(swap ? "\t".repeat((indent + 1) / 2) : line.substring(0, indent))
          .append(line.substring(indent)).append('\n');
    }
    return out.toString();
  }

  private static String pickLine(Random random) {
    List<String> lines = fullText.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    return lines.get(random.nextInt(lines.size())) + "\n";
  }

  /** Where a value sits: an object's key or an array's index. */
  private record Slot(JsonNode parent, String key, int index, String path) {
    JsonNode value() {
      return parent instanceof ObjectNode o ? o.get(key) : parent.get(index);
    }

    void set(JsonNode value) {
      if (parent instanceof ObjectNode o) {
        o.set(key, value);
      } else {
        ((ArrayNode) parent).set(index, value);
      }
    }

    void remove() {
      if (parent instanceof ObjectNode o) {
        o.remove(key);
      } else {
        ((ArrayNode) parent).remove(index);
      }
    }
  }

  private static void slots(JsonNode node, String path, List<Slot> out) {
    if (node instanceof ObjectNode o) {
      for (String key : List.copyOf(o.propertyNames())) {
        String at = path.isEmpty() ? key : path + "." + key;
        out.add(new Slot(o, key, -1, at));
        slots(o.get(key), at, out);
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        String at = path + "[" + i + "]";
        out.add(new Slot(a, "", i, at));
        slots(a.get(i), at, out);
      }
    }
  }

  private static List<ObjectNode> objects(JsonNode node, List<ObjectNode> out) {
    if (node instanceof ObjectNode o) {
      out.add(o);
    }
    for (JsonNode child : node.values()) {
      objects(child, out);
    }
    return out;
  }

  /** Applies one random mutation and says what it did. */
  private static String mutate(ObjectNode doc, Random random) {
    List<Slot> slots = new ArrayList<>();
    slots(doc, "", slots);
    if (slots.isEmpty()) {
      doc.set("pools", randomValue(random));
      return "pools = random value on an empty document";
    }
    Slot slot = slots.get(random.nextInt(slots.size()));
    int kind = random.nextInt(12);
    switch (kind) {
      case 10, 11 -> {
        List<Slot> strings = slots.stream().filter(s -> s.value().isString()).toList();
        Slot target = strings.isEmpty() ? slot : strings.get(random.nextInt(strings.size()));
        JsonNode value = NODES.stringNode(randomString(random));
        target.set(value);
        return target.path() + " = " + abbreviate(value.toString());
      }
      case 0, 1 -> {
        JsonNode value = randomValue(random);
        slot.set(value);
        return slot.path() + " = " + abbreviate(value.toString());
      }
      case 2 -> {
        slot.remove();
        return "removed " + slot.path();
      }
      case 3 -> {
        List<ObjectNode> objects = objects(doc, new ArrayList<>());
        ObjectNode target = objects.get(random.nextInt(objects.size()));
        String key = randomKey(random);
        target.set(key, randomValue(random));
        return "added key '" + abbreviate(key) + "' to an object";
      }
      case 4 -> {
        JsonNode value = outOfRange(random);
        slot.set(value);
        return slot.path() + " = " + abbreviate(value.toString());
      }
      case 5 -> {
        JsonNode value = NODES.stringNode(randomString(random));
        slot.set(value);
        return slot.path() + " = " + abbreviate(value.toString());
      }
      case 6 -> {
        if (!(slot.parent() instanceof ObjectNode o)) {
          slot.set(NODES.stringNode(""));
          return slot.path() + " = ''";
        }
        String near = nearDuplicate(slot.key(), random);
        JsonNode value = o.get(slot.key());
        if (random.nextBoolean()) {
          o.remove(slot.key());
        }
        o.set(near, value);
        return "key at " + slot.path() + " also (or instead) written '" + abbreviate(near) + "'";
      }
      case 7 -> {
        Slot other = slots.get(random.nextInt(slots.size()));
        JsonNode value = other.value().deepCopy();
        slot.set(value);
        return slot.path() + " = copy of " + other.path();
      }
      case 8 -> {
        JsonNode value = slot.value();
        JsonNode wrapped = random.nextBoolean()
            ? NODES.arrayNode().add(value.deepCopy())
            : value.isContainer() && value.size() > 0 ? value.values().iterator().next().deepCopy()
            : NODES.objectNode().set("value", value.deepCopy());
        slot.set(wrapped);
        return slot.path() + " wrapped or unwrapped";
      }
      default -> {
        String[] durations = {"0", "0s", "1ns", "999999999999d", "999999999999d".repeat(120),
            "1h1h1h", "5S", " 5s ", "-5s", "5", "5 s", "1.5s", "PT5S", "9223372036854775807ns",
            "999999999999ms", "1m30s", "30s", "1d"};
        String d = durations[random.nextInt(durations.length)];
        slot.set(NODES.stringNode(d));
        return slot.path() + " = '" + abbreviate(d) + "'";
      }
    }
  }

  private static JsonNode randomValue(Random random) {
    return switch (random.nextInt(9)) {
      case 0 -> NODES.stringNode(randomString(random));
      case 1 -> NODES.numberNode(random.nextInt(200) - 50);
      case 2 -> NODES.numberNode(random.nextDouble() * 3);
      case 3 -> NODES.booleanNode(random.nextBoolean());
      case 4 -> NODES.nullNode();
      case 5 -> NODES.arrayNode();
      case 6 -> NODES.arrayNode().add(NODES.stringNode("http://10.9.9.9:80")).add(NODES.numberNode(3));
      case 7 -> NODES.objectNode();
      default -> NODES.objectNode().put("name", "random").put("uri", "http://10.9.9.9:80");
    };
  }

  private static JsonNode outOfRange(Random random) {
    return switch (random.nextInt(12)) {
      case 0 -> NODES.numberNode(-1);
      case 1 -> NODES.numberNode(0);
      case 2 -> NODES.numberNode(Integer.MAX_VALUE + 1L);
      case 3 -> NODES.numberNode(Long.MAX_VALUE);
      case 4 -> NODES.numberNode(TWO_TO_63);
      case 5 -> NODES.numberNode(TWO_TO_63.negate().subtract(BigInteger.ONE));
      case 6 -> NODES.numberNode(BigInteger.TEN.pow(40));
      case 7 -> NODES.numberNode(-0.5);
      case 8 -> NODES.numberNode(1e300);
      case 9 -> NODES.numberNode(random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NaN);
      case 10 -> NODES.numberNode(1.5);
      default -> NODES.stringNode(String.valueOf(Long.MIN_VALUE));
    };
  }

  private static String randomString(Random random) {
    return switch (random.nextInt(10)) {
      case 0 -> "";
      case 1 -> " ";
      case 2 -> "x".repeat(10_000 + random.nextInt(60_000));
      case 3 -> "\u00e9t\u00e9 \u65e5\u672c \ud83d\ude00 \u202e\u0645\u0631\u062d\u0628\u0627 \u0000";
      case 4 -> new String[] {"${", "$${X}", "${X:-1}", "${lower.case}", "${X", "$", "${X:-}"}[
          random.nextInt(7)];
      case 5 -> new String[] {"true", "null", "~", "1e5", "0x10", "007", ".inf", "-", "yes", "1_000"}[
          random.nextInt(10)];
      case 6 -> "http://" + "a".repeat(random.nextInt(300)) + ":" + random.nextInt(70_000);
      case 7 -> "line\nbreak\ttab\r";
      case 8 -> new String[] {"api", "sessions", "canary", "login", "tcp", "round_robin"}[random.nextInt(6)];
      default -> {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(20);
        for (int k = 0; k < n; k++) {
          s.appendCodePoint(1 + random.nextInt(0x2FFF));
        }
        yield s.toString();
      }
    };
  }

  private static String randomKey(Random random) {
    String[] keys = {"unknown", "", " ", "Pools", "pools ", "weigth", "$ref", "<<", "\u00e9", "a.b",
        "backends[0]", "x".repeat(300)};
    return keys[random.nextInt(keys.length)];
  }

  private static String nearDuplicate(String key, Random random) {
    return switch (random.nextInt(5)) {
      case 0 -> key.toUpperCase(java.util.Locale.ROOT);
      case 1 -> key + " ";
      case 2 -> "\u200b" + key;
      case 3 -> key.isEmpty() ? "_" : key.substring(0, key.length() - 1);
      default -> key + key;
    };
  }

  private static String abbreviate(String text) {
    String t = text.replace("\n", "\\n");
    return t.length() > 160 ? t.substring(0, 160) + "... (" + t.length() + " chars)" : t;
  }

  /** Loads {@code text}; anything but a configuration or a well-formed ConfigException is recorded. */
  private void check(String what, String text) {
    Lb4jConfig config;
    try {
      config = Lb4jConfig.loader().text(text, "fuzz").environment(Map.of()).load();
    } catch (ConfigException e) {
      boolean located = e.problems().stream()
          .anyMatch(p -> !p.path().isBlank() && !p.expected().isBlank());
      if (!located) {
        record(what, text, "ConfigException without a problem that has a path and an expected text"
            + (e.problems().isEmpty() ? "" : " (at " + e.problems().get(0).path().replaceAll("\\d+", "N")
            + ")"), e.problems().toString());
      }
      return;
    } catch (Throwable t) { // anything else, errors included, is the bug this test looks for
      record(what, text, t.getClass().getName() + " at " + origin(t), stackTrace(t));
      return;
    }
    String yaml;
    try {
      yaml = config.toYaml();
    } catch (Throwable t) {
      record(what, text, "toYaml() threw " + t.getClass().getName() + " at " + origin(t), stackTrace(t));
      return;
    }
    try {
      Lb4jConfig again = Lb4jConfig.loader().text(yaml, "printed").environment(Map.of()).load();
      if (!again.model().equals(masked(config.model()))) {
        record(what, text, "toYaml() loads back to a different configuration",
            "printed:\n" + abbreviate(yaml) + "\nfirst:  " + config.model() + "\nsecond: " + again.model());
      }
    } catch (Throwable t) {
      String first = t instanceof ConfigException ce && !ce.problems().isEmpty()
          ? ce.problems().get(0).expected() : String.valueOf(t.getMessage());
      record(what, text, "toYaml() does not load back: " + t.getClass().getName() + ": " + first,
          t.getMessage() + "\nprinted:\n" + abbreviate(yaml));
    }
  }

  /** The model with the admin token as {@link Lb4jConfig#toYaml()} prints it. */
  private static Model.Root masked(Model.Root m) {
    Model.Admin a = m.admin();
    if (a == null || a.token() == null) {
      return m;
    }
    return new Model.Root(m.pools(), m.defaultPool(), m.routes(), m.policies(), m.retries(),
        new Model.Admin(a.enabled(), a.path(), Printer.MASK, a.port(), a.bind()), m.server(),
        m.latencyDecay(), m.latencyStats());
  }

  private static String origin(Throwable t) {
    StackTraceElement[] trace = t.getStackTrace();
    for (StackTraceElement e : trace) {
      if (e.getClassName().startsWith("dev.lb4j.")) {
        return e.getClassName() + "." + e.getMethodName() + ":" + e.getLineNumber();
      }
    }
    return trace.length == 0 ? "?" : trace[0].toString();
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    String s = out.toString();
    return s.length() > 2000 ? s.substring(0, 2000) + "..." : s;
  }

  private void record(String what, String input, String kind, String detail) {
    failureCount++;
    String key = kind.length() > 200 ? kind.substring(0, 200) : kind;
    if (failures.size() < MAX_REPORTED && !failures.containsKey(key)) {
      failures.put(key, "seed " + SEED + ", " + what + "\n  input: " + abbreviate(input)
          + "\n  " + kind + "\n  " + detail.replace("\n", "\n  "));
    }
  }

  private void report() {
    if (failureCount > 0) {
      fail(failureCount + " inputs broke the loader (seed " + SEED + "); the first of each kind:\n\n"
          + String.join("\n\n", failures.values()));
    }
  }
}
