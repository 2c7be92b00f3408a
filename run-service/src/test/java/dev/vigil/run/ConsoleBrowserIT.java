package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian's headless Chromium, driven by Selenium) against run-service on
 * the real PostgreSQL and broker: sign in, see only the workspace's runs, spot the stuck one, stop,
 * force-stop and retry from the page, and read a 409 in words. Leaves {@code target/console.png}.
 */
@ExtendWith(RealInfraExtension.class)
class ConsoleBrowserIT {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOT = Path.of("target", "console.png");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RunServiceHarness service;
    private static Path browserHome;
    private static ChromeDriverService driverService;
    private static WebDriver browser;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("The console's browser test needs Debian's Chromium and its driver at " + CHROMIUM + " and "
                    + CHROMEDRIVER + ". Install them with: apt-get install -y chromium chromium-driver "
                    + "(.ci/run does this when they are missing).");
        }
        service = new RunServiceHarness(kafka, db, "console-browser-it.", Map.of(
                "vigil.webhooks.allow-private-targets", true, "vigil.webhooks.first-retry", "200ms"));
        browserHome = Files.createTempDirectory("vigil-console-chromium-");
        for (String dir : List.of("profile", "config", "cache", "tmp")) {
            Files.createDirectories(browserHome.resolve(dir));
        }
        driverService = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withEnvironment(Map.of(
                        "XDG_CONFIG_HOME", browserHome.resolve("config").toString(),
                        "XDG_CACHE_HOME", browserHome.resolve("cache").toString(),
                        "TMPDIR", browserHome.resolve("tmp").toString()))
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + browserHome.resolve("profile"), "--window-size=1500,1500",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost");
        browser = new ChromeDriver(driverService, options);
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (driverService != null) {
            driverService.stop();
        }
        if (service != null) {
            service.close();
        }
        if (browserHome != null) {
            try (Stream<Path> files = Files.walk(browserHome)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    @Test
    void anOperatorSeesTheWorkspacesStuckWorkAndActsOnItFromThePage() throws Exception {
        String operator = RunServiceHarness.token("olga", "acme-console", Duration.ofHours(1), List.of("operator"));
        String stranger = RunServiceHarness.token("mallory", "globex-console", Duration.ofHours(1));
        create(stranger, "globex-secret", null);
        String stuck = create(operator, "stuck-chat", "{\"start\":\"PT1S\"}");
        create(operator, "stop-me", null);
        String timedOut = create(operator, "timed-out-chat", "{\"start\":\"PT1S\"}", "{\"namespace\":\"agents\"}");
        service.publish(service.topics.timeouts().name(), timedOut, RunTimedOut.of(timedOut, 1, Reason.START_TIMEOUT,
                Instant.now(), null, null, false, null));
        Awaitility.await().atMost(WAIT).until(() -> "TIMED_OUT".equals(status(operator, timedOut)));
        service.publish(service.topics.cleanups().name(), timedOut, CleanupPerformed.of(timedOut, 1, "agents",
                "Deployment", "chat-worker-" + timedOut.substring(0, 8), CleanupOutcome.DELETED,
                CleanupTrigger.RUN_FINISHED, null));
        String failed = create(operator, "busy-key", null);
        assertThat(post("/api/v1/runs/" + failed + "/finish", operator, "{\"outcome\":\"FAILED\",\"error\":\"worker crashed\",\"attempt\":1}")
                .statusCode()).isEqualTo(200);
        String active = create(operator, "busy-key", null);

        try {
            signIn("/console", operator);
            waitFor(d -> d.findElement(By.cssSelector("tr[data-run-key='stop-me']")).isDisplayed());
            assertThat(read(d -> d.findElement(By.id("who-workspace")).getText())).isEqualTo("acme-console");
            assertThat(read(d -> d.findElement(By.id("who-role")).getText())).contains("operator");

            // Only this workspace's runs, in the list and in the counts.
            assertThat(read(d -> String.valueOf(d.findElements(By.cssSelector("tr[data-run-key='globex-secret']")).size())))
                    .isEqualTo("0");
            assertThat(browser.getPageSource()).doesNotContain("globex-secret");
            waitFor(d -> text(d, "button.card[data-status=''] .card-count").equals("5"));

            // The run that never got its first heartbeat is highlighted as stuck, and counted.
            waitFor(d -> row(d, "stuck-chat").getAttribute("class").contains("stuck"));
            assertThat(read(d -> row(d, "stuck-chat").getAttribute("data-run-id"))).isEqualTo(stuck);
            assertThat(read(d -> row(d, "stuck-chat").getText())).contains("STUCK", "no first heartbeat within its start timeout");
            waitFor(d -> Integer.parseInt(text(d, "button.card[data-status='STUCK'] .card-count")) >= 1);
            assertThat(read(d -> row(d, "stop-me").getAttribute("class"))).doesNotContain("stuck");

            // Stop, confirmed: TERMINATING without a reload. Then force it, as an operator.
            clickAndConfirm("tr[data-run-key='stop-me'] button[data-action='stop']", "Stop run “stop-me”?");
            waitFor(d -> "TERMINATING".equals(row(d, "stop-me").getAttribute("data-status")));
            assertThat(read(d -> row(d, "stop-me").findElement(By.cssSelector(".badge")).getText())).isEqualTo("TERMINATING");
            clickAndConfirm("tr[data-run-key='stop-me'] button[data-action='force-stop']", "Force-stop run “stop-me”?");
            waitFor(d -> "ABORTED".equals(row(d, "stop-me").getAttribute("data-status")));
            assertThat(read(d -> row(d, "stop-me").getText())).contains("user_force");

            // Retry the timed-out run: attempt 2, PENDING; its timeline shows what happened, cleanups included.
            clickAndConfirm("tr[data-run-key='timed-out-chat'] button[data-action='retry']", "Retry run “timed-out-chat”?");
            waitFor(d -> "PENDING".equals(row(d, "timed-out-chat").getAttribute("data-status")));
            assertThat(read(d -> row(d, "timed-out-chat").findElement(By.cssSelector("td.num")).getText())).isEqualTo("2");
            waitFor(d -> {
                row(d, "timed-out-chat").findElement(By.cssSelector("button.link")).click();
                return true;
            });
            waitFor(d -> d.findElement(By.id("detail")).isDisplayed()
                    && d.findElement(By.id("detail-attempt")).getText().equals("2"));
            waitFor(d -> d.findElement(By.id("timeline")).getText().contains("Deleted Deployment agents/chat-worker-"));
            String timeline = read(d -> d.findElement(By.id("timeline")).getText());
            assertThat(timeline).contains("Created", "Timed out", "start_timeout", "Retried", "attempt 2");
            assertThat(timeline.indexOf("Created")).isLessThan(timeline.indexOf("Retried"));

            // A retry that the one-active-run-per-key rule refuses: the 409 in words, not a blank page.
            clickAndConfirm("tr[data-run-id='" + failed + "'] button[data-action='retry']", "Retry run “busy-key”?");
            waitFor(d -> d.findElement(By.id("alert")).isDisplayed());
            assertThat(read(d -> d.findElement(By.id("alert-text")).getText()))
                    .contains("409", "another run is active for key 'busy-key': " + active);
            assertThat(read(d -> d.findElement(By.cssSelector("tr[data-run-id='" + failed + "']")).getAttribute("data-status")))
                    .isEqualTo("FAILED");
        } finally {
            Files.createDirectories(SCREENSHOT.getParent());
            Files.write(SCREENSHOT, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        }
    }

    @Test
    void theSelectedRunIsFollowedLiveFromItsStreamAndNotByPolling() throws Exception {
        String operator = RunServiceHarness.token("olga", "acme-live", Duration.ofHours(1), List.of("operator"));
        String id = create(operator, "live-chat", null);
        // The list is read once (the poll is ten minutes away): whatever the page shows later came from the stream.
        signIn("/console?poll=600000", operator);
        waitFor(d -> {
            row(d, "live-chat").findElement(By.cssSelector("button.link")).click();
            return true;
        });
        waitFor(d -> d.findElement(By.id("detail")).isDisplayed()
                && d.findElement(By.id("updated")).getText().contains("the selected run live"));
        assertThat(read(d -> d.findElement(By.id("timeline")).getText())).contains("Created").doesNotContain("Timed out");

        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
        waitFor(d -> d.findElement(By.id("timeline")).getText().contains("First heartbeat"));
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                Instant.now(), Instant.now().minusSeconds(30), null, false, null));
        waitFor(d -> d.findElement(By.id("timeline")).getText().contains("Timed out"));
        assertThat(read(d -> row(d, "live-chat").getAttribute("data-status"))).isEqualTo("TIMED_OUT");
    }

    @Test
    void anOperatorSubscribesAWebhookSeesItsDeliveriesAndDeletesIt() throws Exception {
        String operator = RunServiceHarness.token("olga", "acme-hooks", Duration.ofHours(1), List.of("operator"));
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.answer.set(503); // down at first: the log shows the refused attempts
            signIn("/console", operator);
            waitFor(d -> d.findElement(By.id("webhooks")).isDisplayed());

            String url = receiver.url("/console-hooks");
            browser.findElement(By.id("webhook-url")).sendKeys(url);
            browser.findElement(By.id("webhook-subscribe")).click();
            waitFor(d -> d.findElement(By.id("webhook-secret")).getText().contains("whsec_"));
            String secret = read(d -> d.findElement(By.id("webhook-secret")).getText()).replaceAll(".*(whsec_\\S+).*", "$1");
            waitFor(d -> "ok".equals(hook(d, url).getAttribute("data-webhook-status")));

            String id = create(operator, "hooked-chat", null);
            waitFor(d -> receiver.received.size() >= 2);
            waitFor(d -> {
                hook(d, url).findElement(By.cssSelector("button[data-action='deliveries']")).click();
                return true;
            });
            waitFor(d -> d.findElement(By.id("deliveries")).isDisplayed()
                    && d.findElement(By.id("deliveries-body")).getText().contains("HTTP 503"));
            receiver.answer.set(204);
            waitFor(d -> d.findElement(By.cssSelector("#deliveries-body tr[data-delivery-status='DELIVERED']"))
                    .getText().contains("run.created"));
            assertThat(receiver.accepted()).isNotEmpty().allSatisfy(r -> assertThat(WebhookReceiver.verifies(r, secret))
                    .as("signed with the secret the page showed").isTrue());
            assertThat(receiver.accepted().get(0).body()).contains(id);

            clickAndConfirm("tr[data-webhook-url='" + url + "'] button[data-action='delete']",
                    "Delete the webhook to " + url + "?");
            waitFor(d -> d.findElements(By.cssSelector("tr[data-webhook-url='" + url + "']")).isEmpty());
        }
    }

    private static WebElement hook(WebDriver driver, String url) {
        return driver.findElement(By.cssSelector("tr[data-webhook-url='" + url + "']"));
    }

    /**
     * Opens the console at {@code path} (/console leads to the page, which asks for the token) and signs in with
     * {@code token}, out of whatever token another test left in the tab.
     */
    private static void signIn(String path, String token) {
        browser.get(service.server.getURI() + path);
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        browser.get(service.server.getURI() + path);
        waitFor(d -> d.findElement(By.id("token")).isDisplayed());
        browser.findElement(By.id("token")).sendKeys(token);
        browser.findElement(By.id("sign-in-submit")).click();
    }

    /** Clicks a control that asks for confirmation, checks the question, and confirms. */
    private static void clickAndConfirm(String css, String question) {
        waitFor(d -> {
            d.findElement(By.cssSelector(css)).click();
            return true;
        });
        waitFor(d -> d.findElement(By.id("confirm")).isDisplayed());
        assertThat(browser.findElement(By.id("confirm-title")).getText()).isEqualTo(question);
        browser.findElement(By.id("confirm-ok")).click();
        waitFor(d -> !d.findElement(By.id("confirm")).isDisplayed());
    }

    private static WebElement row(WebDriver driver, String key) {
        return driver.findElement(By.cssSelector("tr[data-run-key='" + key + "']"));
    }

    private static String text(WebDriver driver, String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    /** Reads from the page, again if what it read was re-rendered meanwhile. */
    private static String read(Function<WebDriver, String> reading) {
        return waitFor(reading);
    }

    /** Waits for a condition on the page, which re-renders every few seconds (so elements go stale). */
    private static <T> T waitFor(Function<WebDriver, T> condition) {
        return new WebDriverWait(browser, WAIT)
                .ignoring(StaleElementReferenceException.class)
                .ignoring(NoSuchElementException.class)
                .until(condition::apply);
    }

    private static String create(String token, String key, String timeouts) throws Exception {
        return create(token, key, timeouts, null);
    }

    private static String create(String token, String key, String timeouts, String cleanup) throws Exception {
        String body = "{\"key\":\"" + key + "\"" + (timeouts == null ? "" : ",\"timeouts\":" + timeouts)
                + (cleanup == null ? "" : ",\"cleanup\":" + cleanup) + "}";
        HttpResponse<String> response = post("/api/v1/runs", token, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static String status(String token, String id) throws Exception {
        JsonNode run = JSON.readTree(service.call("GET", "/api/v1/runs/" + id, token, null).body());
        return run.get("status").asText();
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        return service.call("POST", path, token, body);
    }
}
