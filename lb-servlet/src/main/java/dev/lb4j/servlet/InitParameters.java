package dev.lb4j.servlet;

import dev.lb4j.config.AdminSettings;
import dev.lb4j.config.ConfigException;
import dev.lb4j.config.ConfigReloader;
import dev.lb4j.config.Lb4jConfig;
import dev.lb4j.config.ReloadEvent;
import dev.lb4j.core.LoadBalancer;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link LoadBalancingFilter} set up from {@code web.xml} init parameters (see the filter's
 * description): a watched configuration file or a supplier class, and the options. Every wrong
 * parameter is a {@link ServletException} naming it.
 */
final class InitParameters {

  private static final System.Logger LOG = System.getLogger(LoadBalancingFilter.class.getName());

  private InitParameters() {}

  static FilterState load(FilterConfig config) throws ServletException {
    String file = config.getInitParameter(LoadBalancingFilter.CONFIG_PARAM);
    String supplier = config.getInitParameter(LoadBalancingFilter.SUPPLIER_PARAM);
    if ((file == null) == (supplier == null)) {
      throw new ServletException("lb4j filter '" + config.getFilterName() + "': "
          + (file == null ? "no init parameter " : "both init parameters ") + LoadBalancingFilter.CONFIG_PARAM
          + " and " + LoadBalancingFilter.SUPPLIER_PARAM + (file == null ? "" : " are set")
          + " (expected: exactly one: the path of a configuration file, or the name of a"
          + " Supplier<LoadBalancer> class)");
    }
    Duration timeout = LoadBalancingFilter.DEFAULT_TIMEOUT;
    String t = config.getInitParameter(LoadBalancingFilter.TIMEOUT_PARAM);
    if (t != null) {
      try {
        timeout = parseTimeout(t);
      } catch (IllegalArgumentException e) {
        throw new ServletException("lb4j filter: init parameter " + LoadBalancingFilter.TIMEOUT_PARAM + ": " + t
            + " (expected: a positive duration such as 30s, 500ms, 2m or PT30S, or none)");
      }
    }
    boolean unrouted = flag(config, LoadBalancingFilter.PROXY_UNROUTED_PARAM);
    boolean preserveHost = flag(config, LoadBalancingFilter.PRESERVE_HOST_PARAM);
    if (supplier != null) {
      LoadBalancer lb = supplied(supplier);
      LoadBalancingFilter.Builder b = LoadBalancingFilter.builder(lb).timeout(timeout);
      if (unrouted) {
        b.proxyUnrouted();
      }
      if (preserveHost) {
        b.preserveHost();
      }
      FilterState p = new FilterState(b);
      p.owned = true;
      return p;
    }
    Path path = Path.of(Objects.requireNonNull(file));
    Lb4jConfig loaded;
    try {
      loaded = Lb4jConfig.loader().file(path).environment(System.getenv()).load();
    } catch (ConfigException e) {
      throw new ServletException("lb4j filter: init parameter " + LoadBalancingFilter.CONFIG_PARAM + ": "
          + e.getMessage(), e);
    }
    AdminSettings admin = loaded.admin();
    if (admin.enabled()) {
      String problem = AdminApi.tokenProblem(admin.token());
      if (problem != null) {
        throw new ServletException("lb4j filter: " + path + ": admin.token: "
            + (admin.token() == null ? "not set" : "not usable") + " while admin.enabled is"
            + " true (" + problem + ")");
      }
      if (!admin.path().startsWith("/") || admin.path().length() < 2
          || admin.path().endsWith("/")) {
        throw new ServletException("lb4j filter: " + path + ": admin.path: " + admin.path()
            + " (expected: a path such as /lb-admin: starting with '/', not ending with one)");
      }
    }
    LoadBalancer lb = loaded.build();
    ConfigReloader reloader = ConfigReloader.of(lb, loaded);
    try {
      LoadBalancingFilter.Builder b = LoadBalancingFilter.builder(lb).timeout(timeout).reloader(reloader);
      if (unrouted) {
        b.proxyUnrouted();
      }
      if (preserveHost) {
        b.preserveHost();
      }
      FilterState p = new FilterState(b);
      reloader.addListener(p::onReload);
      reloader.addListener(event -> LOG.log(
          event.outcome() == ReloadEvent.Outcome.REJECTED
              ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
          "lb4j: configuration {0}", event));
      p.owned = true;
      if (admin.enabled()) {
        p.admin = new AdminApi(lb, Objects.requireNonNull(admin.token()), () -> reloader,
            java.util.Map.of());
        p.adminPath = admin.path();
      }
      reloader.watch(path);
      return p;
    } catch (IOException | RuntimeException e) {
      reloader.close();
      lb.close();
      throw new ServletException("lb4j filter: cannot watch " + path + " for changes: " + e, e);
    }
  }

  private static boolean flag(FilterConfig config, String name) throws ServletException {
    String value = config.getInitParameter(name);
    if (value != null && !value.equals("true") && !value.equals("false")) {
      throw new ServletException("lb4j filter: init parameter " + name + ": " + value
          + " (expected: true or false)");
    }
    return "true".equals(value);
  }

  private static LoadBalancer supplied(String className) throws ServletException {
    Object instance;
    try {
      Class<?> type = Class.forName(className, true, contextLoader());
      instance = type.getConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new ServletException("lb4j filter: init parameter " + LoadBalancingFilter.SUPPLIER_PARAM + ": "
          + className + " cannot be created (expected: a public class with a public no-argument"
          + " constructor): " + e, e);
    }
    if (!(instance instanceof Supplier<?> s)) {
      throw new ServletException("lb4j filter: init parameter " + LoadBalancingFilter.SUPPLIER_PARAM + ": "
          + className + " does not implement java.util.function.Supplier<LoadBalancer>");
    }
    Object lb = s.get();
    if (!(lb instanceof LoadBalancer loadBalancer)) {
      throw new ServletException("lb4j filter: init parameter " + LoadBalancingFilter.SUPPLIER_PARAM + ": "
          + className + ".get() returned " + (lb == null ? "null" : lb.getClass().getName())
          + " (expected: a dev.lb4j.core.LoadBalancer)");
    }
    return loadBalancer;
  }

  private static ClassLoader contextLoader() {
    ClassLoader l = Thread.currentThread().getContextClassLoader();
    return l != null ? l : LoadBalancingFilter.class.getClassLoader();
  }

  /** A duration such as {@code 30s}, {@code 500ms}, {@code 2m}, {@code PT30S}; {@code none}. */
  static @Nullable Duration parseTimeout(String text) {
    String t = text.strip().toLowerCase(Locale.ROOT);
    if (t.equals("none")) {
      return null;
    }
    Duration d;
    try {
      if (t.startsWith("pt")) {
        d = Duration.parse(t);
      } else if (t.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      } else if (t.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
      } else if (t.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
      } else {
        throw new IllegalArgumentException("no unit");
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      throw new IllegalArgumentException(text, e);
    }
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(text);
    }
    return d;
  }
}
