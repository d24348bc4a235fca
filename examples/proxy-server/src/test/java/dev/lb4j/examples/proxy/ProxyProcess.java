package dev.lb4j.examples.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The packaged jar running as a separate process, as a user runs it: {@code java -jar
 * target/lb4j-proxy-server.jar ...}, with the test JVM's own {@code java}. Its standard output and
 * error are read as they come, so tests wait (bounded) for a line, and read the ports it bound
 * from its {@code listening on} lines. {@link #close()} ends the process whatever happened.
 */
final class ProxyProcess implements AutoCloseable {

  /** The jar under test: the build's package phase makes it, before the integration tests. */
  static final Path JAR = Path.of("target", "lb4j-proxy-server.jar");

  /** Long enough for a JVM to start Jetty on a busy two-core machine, many times over. */
  static final Duration START = Duration.ofSeconds(60);

  /** How long a stopping process may take before the test fails. */
  static final Duration EXIT = Duration.ofSeconds(45);

  private static final Pattern LISTENING =
      Pattern.compile("listening on (http://\\S+) \\((traffic|admin)\\)");

  private final Process process;
  private final Output out = new Output();
  private final Output err = new Output();
  private final List<Thread> readers = new ArrayList<>();

  private ProxyProcess(Process process) {
    this.process = process;
    readers.add(out.readFrom(process.getInputStream(), "proxy-stdout"));
    readers.add(err.readFrom(process.getErrorStream(), "proxy-stderr"));
  }

  /**
   * Starts the jar with these arguments, without the test's {@code LB4J_...} variables.
   *
   * @param args the proxy server's arguments
   * @return the running process
   * @throws IOException if it cannot be started
   */
  static ProxyProcess start(String... args) throws IOException {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR.toAbsolutePath() + " does not exist: run the"
          + " integration tests with ./mvnw verify, which packages it first");
    }
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>(List.of(java,
        // Quicker to start, and small: the proxy does little in these tests.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m",
        "-jar", JAR.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(name -> name.startsWith("LB4J_"));
    return new ProxyProcess(builder.start());
  }

  /** Waits for the {@code listening on} line of the listener ({@code traffic} or {@code admin}). */
  URI awaitListening(String listener) throws InterruptedException {
    Matcher m = LISTENING.matcher(
        awaitOutput(Pattern.compile("listening on http://\\S+ \\(" + listener + "\\)"), START));
    if (!m.find()) {
      throw new AssertionError("no address in the listening line");
    }
    return URI.create(m.group(1));
  }

  /**
   * Waits for a line of standard output that contains a match of {@code pattern}.
   *
   * @return the line
   * @throws AssertionError with everything the process printed, if none came within {@code wait}
   *     or the process ended first
   */
  String awaitOutput(Pattern pattern, Duration wait) throws InterruptedException {
    String line = out.await(pattern, wait, process);
    if (line == null) {
      throw new AssertionError("no line matching '" + pattern + "' within " + wait.toSeconds()
          + " s (process " + (process.isAlive() ? "alive" : "exited with " + process.exitValue())
          + ")\n" + transcript());
    }
    return line;
  }

  /**
   * Sends SIGTERM, as {@link Process#destroy()} does on Linux and macOS, but through the process
   * handle: {@code Process.destroy()} also closes the streams, and the test reads what the
   * process prints while it stops.
   */
  void terminate() {
    process.toHandle().destroy();
  }

  /**
   * Waits for the process to end and for its output to be read to the end.
   *
   * @return its exit status
   * @throws AssertionError if it is still running after {@link #EXIT}
   */
  int awaitExit() throws InterruptedException {
    if (!process.waitFor(EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("still running " + EXIT.toSeconds() + " s later\n" + transcript());
    }
    for (Thread reader : readers) {
      reader.join(TimeUnit.SECONDS.toMillis(10));
    }
    return process.exitValue();
  }

  /** Everything printed on standard output so far. */
  String stdout() {
    return out.text();
  }

  /** Everything printed on standard error so far. */
  String stderr() {
    return err.text();
  }

  /** Both outputs, for failure messages. */
  String transcript() {
    return "--- stdout:\n" + stdout() + "--- stderr:\n" + stderr();
  }

  /**
   * Ends the process: SIGTERM, then after a bounded wait SIGKILL. An interrupt cuts the waits
   * short (the process is then killed) and stays set.
   */
  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        process.toHandle().destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(15, TimeUnit.SECONDS);
        }
      }
      for (Thread reader : readers) {
        reader.join(TimeUnit.SECONDS.toMillis(5));
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /** Lines of one stream, as they arrive. */
  private static final class Output {
    private final List<String> lines = new ArrayList<>();

    Thread readFrom(InputStream stream, String name) {
      Thread t = new Thread(() -> {
        try (BufferedReader reader =
            new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
          for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            add(line);
          }
        } catch (IOException e) {
          add("(reading failed: " + e + ")");
        }
      }, name);
      t.setDaemon(true);
      t.start();
      return t;
    }

    private synchronized void add(String line) {
      lines.add(line);
      notifyAll();
    }

    synchronized String text() {
      StringBuilder s = new StringBuilder();
      lines.forEach(l -> s.append(l).append('\n'));
      return s.toString();
    }

    /** The first line matching, or null after {@code wait} or once the process has ended. */
    synchronized @Nullable String await(Pattern pattern, Duration wait, Process process)
        throws InterruptedException {
      long deadline = System.nanoTime() + wait.toNanos();
      int checked = 0;
      while (true) {
        for (; checked < lines.size(); checked++) {
          if (pattern.matcher(lines.get(checked)).find()) {
            return lines.get(checked);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        if (!process.isAlive()) {
          // Its last lines may still be on their way: one more short wait, then give up.
          wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 2_000));
          for (; checked < lines.size(); checked++) {
            if (pattern.matcher(lines.get(checked)).find()) {
              return lines.get(checked);
            }
          }
          return null;
        }
        wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 500));
      }
    }
  }
}
