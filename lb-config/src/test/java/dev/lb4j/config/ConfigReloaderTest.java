package dev.lb4j.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lb4j.api.RequestView;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.Lease;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.PoolStats;
import dev.lb4j.core.Scheduler;
import dev.lb4j.core.Selection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hot reload through the public API: validate, diff, apply, reject, roll back, watch a file. */
class ConfigReloaderTest {

  private static final Scheduler IDLE = (task, delay) -> () -> {};
  private static final RequestView API = RequestView.of("GET", "/api/items");
  private static final RequestView ADMIN = RequestView.of("GET", "/admin/users");

  private static final String V1 = """
      pools:
        api:
          backends: [http://a:1, http://b:2]
      routes:
        - {name: api, match: {pathPrefix: /api}, toPool: api}
      """;
  private static final String V2 = """
      pools:
        api:
          backends: [{uri: http://a:1, weight: 3}, http://c:3]
        admin:
          backends: [http://d:4]
      routes:
        - {name: admin, match: {pathPrefix: /admin}, toPool: admin}
        - {name: api, match: {pathPrefix: /api}, toPool: api}
      policies:
        - {name: tag, global: true, headerTransform: {setRequestHeaders: {X-Config: v2}}}
      """;

  private LoadBalancer lb;
  private ConfigReloader reloader;
  private final BlockingQueue<ReloadEvent> events = new LinkedBlockingQueue<>();

  private void start(String yaml) {
    Lb4jConfig config = Lb4jConfig.loader().text(yaml, "v1").environment(Map.of()).load();
    lb = config.newBuilder().scheduler(IDLE).build();
    reloader = ConfigReloader.of(lb, config, Map.of(), List.of());
    reloader.addListener(events::add);
  }

  @AfterEach
  void stop() {
    if (reloader != null) {
      reloader.close();
    }
    if (lb != null) {
      lb.close();
    }
  }

  /** Explain's lines but the pick (round robin's next backend changes from call to call). */
  private static List<String> routeAndPool(List<String> lines) {
    return lines.stream().filter(l -> !l.startsWith("the algorithm picks")).toList();
  }

  private static String backendOf(Selection s) {
    assertThat(s).isInstanceOf(Lease.class);
    Lease lease = (Lease) s;
    String id = lease.backend().id();
    lease.complete(200);
    return id;
  }

  @Test
  void aNewDocumentIsDiffedAppliedAndAnnounced() {
    start(V1);
    ReloadEvent event = reloader.apply(V2, "an admin call");
    assertThat(event.outcome()).isEqualTo(ReloadEvent.Outcome.APPLIED);
    assertThat(event.diff().changes()).map(ConfigDiff.Change::toString).containsExactly(
        "~ pools.api.backends[a:1]: weight 1 -> 3",
        "+ pools.api.backends[c:3]",
        "- pools.api.backends[b:2]",
        "+ pools.admin",
        "+ routes[admin]",
        "+ policies[tag]");
    assertThat(events).containsExactly(event);
    assertThat(reloader.current().poolNames()).containsExactly("api", "admin");
    assertThat(backendOf(lb.select(ADMIN))).isEqualTo("d:4");
    assertThat(lb.stats().pool("api").backends()).extracting(b -> b.id() + "/" + b.weight())
        .containsExactly("a:1/3", "c:3/1");
    Selection tagged = lb.select(API);
    assertThat(((Lease) tagged).requestHeaders().toString()).contains("x-config").contains("v2");
    ((Lease) tagged).complete(200);
  }

  @Test
  void anInvalidDocumentIsRejectedAndChangesNothing() {
    start(V1);
    List<String> before = routeAndPool(lb.explain(API).lines());
    ReloadEvent event = reloader.apply(V2.replace("http://d:4", "ftp://d:4"), "an admin call");
    assertThat(event.outcome()).isEqualTo(ReloadEvent.Outcome.REJECTED);
    assertThat(event.problems()).map(ConfigProblem::toString).containsExactly(
        "pools.admin.backends[0]: 'ftp://d:4' at uri (expected: an http or https URI such as"
            + " http://10.0.0.7:8080)");
    assertThat(event.diff().isEmpty()).isTrue();
    assertThat(lb.poolNames()).containsExactly("api");
    assertThat(routeAndPool(lb.explain(API).lines())).isEqualTo(before);
    assertThat(reloader.current().source()).isEqualTo("v1");
  }

  @Test
  void theSameConfigurationIsUnchangedAndTouchesNothing() {
    start(V1);
    Lease open = (Lease) lb.select(API);
    ReloadEvent event = reloader.apply(V1, "same");
    assertThat(event.outcome()).isEqualTo(ReloadEvent.Outcome.UNCHANGED);
    assertThat(lb.stats().pool("api").inFlight()).isEqualTo(1);
    open.complete(200);
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void rollbackRestoresTheConfigurationAppliedBefore() {
    start(V1);
    assertThat(reloader.rollback().outcome()).as("nothing to roll back to")
        .isEqualTo(ReloadEvent.Outcome.REJECTED);
    reloader.apply(V2, "v2");
    ReloadEvent back = reloader.rollback();
    assertThat(back.outcome()).isEqualTo(ReloadEvent.Outcome.ROLLED_BACK);
    assertThat(back.diff().changes()).map(ConfigDiff.Change::toString)
        .contains("- pools.admin", "- routes[admin]", "- policies[tag]");
    assertThat(lb.poolNames()).containsExactly("api");
    assertThat(backendOf(lb.select(ADMIN))).as("no admin route: the only pool is the default")
        .isIn("a:1", "b:2");
    assertThat(reloader.current().source()).isEqualTo("v1");
    assertThat(reloader.rollback().outcome()).isEqualTo(ReloadEvent.Outcome.REJECTED);
  }

  @Test
  void backendsThatStayKeepTheirStateAcrossAReload() {
    start(V1);
    lb.admin().drain("api", "b:2");
    Lease open = (Lease) lb.select(API); // on a:1: b:2 is draining
    assertThat(open.backend().id()).isEqualTo("a:1");
    ReloadEvent event = reloader.apply(V1.replace("http://b:2", "{uri: http://b:2, weight: 5}")
        .replace("toPool: api}", "toPool: api, stripPrefix: true}"), "v1b");
    assertThat(event.outcome()).isEqualTo(ReloadEvent.Outcome.APPLIED);
    PoolStats api = lb.stats().pool("api");
    assertThat(api.backend("b:2").status()).isEqualTo(BackendStatus.DRAINING);
    assertThat(api.backend("b:2").weight()).isEqualTo(5);
    assertThat(api.backend("a:1").inFlight()).isEqualTo(1);
    open.complete(200);
    assertThat(lb.stats().pool("api").backend("a:1").inFlight()).isZero();
    assertThat(lb.stats().pool("api").inFlight()).isZero();
  }

  @Test
  void theFullExampleReloadsButItsLatencyDecayIsTheRunningEnginesOwn() throws Exception {
    String full = Files.readString(Path.of("examples", "full.yaml"), StandardCharsets.UTF_8);
    Lb4jConfig config = Lb4jConfig.loader().text(full, "full").environment(Map.of()).load();
    lb = config.newBuilder().scheduler(IDLE).build();
    reloader = ConfigReloader.of(lb, config, Map.of(), List.of());
    ReloadEvent reweighted = reloader.apply(full.replace("weight: 3", "weight: 4"), "full v2");
    assertThat(reweighted.outcome()).isEqualTo(ReloadEvent.Outcome.APPLIED);
    assertThat(reweighted.diff().toString())
        .isEqualTo("~ pools.api.backends[10.0.0.1:8080]: weight 3 -> 4");
    assertThat(lb.stats().pool("api").backend("10.0.0.1:8080").weight()).isEqualTo(4);
    ReloadEvent decay = reloader.apply(full.replace("latencyDecay: 10s", "latencyDecay: 20s"), "v3");
    assertThat(decay.outcome()).isEqualTo(ReloadEvent.Outcome.REJECTED);
    assertThat(decay.problems()).map(ConfigProblem::toString).containsExactly(
        "latencyDecay: changed (expected: the running value; it belongs to the running load"
            + " balancer and changes with a restart)");
    ReloadEvent stats =
        reloader.apply(full.replace("latencyDecay: 10s", "latencyDecay: 10s\nlatencyStats: false"),
            "v4");
    assertThat(stats.outcome()).isEqualTo(ReloadEvent.Outcome.REJECTED);
    assertThat(stats.problems()).map(ConfigProblem::toString).containsExactly(
        "latencyStats: changed (expected: the running value; it belongs to the running load"
            + " balancer and changes with a restart)");
    assertThat(reloader.current().source()).isEqualTo("full v2");
  }

  @Test
  void latencyStatsOffLeavesLatencyToTheAlgorithmsThatReadIt() {
    start(V1 + "latencyStats: false\n");
    dev.lb4j.core.Lease lease =
        lb.defaultPool().select(dev.lb4j.api.RequestView.of("GET", "/api/x")).leaseOrThrow();
    lease.complete(200);
    assertThat(lb.stats().pool("api").backends())
        .allSatisfy(b -> assertThat(b.latencyEwmaNanos()).isZero());
    assertThat(lb.stats().pool("api").backends().stream().mapToLong(b -> b.completed()).sum())
        .isEqualTo(1);
  }

  @Test
  void aPoolWhoseSettingsAreTheSameIsKeptAsItIsHttpProbeIncluded() {
    String probed = V1.replace("backends: [http://a:1, http://b:2]", """
        backends: [http://a:1, http://b:2]
            healthCheck: {probe: {name: http, options: {path: /healthz}}, interval: 5s}""");
    start(probed);
    dev.lb4j.core.Pool before = lb.pool("api");
    assertThat(reloader.apply(probed.replace("pathPrefix: /api", "pathPrefix: /api/v1"), "v2")
        .outcome()).isEqualTo(ReloadEvent.Outcome.APPLIED);
    assertThat(lb.pool("api")).as("the same pool: equal algorithm, probe and settings")
        .isSameAs(before);
    assertThat(reloader.apply(probed.replace("/healthz", "/ready"), "v3").outcome())
        .isEqualTo(ReloadEvent.Outcome.APPLIED);
    assertThat(lb.pool("api")).as("another probe: the pool is replaced").isNotSameAs(before);
  }

  @Test
  void aWatchedFileIsAppliedWhenWrittenOrReplacedAndRejectedWhenBroken(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("lb4j.yaml");
    Files.writeString(file, V1, StandardCharsets.UTF_8);
    start(V1);
    reloader.watch(file);

    Path staged = dir.resolve("lb4j.yaml.tmp"); // replaced by a rename, as editors do
    Files.writeString(staged, V2, StandardCharsets.UTF_8);
    Files.move(staged, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    ReloadEvent applied = next(ReloadEvent.Outcome.APPLIED);
    assertThat(applied.source()).isEqualTo(file.toAbsolutePath().toString());
    assertThat(lb.poolNames()).contains("admin");

    Files.writeString(file, "pools: [", StandardCharsets.UTF_8); // written in place, broken
    next(ReloadEvent.Outcome.REJECTED);
    assertThat(lb.poolNames()).contains("admin");

    reloader.close();
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().equals("lb4j-config-watch"));
  }

  @Test
  void aConfigMapStyleSwapBehindSymbolicLinksIsApplied(@TempDir Path dir) throws Exception {
    // the layout Kubernetes mounts: lb4j.yaml -> ..data/lb4j.yaml, ..data -> ..<version>
    Path v1 = Files.createDirectory(dir.resolve("..v1"));
    Files.writeString(v1.resolve("lb4j.yaml"), V1, StandardCharsets.UTF_8);
    Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
    Path file = Files.createSymbolicLink(dir.resolve("lb4j.yaml"), Path.of("..data", "lb4j.yaml"));
    start(V1);
    reloader.watch(file);

    Path v2 = Files.createDirectory(dir.resolve("..v2"));
    Files.writeString(v2.resolve("lb4j.yaml"), V2, StandardCharsets.UTF_8);
    Path staged = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
    Files.move(staged, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING,
        StandardCopyOption.ATOMIC_MOVE);
    next(ReloadEvent.Outcome.APPLIED);
    assertThat(lb.poolNames()).containsExactly("api", "admin");
  }

  /** The next event with this outcome, skipping others (a write can show up as two events). */
  private ReloadEvent next(ReloadEvent.Outcome outcome) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      ReloadEvent e = events.poll(1, TimeUnit.SECONDS);
      if (e != null && e.outcome() == outcome) {
        return e;
      }
    }
    throw new AssertionError("no " + outcome + " event within 30 s; saw " + events);
  }
}
