package dev.lb4j.servlet;

import dev.lb4j.config.ConfigReloader;
import dev.lb4j.core.LoadBalancer;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The admin interface of a {@link LoadBalancer}: its state as JSON, runtime changes, the explain
 * trace, and configuration apply and rollback. It exists only where it is registered (off unless
 * configured), and every request must carry the bearer token, compared in constant time and never
 * logged.
 *
 * <p><b>Resources</b>, relative to where the servlet is mapped (say {@code /lb-admin/*}). Bodies
 * are JSON ({@code application/json}); errors are RFC 9457 problem details ({@code
 * application/problem+json}: {@code type}, {@code title}, {@code status}, {@code detail}, and
 * {@code problems} for a refused configuration). Pool names and backend ids are path segments,
 * percent-encoded where needed.
 *
 * <table>
 *   <caption>Admin resources</caption>
 *   <tr><th>method and path</th><th>answer</th></tr>
 *   <tr><td>{@code GET /}</td><td>200, the list of resources</td></tr>
 *   <tr><td>{@code GET /status}</td><td>200, {@code {"pools": {name: pool}, "policyErrors": n}};
 *       a pool has its algorithm, {@code inFlight}, {@code panic}, counters and {@code backends};
 *       a backend has {@code id}, {@code uri}, {@code weight}, {@code zone}, {@code status} (one
 *       state from every signal), {@code reason}, {@code inFlight}, counters and {@code
 *       latencyEwmaMillis}</td></tr>
 *   <tr><td>{@code GET /pools}, {@code GET /pools/{pool}}, {@code GET
 *       /pools/{pool}/backends}, {@code GET /pools/{pool}/backends/{id}}</td><td>200, parts of
 *       the status; 404 for an unknown pool or backend</td></tr>
 *   <tr><td>{@code POST /pools/{pool}/backends} with {@code {"uri": ..., "id": ..., "weight":
 *       ..., "zone": ..., "metadata": {...}}} (only {@code uri} required)</td><td>201 with the
 *       backend and a {@code Location}; 409 if the id is taken; 422 for an invalid value</td></tr>
 *   <tr><td>{@code DELETE /pools/{pool}/backends/{id}}</td><td>204; its requests in flight
 *       finish</td></tr>
 *   <tr><td>{@code POST /pools/{pool}/backends/{id}/drain}, {@code /undrain}, {@code /enable},
 *       {@code /disable}</td><td>200 with the backend's new state; idempotent</td></tr>
 *   <tr><td>{@code PUT /pools/{pool}/backends/{id}/weight} with {@code {"weight": n}}</td><td>200
 *       with the backend; 422 for a weight out of range or one the algorithm ignores</td></tr>
 *   <tr><td>{@code POST /explain} with {@code {"method", "path", "query", "host",
 *       "clientAddress", "headers": {name: value or [values]}}} (only {@code path}
 *       required)</td><td>200, {@code {"admitted", "route", "rejection", "backend", "trace":
 *       [lines]}}: what the load balancer would decide, without opening a lease or spending a
 *       rate limit</td></tr>
 *   <tr><td>{@code GET /config}</td><td>200, {@code {"source", "config"}}, the running
 *       configuration with secrets masked; 404 without a {@link ConfigReloader}</td></tr>
 *   <tr><td>{@code POST /config} with a YAML or JSON document</td><td>200 {@code {"outcome":
 *       "APPLIED" or "UNCHANGED", "diff": [{"kind", "path", "detail"}]}}; 422 listing every
 *       problem in {@code problems} ({@code path}, {@code found}, {@code expected}), the running
 *       configuration untouched</td></tr>
 *   <tr><td>{@code POST /config/rollback}</td><td>200 {@code {"outcome": "ROLLED_BACK", "diff"}};
 *       409 when there is nothing to roll back to</td></tr>
 *   <tr><td>{@code GET /events?after={seq}}</td><td>200, {@code {"capacity", "last", "events":
 *       [{"seq", "time", "pool", "type", "backend", "from", "to", "reason"}]}}: the recent health
 *       events (a bounded buffer fed by a health listener this interface registers on the load
 *       balancer and removes in {@link #destroy()}), oldest first, those after {@code seq}
 *       only</td></tr>
 *   <tr><td>{@code GET /dashboard}, {@code /dashboard/app.js}, {@code
 *       /dashboard/app.css}</td><td>the live dashboard page, its script and style (no data in
 *       them, so no token needed; the page asks for the token and reads the resources
 *       above)</td></tr>
 *   <tr><td>{@code GET /{name}...}</td><td>an {@link AdminEndpoint} registered under that
 *       name (metrics, for instance)</td></tr>
 * </table>
 *
 * <p>Without the right {@code Authorization: Bearer <token>} header every request, to any path
 * but the dashboard's three files, gets the same 401 with {@code WWW-Authenticate: Bearer realm="lb4j-admin"}, and nothing else is
 * looked at. Other statuses: 400 for a body that is not JSON, 405 (with {@code Allow}) for a
 * method a resource does not take, 413 for a body over 64 KiB (1 MiB for a configuration
 * document). Every answer carries {@code Cache-Control: no-store}. Changes are logged at INFO with
 * the caller's address (never the token). A change takes effect before its answer is sent, so the
 * next request sees it.
 *
 * <p><b>Registration.</b> Programmatically, {@code AdminServlet.builder(lb).token(token)
 * .reloader(reloader).build()} (see {@link Builder}); or in {@code web.xml} with the
 * no-argument constructor, next to a {@link LoadBalancingFilter} configured there, with one of the
 * init parameters {@value #TOKEN_PARAM} (the token) or {@value #TOKEN_ENV_PARAM} (the name of an
 * environment variable holding it): the servlet then uses the filter's load balancer and
 * configuration reloader, which the filter publishes as servlet context attributes ({@link
 * LoadBalancingFilter#LOAD_BALANCER_ATTRIBUTE}, {@link LoadBalancingFilter#RELOADER_ATTRIBUTE}).
 * Bind the admin interface to a private port or path: it changes what the load balancer does.
 *
 * @since 0.1.0
 */
public final class AdminServlet extends HttpServlet {

  private static final long serialVersionUID = 1L;

  /** The init parameter holding the bearer token: {@value}. */
  public static final String TOKEN_PARAM = "token";

  /** The init parameter naming an environment variable that holds the bearer token: {@value}. */
  public static final String TOKEN_ENV_PARAM = "token-env";

  private static final Pattern ENDPOINT_NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");

  private final transient @Nullable AdminApi preset;
  private transient volatile @Nullable AdminApi api;
  private transient @Nullable String token;

  /**
   * For {@code web.xml}: the token comes from an init parameter and the load balancer from the
   * servlet context (see the class description).
   */
  public AdminServlet() {
    this.preset = null;
  }

  private AdminServlet(Builder builder) {
    this.preset = builder.api();
    this.api = preset;
  }

  /**
   * Starts configuring an admin servlet.
   *
   * @param loadBalancer the load balancer it shows and changes
   * @return a builder
   */
  public static Builder builder(LoadBalancer loadBalancer) {
    return new Builder(loadBalancer);
  }

  /**
   * Reads the token from the init parameters when the servlet was made by the container.
   *
   * @param config the servlet's configuration
   * @throws ServletException if no valid token is configured
   */
  @Override
  public void init(ServletConfig config) throws ServletException {
    super.init(config);
    if (preset != null) {
      return;
    }
    String literal = config.getInitParameter(TOKEN_PARAM);
    String env = config.getInitParameter(TOKEN_ENV_PARAM);
    String value;
    String from;
    if (literal != null && env != null) {
      throw new ServletException("lb4j admin: init parameters " + TOKEN_PARAM + " and "
          + TOKEN_ENV_PARAM + " are both set (expected: one of them)");
    } else if (literal != null) {
      value = literal;
      from = "init parameter " + TOKEN_PARAM;
    } else if (env != null) {
      value = System.getenv(env);
      from = "environment variable " + env + " (init parameter " + TOKEN_ENV_PARAM + ")";
    } else {
      throw new ServletException("lb4j admin: no token configured (expected: init parameter "
          + TOKEN_PARAM + " or " + TOKEN_ENV_PARAM + "); the admin interface never runs open");
    }
    String problem = AdminApi.tokenProblem(value);
    if (problem != null) {
      throw new ServletException("lb4j admin: the token from " + from + " is not usable ("
          + problem + ")");
    }
    this.token = value;
  }

  /**
   * Serves an admin request.
   *
   * @param request the request
   * @param response the response
   * @throws IOException when the response cannot be written
   */
  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    AdminApi a = api();
    if (a == null) {
      AdminHttp.problem(response, 503, "about:blank", "Service Unavailable",
          "no load balancer is running in this application yet", null);
      return;
    }
    String uri = request.getRequestURI();
    String prefix = request.getContextPath() + request.getServletPath();
    String rest = uri.startsWith(prefix) ? uri.substring(prefix.length()) : "";
    a.handle(request, response, rest);
  }

  /** The API; for {@code web.xml}, built at the first request the filter's load balancer exists. */
  private @Nullable AdminApi api() {
    AdminApi a = api;
    if (a != null) {
      return a;
    }
    ServletContext context = getServletContext();
    Object lb = context.getAttribute(LoadBalancingFilter.LOAD_BALANCER_ATTRIBUTE);
    String t = token;
    if (!(lb instanceof LoadBalancer loadBalancer) || t == null) {
      return null;
    }
    synchronized (this) {
      if (api == null) {
        api = new AdminApi(loadBalancer, t,
            () -> context.getAttribute(LoadBalancingFilter.RELOADER_ATTRIBUTE)
                instanceof ConfigReloader r ? r : null,
            Map.of());
      }
      return api;
    }
  }

  /** Removes the health listener the admin interface registered on the load balancer. */
  @Override
  public void destroy() {
    AdminApi a = api;
    if (a != null) {
      a.close();
    }
    super.destroy();
  }

  @Override
  public String toString() {
    return "AdminServlet"; // never the token
  }

  /** Configures an {@link AdminServlet}. Not thread-safe. */
  public static final class Builder {
    private final LoadBalancer lb;
    private @Nullable String token;
    private @Nullable ConfigReloader reloader;
    private final Map<String, AdminEndpoint> endpoints = new LinkedHashMap<>();

    private Builder(LoadBalancer lb) {
      this.lb = Objects.requireNonNull(lb, "loadBalancer");
    }

    /**
     * The bearer token every request must carry. Required.
     *
     * @param token printable ASCII, no spaces
     * @return this builder
     * @throws IllegalArgumentException if the token is blank or has other characters (the message
     *     never shows it)
     */
    public Builder token(String token) {
      String problem = AdminApi.tokenProblem(token);
      if (problem != null) {
        throw new IllegalArgumentException("token: not usable (" + problem + ")");
      }
      this.token = token;
      return this;
    }

    /**
     * Serves {@code /config} and {@code /config/rollback} through this reloader (the one that
     * applies configuration files to the load balancer). Without one those resources answer 404.
     *
     * @param reloader the reloader
     * @return this builder
     */
    public Builder reloader(ConfigReloader reloader) {
      this.reloader = Objects.requireNonNull(reloader, "reloader");
      return this;
    }

    /**
     * Serves an extra resource under {@code /name} (and below it), behind the same token.
     *
     * @param name lower-case letters, digits and {@code -}, starting with a letter, not a
     *     built-in resource's name
     * @param endpoint the resource
     * @return this builder
     */
    public Builder endpoint(String name, AdminEndpoint endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      if (!ENDPOINT_NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("endpoint name: '" + name
            + "' (expected: 1 to 32 lower-case letters, digits or '-', starting with a letter)");
      }
      if (java.util.Set.of("status", "pools", "explain", "config", "events",
              AdminDashboard.NAME).contains(name)
          || endpoints.containsKey(name)) {
        throw new IllegalArgumentException("endpoint name: '" + name + "' is already taken");
      }
      endpoints.put(name, endpoint);
      return this;
    }

    AdminApi api() {
      String t = token;
      if (t == null) {
        throw new IllegalStateException("token: not set (expected: a bearer token; the admin"
            + " interface never runs open)");
      }
      ConfigReloader r = reloader;
      return new AdminApi(lb, t, () -> r, endpoints);
    }

    /**
     * Builds the servlet.
     *
     * @return the servlet
     * @throws IllegalStateException if no token was set
     */
    public AdminServlet build() {
      return new AdminServlet(this);
    }
  }
}
