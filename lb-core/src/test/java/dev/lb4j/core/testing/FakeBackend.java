package dev.lb4j.core.testing;

import dev.lb4j.api.Backend;
import java.net.URI;
import java.util.Map;

/**
 * A backend the engine did not make: a chosen id, weight and URI, idle (nothing in flight, no
 * latency data), no zone and no metadata. For tests that drive a picker directly or hand the engine
 * a backend from outside its snapshot.
 */
public final class FakeBackend implements Backend {

  private final String id;
  private final int weight;
  private final URI uri;

  public FakeBackend(String id, int weight, URI uri) {
    this.id = id;
    this.weight = weight;
    this.uri = uri;
  }

  /** Backend {@code id} of weight {@code weight} at a URI nobody listens on. */
  public static FakeBackend of(String id, int weight) {
    return new FakeBackend(id, weight, URI.create("http://fake.invalid:80"));
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public int weight() {
    return weight;
  }

  @Override
  public String zone() {
    return "";
  }

  @Override
  public Map<String, String> metadata() {
    return Map.of();
  }

  @Override
  public int inFlight() {
    return 0;
  }

  @Override
  public long latencyEwmaNanos() {
    return 0;
  }

  @Override
  public long latencyStampNanos() {
    return 0;
  }

  @Override
  public String toString() {
    return id + (weight == 1 ? "" : "*" + weight);
  }
}
