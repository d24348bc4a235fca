package dev.lb4j.config.internal;

import dev.lb4j.api.ErrorKind;
import dev.lb4j.config.internal.Schema.DecimalRange;
import dev.lb4j.config.internal.Schema.NonEmpty;
import dev.lb4j.config.internal.Schema.Doc;
import dev.lb4j.config.internal.Schema.OneOf;
import dev.lb4j.config.internal.Schema.Pattern;
import dev.lb4j.config.internal.Schema.Range;
import dev.lb4j.config.internal.Schema.Required;
import dev.lb4j.config.internal.Schema.Secret;
import dev.lb4j.config.internal.Schema.Shorthand;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.PanicMode;
import dev.lb4j.core.policy.AccessControl;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The configuration file's model: one record per object in the file, one component per key. Absent
 * keys are {@code null} (the builder's default applies); the annotations in {@link Schema} carry the
 * rules and the descriptions.
 */
public final class Model {

  private Model() {}

  /** A pool or route name, as the engine allows them. */
  static final String NAME = "[A-Za-z0-9][A-Za-z0-9_-]{0,63}";

  static final String NAME_MEANS =
      "1 to 64 letters, digits, '_' or '-', starting with a letter or digit";

  /** The whole file. */
  @Doc("An lb4j configuration: pools of backends, the routes that choose a pool, the policies"
      + " requests pass through, retries and the admin interface.")
  public record Root(
      @Required @Doc("The pools, by name. Each has backends and the algorithm that balances them.")
          @NonEmpty @Pattern(value = NAME, means = NAME_MEANS) @Nullable Map<String, Pool> pools,
      @Doc("The pool for requests no route matches (default: the only pool, if there is one).")
          @Pattern(value = NAME, means = NAME_MEANS) @Nullable String defaultPool,
      @Doc("The routes, in order: the first that matches a request chooses its pool.")
          @Nullable List<Route> routes,
      @Doc("The policies (rate limits, header transforms, access control, your own), by name;"
          + " global ones run for every request, the others where a route names them.")
          @Nullable List<PolicyConfig> policies,
      @Doc("How clients and the proxy retry a failed attempt on another backend.")
          @Nullable Retries retries,
      @Doc("The admin interface (runtime changes, stats, explain, configuration apply/rollback).")
          @Nullable Admin admin,
      @Doc("Where a standalone proxy server listens (not used by the library or the filter).")
          @Nullable Server server,
      @Doc("How fast latency averages forget (default 10s).") @Nullable Duration latencyDecay,
      @Doc("Whether every backend keeps a latency average for stats even when its algorithm does"
          + " not read latency (default true); false saves two clock reads per request.")
          @Nullable Boolean latencyStats) {}

  /** One pool. */
  @Doc("A pool: backends and how to balance, check and protect them.")
  public record Pool(
      @Required @Doc("The backends: URIs, or objects with a uri and a weight.") @NonEmpty
          @Nullable List<BackendConfig> backends,
      @Doc("The algorithm by provider name (round_robin, weighted_round_robin, random,"
          + " weighted_random, least_request, peak_ewma, ring_hash, maglev, rendezvous,"
          + " bounded_load or your own), optionally with options.")
          @Nullable Named algorithm,
      @Doc("What hashing algorithms hash (required by ring_hash, maglev, rendezvous, bounded_load).")
          @Nullable KeySource hashKey,
      @Doc("Active health checking.") @Nullable HealthCheckConfig healthCheck,
      @Doc("Passive health checking: ejecting backends whose requests fail.")
          @Nullable Outlier outlierDetection,
      @Doc("Ramping a backend's share of traffic up after it (re)joins.")
          @Nullable SlowStartConfig slowStart,
      @Doc("Below this percentage of healthy backends, the pool panics (default 50; 0 disables).")
          @Range(min = 0, max = 100) @Nullable Integer panicThreshold,
      @Doc("What a panicking pool does (default balance_all).") @Nullable PanicMode panicMode,
      @Doc("The most requests in flight in the pool at once.")
          @Range(min = 1, max = 1_000_000_000L) @Nullable Long maxRequests,
      @Doc("The most requests in flight to one backend at once.")
          @Range(min = 1, max = 1_000_000) @Nullable Integer maxRequestsPerBackend) {}

  /** One backend. */
  @Shorthand("uri")
  @Doc("A backend: a URI such as http://10.0.0.1:8080, or an object.")
  public record BackendConfig(
      @Required @Doc("The backend's base URI: http or https, a host and a port.") @Nullable String uri,
      @Doc("The backend's id in stats and admin calls (default: host:port).") @Nullable String id,
      @Doc("The relative weight (default 1).") @Range(min = 1, max = 10_000) @Nullable Integer weight,
      @Doc("The zone or rack it runs in.") @Nullable String zone) {}

  /** Something chosen by provider name, with string options. */
  @Shorthand("name")
  @Doc("A provider by name, or an object with the name and its options.")
  public record Named(
      @Required @Doc("The provider's name.") @Nullable String name,
      @Doc("The provider's options, names to values.") @Nullable Map<String, String> options) {}

  /** A hash or rate-limit key source. */
  @OneOf({"header", "cookie", "queryParameter", "clientAddress", "path"})
  @Doc("Where a key comes from: one of header, cookie, queryParameter, clientAddress, path.")
  public record KeySource(
      @Doc("A request header's value.") @Nullable String header,
      @Doc("A cookie's value.") @Nullable String cookie,
      @Doc("A query parameter's value.") @Nullable String queryParameter,
      @Doc("The client's address (true).") @Nullable Boolean clientAddress,
      @Doc("The request path (true).") @Nullable Boolean path) {}

  /** Active health checking. */
  @Doc("Active health checking: a probe every interval.")
  public record HealthCheckConfig(
      @Required @Doc("The probe by provider name: tcp, http (with lb-jdk-httpclient) or your own.")
          @Nullable Named probe,
      @Doc("Time between probes (default 2s).") @Nullable Duration interval,
      @Doc("How long a probe may take (default 1s).") @Nullable Duration timeout,
      @Doc("How much each interval varies, as a fraction (default 0.1).")
          @DecimalRange(min = 0, max = 1) @Nullable Double jitter,
      @Doc("Failed probes in a row that make a backend unhealthy (default 3).")
          @Range(min = 1, max = 1000) @Nullable Integer unhealthyThreshold,
      @Doc("Passed probes in a row that make it healthy again (default 2).")
          @Range(min = 1, max = 1000) @Nullable Integer healthyThreshold,
      @Doc("A new backend's state before its first probe (default assume_healthy).")
          HealthCheck.@Nullable InitialState initialState) {}

  /** Passive health checking. */
  @Doc("Outlier detection: ejecting backends whose requests fail.")
  public record Outlier(
      @Doc("Failures in a row that eject a backend (default 5).")
          @Range(min = 1, max = 1_000_000) @Nullable Integer consecutiveFailures,
      @Doc("Response statuses that count as failures (default: 5xx).")
          @Range(min = 100, max = 599) @Nullable List<Integer> failureStatuses,
      @Doc("Only 502, 503 and 504 count as failures.") @Nullable Boolean gatewayFailuresOnly,
      @Doc("Transport errors that count as failures.") @Nullable List<ErrorKind> failureErrors,
      @Doc("Time between failure-percentage sweeps (default 10s).") @Nullable Duration interval,
      @Doc("The first ejection's length (default 30s); later ones grow.")
          @Nullable Duration baseEjectionTime,
      @Doc("The longest ejection (default 5m).") @Nullable Duration maxEjectionTime,
      @Doc("The most backends ejected at once, as a percentage (default 10).")
          @Range(min = 0, max = 100) @Nullable Integer maxEjectionPercent,
      @Doc("Ejecting backends whose failure percentage is above a threshold.")
          @Nullable FailurePercentage failurePercentage) {}

  /** Failure-percentage ejection. */
  @Doc("Failure-percentage ejection.")
  public record FailurePercentage(
      @Required @Doc("The failure percentage that ejects.") @Range(min = 0, max = 100)
          @Nullable Integer threshold,
      @Required @Doc("Requests a backend needs in an interval to be judged.")
          @Range(min = 1, max = Integer.MAX_VALUE) @Nullable Integer minimumRequests,
      @Required @Doc("Backends with enough requests needed before any is judged.")
          @Range(min = 1, max = Integer.MAX_VALUE) @Nullable Integer minimumBackends) {}

  /** Slow start. */
  @Doc("Slow start: a (re)joining backend's weight ramps up over a window.")
  public record SlowStartConfig(
      @Required @Doc("The ramp's length.") @Nullable Duration window,
      @Doc("The ramp's curve: 1.0 is linear (default).") @DecimalRange(min = 0.01, max = 100)
          @Nullable Double aggression,
      @Doc("The weight a backend starts at, in percent (default 10).") @Range(min = 1, max = 100)
          @Nullable Integer minWeightPercent) {}

  /** A route. */
  @OneOf(value = {"toPool", "split"})
  @Doc("A route: what requests it matches and the pool (or weighted pools) it sends them to.")
  public record Route(
      @Required @Doc("The route's name, in explain traces and stats.")
          @Pattern(value = NAME, means = NAME_MEANS) @Nullable String name,
      @Doc("What the route matches (default: every request).") @Nullable Match match,
      @Doc("The pool it sends requests to.") @Pattern(value = NAME, means = NAME_MEANS)
          @Nullable String toPool,
      @Doc("Pools with weights, for canaries: {stable: 90, canary: 10}.") @Range(min = 1, max = 10_000)
          @NonEmpty @Pattern(value = NAME, means = NAME_MEANS) @Nullable Map<String, Integer> split,
      @Doc("Keeps a key (a user, a session) on one pool of a split.") @Nullable KeySource sticky,
      @Doc("Removes the matched path prefix before forwarding.") @Nullable Boolean stripPrefix,
      @Doc("Replaces the matched path prefix with this before forwarding.")
          @Nullable String replacePrefix,
      @Doc("The names of the policies this route runs, after the global ones.")
          @Nullable List<String> policies) {}

  /** What a route matches. */
  @OneOf(value = {"pathExact", "pathPrefix", "pathGlob", "pathRegex"}, required = false)
  @Doc("A route's match: every condition given must hold.")
  public record Match(
      @Doc("The path, exactly.") @Nullable String pathExact,
      @Doc("A path prefix, matched character by character (/api also matches /apis; end it"
          + " with / for whole segments).") @Nullable String pathPrefix,
      @Doc("A path glob: * within a segment, ** across segments.") @Nullable String pathGlob,
      @Doc("A path regular expression (linear-time: no backreferences or lookaround).")
          @Nullable String pathRegex,
      @Doc("Host names; *.example.com matches subdomains.") @Nullable List<String> hosts,
      @Doc("HTTP methods.") @Nullable List<String> methods,
      @Doc("Header conditions.") @Nullable List<ValueCondition> headers,
      @Doc("Query parameter conditions.") @Nullable List<ValueCondition> queryParameters,
      @Doc("Cookie conditions.") @Nullable List<ValueCondition> cookies) {}

  /** A header, query parameter or cookie condition. */
  @OneOf({"exact", "regex", "present", "absent"})
  @Doc("A condition on a named value: exact, regex, present or absent.")
  public record ValueCondition(
      @Required @Doc("The header, parameter or cookie name.") @Nullable String name,
      @Doc("The value, exactly.") @Nullable String exact,
      @Doc("A regular expression the whole value matches.") @Nullable String regex,
      @Doc("Present (true).") @Nullable Boolean present,
      @Doc("Absent (true; headers only).") @Nullable Boolean absent) {}

  /** A policy. */
  @OneOf({"rateLimit", "headerTransform", "accessControl", "provider"})
  @Doc("A policy: a name and exactly one kind.")
  public record PolicyConfig(
      @Required @Doc("The policy's name, which routes refer to.")
          @Pattern(value = NAME, means = NAME_MEANS) @Nullable String name,
      @Doc("Runs for every request, before the route's own policies.") @Nullable Boolean global,
      @Doc("A rate limit.") @Nullable RateLimitConfig rateLimit,
      @Doc("Request and response header changes.") @Nullable HeaderTransformConfig headerTransform,
      @Doc("Allow and deny lists of client addresses and methods.")
          @Nullable AccessControlConfig accessControl,
      @Doc("Your own policy, by PolicyProvider name, with its options.") @Nullable Named provider) {}

  /** A rate limit. */
  @Doc("A rate limit: rate permits per period, with a burst, optionally per key.")
  public record RateLimitConfig(
      @Required @Doc("Permits per period.") @Range(min = 1, max = 1_000_000_000L) @Nullable Long rate,
      @Doc("The period (default 1s).") @Nullable Duration period,
      @Doc("Permits allowed at once above the rate (default: the rate).")
          @Range(min = 1, max = 1_000_000_000L) @Nullable Integer burst,
      @Doc("Limits each key (a client, a header) separately.") @Nullable KeySource perKey,
      @Doc("The most keys tracked at once.") @Range(min = 16, max = 16_777_216)
          @Nullable Integer maxKeys) {}

  /** Header changes. */
  @Doc("Header changes on requests and responses.")
  public record HeaderTransformConfig(
      @Doc("Request headers to set (replacing).") @Nullable Map<String, String> setRequestHeaders,
      @Doc("Request headers to add.") @Nullable Map<String, String> addRequestHeaders,
      @Doc("Request headers to remove.") @Nullable List<String> removeRequestHeaders,
      @Doc("Response headers to set (replacing).") @Nullable Map<String, String> setResponseHeaders,
      @Doc("Response headers to add.") @Nullable Map<String, String> addResponseHeaders,
      @Doc("Response headers to remove.") @Nullable List<String> removeResponseHeaders,
      @Doc("A header that gets a request id when the request has none.") @Nullable String requestId) {}

  /** Access control. */
  @Doc("Access control by client address (CIDR lists) and method.")
  public record AccessControlConfig(
      @Doc("CIDRs allowed (default: all).") @Nullable List<String> allow,
      @Doc("CIDRs denied.") @Nullable List<String> deny,
      @Doc("Proxies whose forwarded-for header is believed.") @Nullable List<String> trustedProxies,
      @Doc("Which forwarded header to read (default x_forwarded_for).")
          AccessControl.@Nullable ForwardedHeader forwardedHeader,
      @Doc("HTTP methods allowed (default: all).") @Nullable List<String> methods) {}

  /** Retries. */
  @Doc("Retries: safe by default (idempotent methods, a budget, never the same backend twice).")
  public record Retries(
      @Doc("Attempts in all, the first included (default 3).") @Range(min = 1, max = 10)
          @Nullable Integer maxAttempts,
      @Doc("Methods that may be retried (default: the idempotent ones).")
          @Nullable List<String> methods,
      @Doc("Statuses that are retried (default 502, 503, 504).") @Range(min = 100, max = 599)
          @Nullable List<Integer> statuses,
      @Doc("Transport errors that are retried.") @Nullable List<ErrorKind> errors,
      @Doc("Each attempt's own timeout.") @Nullable Duration perTryTimeout,
      @Doc("The whole request's timeout, retries included.") @Nullable Duration totalTimeout,
      @Doc("Exponential back-off between attempts.") @Nullable Backoff backoff,
      @Doc("Retries as a share of requests.") @Nullable Budget budget,
      @Doc("Gives each try a share of the request's timeout (default true).")
          @Nullable Boolean splitRequestTimeout,
      @Doc("Also retries non-idempotent requests that never reached a backend.")
          @Nullable Boolean retryNonIdempotentOnConnectFailure) {}

  /** Back-off. */
  @Doc("Exponential back-off with jitter.")
  public record Backoff(
      @Required @Doc("The first delay.") @Nullable Duration base,
      @Required @Doc("The longest delay.") @Nullable Duration max) {}

  /** A retry budget. */
  @Doc("A retry budget: retries may be this percentage of requests, plus a floor per second.")
  public record Budget(
      @Required @Doc("Retries per 100 requests.") @DecimalRange(min = 0, max = 1000)
          @Nullable Double percent,
      @Doc("Retries always allowed per second (default 10).") @Range(min = 0, max = 1_000_000)
          @Nullable Integer minPerSecond,
      @Doc("The window requests are counted over (default 10s).") @Nullable Duration window) {}

  /** The admin interface. */
  @Doc("The admin interface.")
  public record Admin(
      @Doc("Whether it is served (default false).") @Nullable Boolean enabled,
      @Doc("Its path prefix (default /lb-admin).") @Nullable String path,
      @Doc("The bearer token admin calls must carry; printed masked.") @Secret
          @Pattern(value = "\\S.*", means = "a non-empty token, not starting with a space")
          @Nullable String token,
      @Doc("A standalone proxy server serves it on this port of its own (0: any free port);"
          + " without it, it is served on the traffic port under path.")
          @Range(min = 0, max = 65535) @Nullable Integer port,
      @Doc("The address that port binds (default 127.0.0.1: the admin interface stays on the"
          + " machine).") @Nullable String bind) {}

  /** A standalone proxy server's listener. */
  @Doc("A standalone proxy server's traffic listener.")
  public record Server(
      @Doc("The traffic port (default 8080; 0: any free port).") @Range(min = 0, max = 65535)
          @Nullable Integer port,
      @Doc("The address it binds (default 0.0.0.0: every interface).") @Nullable String bind,
      @Doc("How long a request may take until its backend's response head arrives (default"
          + " 30s).") @Nullable Duration timeout,
      @Doc("On shutdown, how long requests in flight may take to finish (default 30s).")
          @Nullable Duration shutdownTimeout) {}
}
