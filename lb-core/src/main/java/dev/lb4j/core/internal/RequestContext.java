package dev.lb4j.core.internal;

import dev.lb4j.api.HeaderChanges;
import dev.lb4j.api.Policy;
import dev.lb4j.api.RequestView;
import dev.lb4j.api.ResponseView;
import dev.lb4j.core.routing.RouteMatch;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a request reached its lease: the route that matched and the policies that admitted it (with
 * the request edits they asked for). Immutable.
 */
public final class RequestContext {

  private static final System.Logger LOG = System.getLogger("dev.lb4j.core");

  private final @Nullable RouteMatch route;
  private final Policy[] policies; // shared, never modified
  private final HeaderChanges requestHeaders;

  /**
   * Creates the context.
   *
   * @param route the route match, or null without routing
   * @param policies the policies that ran, in order (not copied: the engine never changes it)
   * @param requestHeaders their combined request edits
   */
  public RequestContext(
      @Nullable RouteMatch route, Policy[] policies, HeaderChanges requestHeaders) {
    this.route = route;
    this.policies = policies;
    this.requestHeaders = requestHeaders;
  }

  @Nullable RouteMatch route() {
    return route;
  }

  /** The policies that ran, in order; the engine's own array, not to be modified. */
  public Policy[] policies() {
    return policies;
  }

  /** The edits for a lease on {@code backendId}, engine variables filled in. */
  HeaderChanges requestHeaders(String backendId) {
    RouteMatch r = route;
    return fillIn(requestHeaders, r == null ? "" : r.rule().name(), backendId);
  }

  /**
   * Runs every policy's response step, in reverse order (the last policy to see the request is the
   * first to see the response, as the Policy contract says); a policy that throws is logged and
   * skipped.
   */
  HeaderChanges responseHeaders(RequestView forwarded, ResponseView response, String backendId) {
    if (policies.length == 0) {
      return HeaderChanges.none();
    }
    List<HeaderChanges> all = new ArrayList<>(policies.length);
    for (int i = policies.length - 1; i >= 0; i--) {
      Policy p = policies[i];
      try {
        HeaderChanges c = p.onResponse(forwarded, response);
        if (c != null && !c.isEmpty()) {
          all.add(p instanceof dev.lb4j.core.policy.HeaderTransform ? c : defuse(c));
        }
      } catch (Exception e) { // checked ones too: a policy in another JVM language
        LOG.log(Level.WARNING, "policy '" + p.name() + "' failed on a response: " + e, e);
      }
    }
    RouteMatch r = route;
    return fillIn(combine(all), r == null ? "" : r.rule().name(), backendId);
  }

  /**
   * Fills in the variables only the engine knows ({@code ${route}}, {@code ${backend_id}}) in edits
   * a {@code HeaderTransform} made. Returns {@code edits} itself when there is nothing to fill in.
   */
  public static HeaderChanges fillIn(HeaderChanges edits, String route, String backendId) {
    return mapValues(
        edits,
        v ->
            v.replace(dev.lb4j.core.policy.HeaderTransform.ROUTE, route)
                .replace(dev.lb4j.core.policy.HeaderTransform.BACKEND_ID, backendId));
  }


  /**
   * Removes the engine's placeholder marker (U+E000) from edits a policy other than {@code
   * HeaderTransform} made, so a policy that copies request values cannot make the engine reveal a
   * backend id. Returns {@code edits} itself when there is nothing to remove.
   */
  public static HeaderChanges defuse(HeaderChanges edits) {
    return mapValues(edits, v -> v.replace("\ue000", ""));
  }

  /**
   * {@code edits} with {@code f} applied to every value that holds the placeholder marker (U+E000);
   * {@code edits} itself when none does, so the common case allocates nothing.
   */
  private static HeaderChanges mapValues(
      HeaderChanges edits, java.util.function.UnaryOperator<String> f) {
    boolean any = false;
    for (HeaderChanges.Change c : edits.changes()) {
      any |= c.value().indexOf('\ue000') >= 0;
    }
    if (!any) {
      return edits;
    }
    HeaderChanges.Builder b = HeaderChanges.builder();
    for (HeaderChanges.Change c : edits.changes()) {
      append(b, c.op(), c.name(), c.value().indexOf('\ue000') >= 0 ? f.apply(c.value()) : c.value());
    }
    return b.build();
  }

  private static void append(HeaderChanges.Builder b, HeaderChanges.Op op, String name, String value) {
    switch (op) {
      case SET -> b.set(name, value);
      case ADD -> b.add(name, value);
      case REMOVE -> b.remove(name);
    }
  }


  /** Concatenates edits in order. */
  public static HeaderChanges combine(List<HeaderChanges> parts) {
    if (parts.isEmpty()) {
      return HeaderChanges.none();
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    HeaderChanges.Builder b = HeaderChanges.builder();
    for (HeaderChanges part : parts) {
      for (HeaderChanges.Change c : part.changes()) {
        append(b, c.op(), c.name(), c.value());
      }
    }
    return b.build();
  }
}
