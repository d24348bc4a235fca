package dev.lb4j.config;

import dev.lb4j.core.LoadBalancer;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Hot reload: validate, diff, apply atomically, roll back. Holds the configuration a {@link
 * LoadBalancer} runs and replaces it when a new document arrives (from the watched file or an admin
 * call):
 *
 * <ol>
 *   <li>the document is loaded and validated with the same environment and flags as the first one;
 *       a document with any problem is {@link ReloadEvent.Outcome#REJECTED} and the running
 *       configuration is untouched;
 *   <li>the diff against the running configuration is computed; an empty diff is {@link
 *       ReloadEvent.Outcome#UNCHANGED};
 *   <li>the load balancer is reconfigured in one step ({@link LoadBalancer#reconfigure}): each
 *       request sees the old routes and policies or the new ones, and backends that stay keep their
 *       state (in flight, health, ejections, latency, slow start);
 *   <li>the configuration it replaced is kept, so {@link #rollback()} can restore it (up to {@value
 *       #HISTORY} steps back).
 * </ol>
 *
 * <p>Every attempt is a {@link ReloadEvent} given to the listeners, in order, on the thread that
 * made the attempt. Thread-safe: attempts are serialised.
 *
 * @since 0.1.0
 */
public final class ConfigReloader implements AutoCloseable {

  /** How many earlier configurations are kept for rollback. */
  public static final int HISTORY = 16;

  private static final System.Logger LOG = System.getLogger("dev.lb4j.config");

  private final LoadBalancer loadBalancer;
  private final Map<String, String> environment;
  private final List<String> flags;
  private final List<Consumer<ReloadEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private final Deque<Lb4jConfig> history = new ArrayDeque<>();
  private volatile Lb4jConfig current;
  private @Nullable Watcher watcher;

  private ConfigReloader(
      LoadBalancer loadBalancer, Lb4jConfig running, Map<String, String> env, List<String> flags) {
    this.loadBalancer = loadBalancer;
    this.current = running;
    this.environment = Map.copyOf(env);
    this.flags = List.copyOf(flags);
  }

  /**
   * A reloader for a load balancer built from {@code running}; new documents are read with no
   * environment overrides beyond the process's and no flags.
   *
   * @param loadBalancer the load balancer {@code running} built
   * @param running its configuration
   * @return the reloader
   */
  public static ConfigReloader of(LoadBalancer loadBalancer, Lb4jConfig running) {
    return of(loadBalancer, running, System.getenv(), List.of());
  }

  /**
   * A reloader that reads new documents with this environment and these {@code --set} flags, as
   * the first document was read.
   *
   * @param loadBalancer the load balancer {@code running} built
   * @param running its configuration
   * @param env the environment for references and {@code LB4J_...} overrides
   * @param flags the {@code path=value} overrides
   * @return the reloader
   */
  public static ConfigReloader of(
      LoadBalancer loadBalancer, Lb4jConfig running, Map<String, String> env, List<String> flags) {
    return new ConfigReloader(
        Objects.requireNonNull(loadBalancer, "loadBalancer"),
        Objects.requireNonNull(running, "running"),
        env,
        flags);
  }

  /**
   * The running configuration.
   *
   * @return the configuration
   */
  public Lb4jConfig current() {
    return current;
  }

  /**
   * Adds a listener for every reload attempt.
   *
   * @param listener called with each event, on the thread that made the attempt; it must be quick
   */
  public void addListener(Consumer<ReloadEvent> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /**
   * Loads, validates and applies a YAML or JSON document (from an admin call, say).
   *
   * @param document the document
   * @param source what to call it in events and messages
   * @return the event
   */
  public ReloadEvent apply(String document, String source) {
    Lb4jConfig next;
    try {
      next = Lb4jConfig.loader().text(document, source).environment(environment).flags(flags).load();
    } catch (ConfigException e) {
      return rejected(source, e.problems());
    }
    return apply(next);
  }

  /**
   * Loads, validates and applies a file.
   *
   * @param file the file
   * @return the event
   */
  public ReloadEvent applyFile(Path file) {
    Lb4jConfig next;
    try {
      next = Lb4jConfig.loader().file(file).environment(environment).flags(flags).load();
    } catch (ConfigException e) {
      return rejected(file.toString(), e.problems());
    }
    return apply(next);
  }

  /**
   * Applies a loaded configuration.
   *
   * @param next the configuration
   * @return the event
   */
  public ReloadEvent apply(Lb4jConfig next) {
    synchronized (lock) {
      Lb4jConfig running = current;
      ConfigDiff diff = running.diff(next);
      if (diff.isEmpty()) {
        return publish(new ReloadEvent(
            ReloadEvent.Outcome.UNCHANGED, next.source(), diff, List.of(), Instant.now()));
      }
      List<ConfigProblem> restart = new java.util.ArrayList<>();
      if (!Objects.equals(running.model().latencyDecay(), next.model().latencyDecay())) {
        restart.add(new ConfigProblem("latencyDecay",
            "changed", "expected: the running value; it belongs to the running load balancer"
                + " and changes with a restart"));
      }
      if (!Objects.equals(running.model().latencyStats(), next.model().latencyStats())) {
        restart.add(new ConfigProblem("latencyStats",
            "changed", "expected: the running value; it belongs to the running load balancer"
                + " and changes with a restart"));
      }
      if (!Objects.equals(running.model().admin(), next.model().admin())) {
        restart.add(new ConfigProblem("admin", "changed", "expected: the running section; the"
            + " admin interface is set up at start and changes with a restart"));
      }
      if (!Objects.equals(running.model().server(), next.model().server())) {
        restart.add(new ConfigProblem("server", "changed", "expected: the running section; the"
            + " server's listeners are set up at start and change with a restart"));
      }
      if (!restart.isEmpty()) {
        return rejected(next.source(), restart);
      }
      try {
        loadBalancer.reconfigure(next.reconfiguration());
      } catch (IllegalArgumentException | IllegalStateException e) {
        return rejected(next.source(),
            List.of(dev.lb4j.config.internal.Mapper.fromBuilder("(document)", e.getMessage())));
      }
      history.push(running);
      if (history.size() > HISTORY) {
        history.removeLast();
      }
      current = next;
      return publish(new ReloadEvent(
          ReloadEvent.Outcome.APPLIED, next.source(), diff, List.of(), Instant.now()));
    }
  }

  /**
   * Restores the configuration the last applied one replaced.
   *
   * @return the event: {@link ReloadEvent.Outcome#ROLLED_BACK}, or {@link
   *     ReloadEvent.Outcome#REJECTED} when there is nothing to roll back to
   */
  public ReloadEvent rollback() {
    synchronized (lock) {
      Lb4jConfig previous = history.peek();
      if (previous == null) {
        return rejected("rollback", List.of(new ConfigProblem("(rollback)",
            "no earlier configuration", "expected: a configuration applied after the first")));
      }
      Lb4jConfig running = current;
      ConfigDiff diff = running.diff(previous);
      try {
        loadBalancer.reconfigure(previous.reconfiguration());
      } catch (IllegalArgumentException | IllegalStateException e) {
        return rejected("rollback to " + previous.source(),
            List.of(dev.lb4j.config.internal.Mapper.fromBuilder("(document)", e.getMessage())));
      }
      history.pop();
      current = previous;
      return publish(new ReloadEvent(ReloadEvent.Outcome.ROLLED_BACK,
          "rollback to " + previous.source(), diff, List.of(), Instant.now()));
    }
  }

  /**
   * Watches a file and applies it whenever its content changes: written in place, replaced by a
   * rename as editors do, or swapped behind a symbolic link as Kubernetes does with a mounted
   * config map (any change in the file's directory makes the watcher read the file again; a content
   * it has already seen is skipped). Runs on a daemon thread named {@code lb4j-config-watch};
   * {@link #close()} stops it. A file that does not load is {@link ReloadEvent.Outcome#REJECTED}
   * and the running configuration stays.
   *
   * @param file the file to watch
   * @return this reloader
   * @throws IOException if the file's directory cannot be watched
   * @throws IllegalStateException if a file is already watched
   */
  public ConfigReloader watch(Path file) throws IOException {
    synchronized (lock) {
      if (watcher != null) {
        throw new IllegalStateException("already watching " + watcher.file);
      }
      Watcher w = new Watcher(file.toAbsolutePath());
      try {
        w.seen = Files.readString(w.file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        w.seen = null; // not there yet: its first version is applied when it appears
      }
      watcher = w;
      w.thread.start();
    }
    return this;
  }

  /** Stops watching the file (if one is watched) and waits for the watching thread to end. */
  @Override
  public void close() {
    Watcher w;
    synchronized (lock) {
      w = watcher;
      watcher = null;
    }
    if (w != null) {
      w.stop();
    }
  }

  private ReloadEvent rejected(String source, List<ConfigProblem> problems) {
    synchronized (lock) {
      return publish(new ReloadEvent(ReloadEvent.Outcome.REJECTED, source,
          new ConfigDiff(List.of()), problems, Instant.now()));
    }
  }

  private ReloadEvent publish(ReloadEvent event) {
    for (Consumer<ReloadEvent> l : listeners) {
      try {
        l.accept(event);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a reload listener failed", e);
      }
    }
    return event;
  }

  /** The file watch: one thread, one WatchService on the file's directory. */
  private final class Watcher {
    final Path file;
    final WatchService service;
    final Thread thread;
    /** The content last read, so that events which change nothing in the file are skipped. */
    private @Nullable String seen;

    Watcher(Path file) throws IOException {
      this.file = file;
      Path dir = Objects.requireNonNull(file.getParent(), "file");
      this.service = FileSystems.getDefault().newWatchService();
      try {
        dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
            StandardWatchEventKinds.ENTRY_MODIFY);
      } catch (IOException | RuntimeException e) {
        service.close();
        throw e;
      }
      this.thread = new Thread(this::run, "lb4j-config-watch");
      thread.setDaemon(true);
    }

    private void run() {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          WatchKey key = service.take();
          key.pollEvents(); // whatever changed in the directory: read the file again
          key.reset();
          readAndApply();
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        // stopping
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "watching " + file + " failed; reload by hand from now on", e);
      }
    }

    private void readAndApply() {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        // between a delete and a create, say; the next event reads it again
        LOG.log(Level.DEBUG, "cannot read " + file + " yet: " + e);
        return;
      }
      if (text.equals(seen)) {
        return;
      }
      seen = text;
      apply(text, file.toString());
    }

    void stop() {
      try {
        service.close(); // wakes take() with ClosedWatchServiceException
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "closing the watch of " + file + ": " + e);
      }
      thread.interrupt();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
