package dev.lb4j.config;

import dev.lb4j.config.internal.Binder;
import dev.lb4j.config.internal.Documents;
import dev.lb4j.config.internal.Mapper;
import dev.lb4j.config.internal.Model;
import dev.lb4j.config.internal.Overrides;
import dev.lb4j.config.internal.Printer;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.LoadBalancerBuilder;
import dev.lb4j.core.Ticker;
import dev.lb4j.core.policy.RetryPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A loaded, validated lb4j configuration: from a YAML or JSON file, with <code>${VAR}</code> references
 * resolved and overrides from the environment ({@code LB4J_...}) and flags ({@code --set
 * path=value}) applied, in that precedence: flags over environment over file.
 *
 * <pre>{@code
 * Lb4jConfig config = Lb4jConfig.loader().file(Path.of("lb4j.yaml")).load();
 * LoadBalancer lb = config.build();
 * }</pre>
 *
 * <p>Loading validates everything before anything is built and reports every problem at once in a
 * {@link ConfigException}, each with its path, the value found and what is allowed. Immutable and
 * thread-safe; each {@link #newBuilder()} returns a fresh builder.
 *
 * @since 0.1.0
 */
public final class Lb4jConfig {

  private final Model.Root model;
  private final String source;

  private Lb4jConfig(Model.Root model, String source) {
    this.model = model;
    this.source = source;
  }

  /**
   * Starts loading a configuration.
   *
   * @return a new loader, reading the process's environment and no flags until told otherwise
   */
  public static Loader loader() {
    return new Loader();
  }

  /**
   * Loads a file with the process's environment and no flags.
   *
   * @param file a YAML or JSON file
   * @return the configuration
   * @throws ConfigException listing every problem
   */
  public static Lb4jConfig load(Path file) {
    return loader().file(file).load();
  }

  /**
   * Parses a document with no environment and no flags.
   *
   * @param yamlOrJson the document
   * @return the configuration
   * @throws ConfigException listing every problem
   */
  public static Lb4jConfig parse(String yamlOrJson) {
    return loader().text(yamlOrJson, "the document").environment(Map.of()).load();
  }

  /**
   * A builder holding this configuration's pools, routes, policies and default pool; set a ticker,
   * scheduler or listeners on it before building, if you want.
   *
   * @return a new builder
   */
  public LoadBalancerBuilder newBuilder() {
    return builder(true);
  }

  /** The builder for {@link LoadBalancer#reconfigure}: without the running engine's settings. */
  LoadBalancerBuilder reconfiguration() {
    return builder(false);
  }

  private LoadBalancerBuilder builder(boolean engineSettings) {
    List<ConfigProblem> problems = new ArrayList<>();
    LoadBalancerBuilder builder = new Mapper(problems).loadBalancer(model, engineSettings);
    if (!problems.isEmpty()) { // validated at load; only a provider that changed since can fail
      throw new ConfigException(source, problems);
    }
    return builder;
  }

  /**
   * Builds a load balancer from this configuration.
   *
   * @return the load balancer
   */
  public LoadBalancer build() {
    return newBuilder().build();
  }

  /**
   * The retry policy of the {@code retries} section (the default policy when there is none), for a
   * load-balanced client or the proxy.
   *
   * @return a new retry policy with its own budget
   */
  public RetryPolicy retryPolicy() {
    List<ConfigProblem> problems = new ArrayList<>();
    RetryPolicy policy = new Mapper(problems).retryPolicy(model.retries(), Ticker.system());
    if (policy == null) {
      throw new ConfigException(source, problems);
    }
    return policy;
  }

  /**
   * The admin interface's settings.
   *
   * @return the settings (disabled when the file has no {@code admin} section)
   */
  public AdminSettings admin() {
    Model.Admin a = model.admin();
    if (a == null) {
      return new AdminSettings(false, AdminSettings.DEFAULT_PATH, null, null,
          AdminSettings.DEFAULT_BIND);
    }
    return new AdminSettings(Boolean.TRUE.equals(a.enabled()),
        a.path() == null ? AdminSettings.DEFAULT_PATH : a.path(), a.token(), a.port(),
        a.bind() == null ? AdminSettings.DEFAULT_BIND : a.bind());
  }

  /**
   * A standalone proxy server's listener settings (the {@code server} section, defaults filled
   * in). The library and the servlet filter do not use them.
   *
   * @return the settings
   */
  public ServerSettings server() {
    Model.Server s = model.server();
    if (s == null) {
      return new ServerSettings(ServerSettings.DEFAULT_PORT, ServerSettings.DEFAULT_BIND,
          ServerSettings.DEFAULT_TIMEOUT, ServerSettings.DEFAULT_SHUTDOWN_TIMEOUT);
    }
    return new ServerSettings(
        s.port() == null ? ServerSettings.DEFAULT_PORT : s.port(),
        s.bind() == null ? ServerSettings.DEFAULT_BIND : s.bind(),
        s.timeout() == null ? ServerSettings.DEFAULT_TIMEOUT : s.timeout(),
        s.shutdownTimeout() == null ? ServerSettings.DEFAULT_SHUTDOWN_TIMEOUT
            : s.shutdownTimeout());
  }

  /**
   * The pools' names, in file order.
   *
   * @return the names
   */
  public Set<String> poolNames() {
    return Objects.requireNonNull(model.pools()).keySet();
  }

  /**
   * Where this configuration came from (a file name, "the document", "an admin call").
   *
   * @return the source
   */
  public String source() {
    return source;
  }

  /**
   * The effective configuration as YAML: the file after <code>${VAR}</code> references and overrides,
   * with secrets (the admin token) masked. Loading it back gives the same configuration, apart from
   * the masked secrets.
   *
   * @return the YAML text
   */
  public String toYaml() {
    return Documents.yamlMapper().writeValueAsString(new Printer(false).write(model));
  }

  /**
   * The effective configuration as JSON, secrets masked (see {@link #toYaml()}).
   *
   * @return the JSON text
   */
  public String toJson() {
    return Documents.json().writerWithDefaultPrettyPrinter()
        .writeValueAsString(new Printer(false).write(model));
  }

  /**
   * What changes from this configuration to {@code next}.
   *
   * @param next the configuration that would replace this one
   * @return the changes, empty when they are the same
   */
  public ConfigDiff diff(Lb4jConfig next) {
    return ConfigDiff.between(this, next);
  }

  JsonNode document(boolean revealSecrets) {
    return new Printer(revealSecrets).write(model);
  }

  Model.Root model() {
    return model;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Lb4jConfig other && model.equals(other.model);
  }

  @Override
  public int hashCode() {
    return model.hashCode();
  }

  @Override
  public String toString() {
    return "Lb4jConfig[" + source + ", pools=" + poolNames() + "]";
  }

  /**
   * Loads a configuration: a file or text, the environment, flags.
   *
   * @since 0.1.0
   */
  public static final class Loader {
    private @Nullable String text;
    private @Nullable Path file;
    private String source = "the document";
    private Map<String, String> env = System.getenv();
    private List<String> flags = List.of();

    private Loader() {}

    /**
     * Reads this YAML or JSON file.
     *
     * @param file the file
     * @return this loader
     */
    public Loader file(Path file) {
      this.file = Objects.requireNonNull(file, "file");
      this.text = null;
      this.source = file.toString();
      return this;
    }

    /**
     * Reads this YAML or JSON text.
     *
     * @param text the document
     * @param source what to call it in messages
     * @return this loader
     */
    public Loader text(String text, String source) {
      this.text = Objects.requireNonNull(text, "text");
      this.file = null;
      this.source = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * The environment for <code>${VAR}</code> references and {@code LB4J_...} overrides (default: the
     * process's).
     *
     * @param env variable names to values
     * @return this loader
     */
    public Loader environment(Map<String, String> env) {
      this.env = Map.copyOf(env);
      return this;
    }

    /**
     * Overrides as {@code path=value}, applied after the environment's, in order: {@code
     * pools.api.algorithm=maglev}, {@code pools.api.backends[0].weight=5}.
     *
     * @param settings the settings (the part after {@code --set})
     * @return this loader
     */
    public Loader flags(List<String> settings) {
      this.flags = List.copyOf(settings);
      return this;
    }

    /**
     * Command-line arguments: each {@code --set path=value} (or {@code --set=path=value}) is an
     * override; other arguments are refused.
     *
     * @param args the arguments
     * @return this loader
     * @throws ConfigException naming an argument that is not an override
     */
    public Loader args(String... args) {
      List<String> out = new ArrayList<>();
      List<ConfigProblem> problems = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        if (args[i].equals("--set") && i + 1 < args.length) {
          out.add(args[++i]);
        } else if (args[i].startsWith("--set=")) {
          out.add(args[i].substring("--set=".length()));
        } else {
          problems.add(new ConfigProblem("argument " + (i + 1), "'" + args[i] + "'",
              "expected: --set path=value"));
        }
      }
      if (!problems.isEmpty()) {
        throw new ConfigException("the command line", problems);
      }
      return flags(out);
    }

    /**
     * Reads, resolves, overrides, validates and checks that a load balancer can be built from the
     * result (without starting one).
     *
     * @return the configuration
     * @throws ConfigException listing every problem
     */
    public Lb4jConfig load() {
      List<ConfigProblem> problems = new ArrayList<>();
      String content = text;
      if (content == null) {
        Path f = Objects.requireNonNull(file, "no file or text given");
        try {
          content = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
          throw new ConfigException(source,
              List.of(new ConfigProblem("(file)", "cannot be read: " + e, "expected: a readable"
                  + " UTF-8 YAML or JSON file")));
        }
      }
      ObjectNode document = Documents.parse(content, problems);
      if (document == null) {
        throw new ConfigException(source, problems);
      }
      Documents.interpolate(document, env, problems);
      Overrides overrides = new Overrides(problems);
      overrides.applyEnvironment(document, env);
      overrides.applyFlags(document, flags);
      Binder binder = new Binder(problems);
      Model.Root model = binder.bindRoot(document);
      if (model == null) {
        throw new ConfigException(source, problems);
      }
      check(model, binder, problems);
      if (!problems.isEmpty()) {
        throw new ConfigException(source, problems);
      }
      return new Lb4jConfig(model, source);
    }
  }

  /** Maps the model and checks the builder's cross-field rules, building and starting nothing. */
  static void check(Model.Root model, Binder binder, List<ConfigProblem> problems) {
    Mapper mapper = new Mapper(problems, binder::isComplete);
    LoadBalancerBuilder builder = mapper.loadBalancer(model);
    mapper.retryPolicy(model.retries(), Ticker.system());
    if (!problems.isEmpty()) {
      return;
    }
    try {
      builder.validate();
    } catch (IllegalArgumentException | IllegalStateException e) {
      problems.add(dev.lb4j.config.internal.Mapper.fromBuilder("(document)", e.getMessage()));
    }
  }
}
