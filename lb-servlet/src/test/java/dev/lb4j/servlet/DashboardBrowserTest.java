package dev.lb4j.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.lb4j.core.BackendStats;
import dev.lb4j.core.BackendStatus;
import dev.lb4j.core.LoadBalancer;
import dev.lb4j.core.health.HealthCheck;
import dev.lb4j.core.health.TcpProbe;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}), served by the admin servlet next to the proxy filter in embedded Jetty 12,
 * over a pool of real loopback backends with fast active health checks. Time is real here, so
 * every wait is bounded by a {@link WebDriverWait} of a few seconds. One browser for the class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {

  private static final String TOKEN = "dash-Token_0123456789";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration WAIT = Duration.ofSeconds(5);

  private final List<HttpServer> backends = new ArrayList<>();
  private final AtomicLong scrapes = new AtomicLong();
  private LoadBalancer lb;
  private ProxyContainer container;
  private ChromeDriver driver;
  private Path profile;
  private HttpClient client;
  private List<String> ids;

  @BeforeAll
  void start() throws Exception {
    for (int i = 0; i < 3; i++) {
      HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
      s.createContext("/", ex -> {
        byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
        ex.getRequestBody().readAllBytes();
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      });
      s.start();
      backends.add(s);
    }
    HealthCheck fast = HealthCheck.builder(TcpProbe.create())
        .interval(Duration.ofMillis(100))
        .timeout(Duration.ofMillis(100))
        .jitter(0)
        .unhealthyThreshold(2)
        .healthyThreshold(1)
        .build();
    lb = LoadBalancer.builder()
        .pool("api", p -> {
          backends.forEach(s -> p.backend("http://127.0.0.1:" + s.getAddress().getPort()));
          p.healthCheck(fast);
        })
        .route("api", r -> r.pathPrefix("/api/").toPool("api"))
        .build();
    ids = lb.pool("api").backends().stream().map(b -> b.id()).toList();
    AdminServlet admin = AdminServlet.builder(lb).token(TOKEN)
        .endpoint("metrics", (request, response, path) -> metrics(response))
        .build();
    container = ProxyContainer.jetty(
        LoadBalancingFilter.builder(lb).build(), Map.of(), admin, Map.of());
    client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail("the dashboard test needs a headless Chromium and its driver at " + CHROMIUM + " and "
          + CHROMEDRIVER + ": install the Debian packages chromium and chromium-driver"
          + " (apt-get install -y chromium chromium-driver; .ci/run does)");
    }
    profile = Files.createTempDirectory("lb4j-chromium");
    driver = browser(profile);
  }

  /**
   * A Prometheus scrape with one latency histogram per backend: each scrape adds 100 observations
   * between 10 and 20 ms, so the page's p50 over the increase between two polls is 15 ms.
   */
  private void metrics(jakarta.servlet.http.HttpServletResponse response) throws IOException {
    long n = scrapes.incrementAndGet() * 100;
    StringBuilder out = new StringBuilder(
        "# HELP lb4j_request_seconds Requests by backend\n# TYPE lb4j_request_seconds histogram\n");
    for (String id : ids) {
      String labels = "backend=\"" + id + "\",outcome=\"success\",pool=\"api\"";
      for (String le : List.of("0.005", "0.01")) {
        out.append("lb4j_request_seconds_bucket{").append(labels).append(",le=\"").append(le)
            .append("\"} 0\n");
      }
      for (String le : List.of("0.02", "0.05", "+Inf")) {
        out.append("lb4j_request_seconds_bucket{").append(labels).append(",le=\"").append(le)
            .append("\"} ").append(n).append('\n');
      }
      out.append("lb4j_request_seconds_count{").append(labels).append("} ").append(n).append('\n');
      out.append("lb4j_request_seconds_sum{").append(labels).append("} ")
          .append(String.format(Locale.ROOT, "%.3f", n * 0.015)).append('\n');
    }
    byte[] bytes = out.toString().getBytes(StandardCharsets.UTF_8);
    response.setContentType("text/plain; version=0.0.4; charset=utf-8");
    response.setContentLength(bytes.length);
    response.getOutputStream().write(bytes);
  }

  private static ChromeDriver browser(Path profile) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toString());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--disable-gpu", "--window-size=1280,800", "--user-data-dir=" + profile,
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-default-apps");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // The driver is named, so Selenium Manager never runs (it would try to reach the network).
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    return new ChromeDriver(service, options);
  }

  @AfterAll
  void stop() {
    try {
      if (driver != null) {
        driver.quit();
      }
    } finally {
      try {
        if (container != null) {
          container.close();
        }
      } finally {
        if (lb != null) {
          lb.close();
        }
        backends.forEach(s -> s.stop(0));
        deleteQuietly(profile);
      }
    }
  }

  // ------------------------------------------------------------------ the tests

  @Test
  @Order(1)
  void refusesWithoutAValidTokenAndShowsNoBackend() {
    openFresh();
    WebElement form = await(d -> visible(By.id("token-form")));
    assertThat(form.isDisplayed()).isTrue();
    assertThat(driver.findElements(By.cssSelector("tr.backend"))).isEmpty();
    assertThat(driver.getPageSource()).as("the shell holds no data").doesNotContain(ids.get(0));

    driver.findElement(By.id("token")).sendKeys("wrong-token");
    driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
    await(d -> visible(By.id("refused")));
    assertThat(driver.findElement(By.id("board")).isDisplayed()).isFalse();
    assertThat(driver.findElements(By.cssSelector("tr.backend"))).isEmpty();
    assertThat(driver.getPageSource()).doesNotContain(ids.get(0));
    assertThat(sessionToken()).as("a refused token is forgotten").isNull();
    // Chromium reports the refused API call itself (401) as a failed resource load; nothing else.
    assertNoConsoleErrorsBut("status of 401");
  }

  @Test
  @Order(2)
  void listsEveryBackendWithItsStateAndLatencyWithAValidToken() throws Exception {
    signIn();
    for (String id : ids) {
      waitFor(() -> "HEALTHY".equals(row(id).getDomAttribute("data-state")), id + " HEALTHY");
      assertThat(row(id).findElement(By.cssSelector(".state")).getText()).isEqualTo("HEALTHY");
    }
    assertThat(driver.findElements(By.cssSelector("tr.backend"))).hasSize(3);
    // traffic through the filter, so the next polls see a request rate
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + container.port() + "/api/x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
    waitFor(() -> !row(ids.get(0)).findElement(By.cssSelector(".rate")).getText().equals("–")
            && !row(ids.get(0)).findElement(By.cssSelector(".rate")).getText().isEmpty(),
        "a request rate computed from two polls");
    waitFor(() -> row(ids.get(0)).findElement(By.cssSelector(".p50")).getText()
        .startsWith("15.0 ms"), "p50 from the histogram's increase between two scrapes");
    assertThat(row(ids.get(0)).findElement(By.cssSelector(".p50")).getText())
        .contains("histogram");
    assertThat(row(ids.get(0)).findElement(By.cssSelector(".p99")).getText())
        .isEqualTo("19.9 ms");
    assertNoConsoleErrorsBut(null);
  }

  @Test
  @Order(3)
  void drainOnThePageDrainsTheBackendInTheLoadBalancer() {
    signIn();
    String id = ids.get(1);
    waitFor(() -> "HEALTHY".equals(row(id).getDomAttribute("data-state")), id + " listed");
    row(id).findElement(By.cssSelector("button.action-drain")).click();
    waitFor(() -> status(id) == BackendStatus.DRAINING, "the load balancer drains " + id);
    waitFor(() -> "DRAINING".equals(row(id).getDomAttribute("data-state")), "the page shows it");
    assertThat(row(id).findElement(By.cssSelector(".reason")).getText()).isNotBlank();
    waitFor(() -> events().stream().anyMatch(e -> e.contains(id) && e.contains("DRAINING")),
        "a health event for the drain");

    row(id).findElement(By.cssSelector("button.action-undrain")).click();
    waitFor(() -> status(id) == BackendStatus.HEALTHY, "undrained");
    waitFor(() -> "HEALTHY".equals(row(id).getDomAttribute("data-state")), "the page shows it");
    assertNoConsoleErrorsBut(null);
  }

  @Test
  @Order(4)
  void aStoppedBackendShowsUnhealthyWithItsReason() throws Exception {
    signIn();
    String id = ids.get(2);
    waitFor(() -> "HEALTHY".equals(row(id).getDomAttribute("data-state")), id + " listed");
    backends.get(2).stop(0);
    waitFor(() -> {
      String state = row(id).getDomAttribute("data-state");
      return "UNHEALTHY".equals(state) || "EJECTED".equals(state);
    }, id + " unhealthy on the page");
    assertThat(status(id)).isIn(BackendStatus.UNHEALTHY, BackendStatus.EJECTED);
    // The reason counts the failed probes, which go on every 100 ms between two polls of the
    // page: compared with the numbers blanked out.
    waitFor(() -> row(id).findElement(By.cssSelector(".reason")).getText()
        .replaceAll("[0-9]+", "#")
        .equals(stats(id).statusReason().replaceAll("[0-9]+", "#")),
        "the load balancer's reason on the page");
    assertThat(row(id).findElement(By.cssSelector(".reason")).getText()).isNotBlank();
    waitFor(() -> events().stream().anyMatch(e -> e.contains(id) && e.contains("UNHEALTHY")),
        "a health event with its reason");

    // a drained backend too, and an explain trace, for the screenshot of the whole page
    row(ids.get(1)).findElement(By.cssSelector("button.action-drain")).click();
    waitFor(() -> "DRAINING".equals(row(ids.get(1)).getDomAttribute("data-state")), "drained");
    WebElement path = driver.findElement(By.cssSelector("#explain-form input[name=path]"));
    path.clear();
    path.sendKeys("/api/orders?id=7");
    driver.findElement(By.cssSelector("#explain-form button[type=submit]")).click();
    waitFor(() -> driver.findElement(By.id("explain-result")).isDisplayed()
        && !driver.findElement(By.id("explain-trace")).getText().isBlank(), "an explain trace");
    assertThat(driver.findElement(By.id("explain-summary")).getText()).contains("pool api");
    // live traffic (bounded: 5 s at most) so the screenshot shows a request rate
    java.util.concurrent.atomic.AtomicBoolean sending = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread traffic = new Thread(() -> {
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (sending.get() && System.nanoTime() < end) {
        try {
          client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + container.port() + "/api/x")).build(),
              HttpResponse.BodyHandlers.discarding());
          Thread.sleep(5);
        } catch (IOException | InterruptedException e) {
          return;
        }
      }
    }, "dashboard-test-traffic");
    traffic.start();
    try {
      waitFor(() -> {
        String rate = row(ids.get(0)).findElement(By.cssSelector(".rate")).getText();
        return !rate.isEmpty() && !rate.equals("–") && !rate.equals("0.00");
      }, "a live request rate");
      screenshot("dashboard.png", 1280, 1000);
    } finally {
      sending.set(false);
      traffic.join();
    }
    // the dark theme (the system preference, emulated) and a phone-sized window
    driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features",
        List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
    screenshot("dashboard-dark.png", 1280, 1000);
    driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("features", List.of()));
    screenshot("dashboard-phone.png", 400, 1400);
    lb.admin().undrain("api", ids.get(1));
    assertNoConsoleErrorsBut(null);
  }

  // ------------------------------------------------------------------ helpers

  private void openFresh() {
    driver.get("http://127.0.0.1:" + container.port() + "/lb-admin/dashboard");
    ((JavascriptExecutor) driver).executeScript("sessionStorage.clear()");
    driver.navigate().refresh();
  }

  private void signIn() {
    openFresh();
    await(d -> visible(By.id("token-form")));
    driver.findElement(By.id("token")).sendKeys(TOKEN);
    driver.findElement(By.cssSelector("#token-form button[type=submit]")).click();
    await(d -> driver.findElements(By.cssSelector("tr.backend")).size() == 3 ? true : null);
    assertThat(sessionToken()).isEqualTo(TOKEN);
  }

  private @org.jspecify.annotations.Nullable String sessionToken() {
    return (String) ((JavascriptExecutor) driver)
        .executeScript("return sessionStorage.getItem('lb4j.admin.token')");
  }

  private WebElement row(String id) {
    return driver.findElement(By.cssSelector("tr.backend[data-backend='" + id + "']"));
  }

  private List<String> events() {
    return driver.findElements(By.cssSelector("#events li")).stream()
        .map(WebElement::getText).toList();
  }

  private BackendStats stats(String id) {
    return lb.pool("api").stats().backend(id);
  }

  private BackendStatus status(String id) {
    return stats(id).status();
  }

  private @org.jspecify.annotations.Nullable WebElement visible(By by) {
    List<WebElement> found = driver.findElements(by);
    return !found.isEmpty() && found.get(0).isDisplayed() ? found.get(0) : null;
  }

  private <T> T await(java.util.function.Function<org.openqa.selenium.WebDriver, T> condition) {
    return new WebDriverWait(driver, WAIT, Duration.ofMillis(50)).until(condition);
  }

  private void waitFor(java.util.function.BooleanSupplier condition, String what) {
    new WebDriverWait(driver, WAIT, Duration.ofMillis(50))
        .withMessage(what)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(d -> condition.getAsBoolean());
  }

  /** No SEVERE entry in the browser's console since the last read but those containing {@code allowed}. */
  private void assertNoConsoleErrorsBut(@org.jspecify.annotations.Nullable String allowed) {
    List<String> severe = driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .filter(m -> allowed == null || !m.contains(allowed))
        .toList();
    assertThat(severe).as("SEVERE browser console entries").isEmpty();
  }

  private void screenshot(String name, int width, int height) throws IOException {
    driver.manage().window().setSize(new Dimension(width, height));
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    Path dir = Path.of("target");
    Files.createDirectories(dir);
    Files.write(dir.resolve(name), png);
  }

  private static void deleteQuietly(@org.jspecify.annotations.Nullable Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory left behind is harmless
    }
  }
}
