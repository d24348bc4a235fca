package dev.lb4j.servlet;

import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Init parameters for a filter started outside a container (to see its start-up errors). */
record TestFilterConfig(Map<String, String> params) implements FilterConfig {

  @Override
  public String getFilterName() {
    return "lb4j";
  }

  @Override
  public ServletContext getServletContext() {
    throw new UnsupportedOperationException("no container: only start-up errors are tested");
  }

  @Override
  public @Nullable String getInitParameter(String name) {
    return params.get(name);
  }

  @Override
  public Enumeration<String> getInitParameterNames() {
    return Collections.enumeration(params.keySet());
  }
}
