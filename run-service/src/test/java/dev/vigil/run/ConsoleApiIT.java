package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.CleanupOutcome;
import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.contracts.event.CleanupTrigger;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What the console reads: summary counts, stuck runs, timelines with the cleaner's work; and the page itself. */
@ExtendWith(RealInfraExtension.class)
class ConsoleApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static RunServiceHarness service;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "console-api-it.", Map.of());
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void theSummaryCountsTheCallersWorkspaceOnly() throws Exception {
        String a = token("summary-a");
        String b = token("summary-b");
        create(a, "a-1", null);
        create(a, "a-2", null);
        String done = create(a, "a-3", null);
        post("/api/v1/runs/" + done + "/finish", a, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
        create(b, "b-1", null);

        JsonNode summary = json(get("/api/v1/runs/summary", a));
        assertThat(summary.get("workspace").asText()).isEqualTo("summary-a");
        assertThat(summary.at("/counts/PENDING").asLong()).isEqualTo(2);
        assertThat(summary.at("/counts/SUCCEEDED").asLong()).isEqualTo(1);
        assertThat(summary.at("/counts/TIMED_OUT").asLong()).as("every status, zeros too").isZero();
        assertThat(summary.get("counts")).hasSize(7);
        assertThat(summary.get("total").asLong()).isEqualTo(3);
        assertThat(summary.get("stuck")).hasSize(3);
        assertThat(summary.get("stuckTotal").asLong()).isZero();

        JsonNode other = json(get("/api/v1/runs/summary", b));
        assertThat(other.get("total").asLong()).isEqualTo(1);
        assertThat(other.at("/counts/PENDING").asLong()).isEqualTo(1);
        assertThat(get("/api/v1/runs/summary", null).statusCode()).isEqualTo(401);
    }

    @Test
    void activeRunsPastTheirCurrentTimeoutAreFlaggedStuckInViewsListsAndCounts() throws Exception {
        String t = token("stuck");
        String fine = create(t, "fine", null);
        String pending = create(t, "pending", "{\"start\":\"PT1S\"}");
        String running = create(t, "running", "{\"heartbeat\":\"PT1S\"}");
        // Its only reported heartbeat is already older than the reporting slack (40 s, which covers the
        // sweeper's liveness refresh), so it is stuck once its 1 s heartbeat timeout passes too.
        service.publish(service.topics.runActivity().name(), running,
                FirstHeartbeatReceived.of(running, 1, null, Instant.now().minusSeconds(Stuck.REPORTING_SLACK_SECONDS)));
        String terminating = create(t, "terminating", "{\"stop\":\"PT1S\"}");
        assertThat(json(post("/api/v1/runs/" + terminating + "/stop", t, null)).get("stuck").isNull()).isTrue();

        Awaitility.await().atMost(WAIT).until(() -> json(get("/api/v1/runs/summary", t)).get("stuckTotal").asLong() == 3);
        assertThat(stuck(t, pending).get("reason").asText()).isEqualTo("start_timeout");
        assertThat(stuck(t, running).get("reason").asText()).isEqualTo("heartbeat_timeout");
        assertThat(stuck(t, terminating).get("reason").asText()).isEqualTo("stop_timeout");
        assertThat(stuck(t, pending).get("detail").asText()).contains("no first heartbeat", "PT1S");
        assertThat(stuck(t, fine).isNull()).isTrue();
        JsonNode summary = json(get("/api/v1/runs/summary", t));
        assertThat(summary.at("/stuck/PENDING").asLong()).isEqualTo(1);
        assertThat(summary.at("/stuck/RUNNING").asLong()).isEqualTo(1);
        assertThat(summary.at("/stuck/TERMINATING").asLong()).isEqualTo(1);
        assertThat(ids(json(get("/api/v1/runs?stuck=true", t)))).containsExactly(terminating, running, pending);

        // The sweeper's timeout ends it; a retry is a fresh attempt whose start timeout starts now.
        service.publish(service.topics.timeouts().name(), pending, RunTimedOut.of(pending, 1, Reason.START_TIMEOUT,
                Instant.now(), null, null, false, null));
        Awaitility.await().atMost(WAIT).until(() -> status(t, pending).equals("TIMED_OUT"));
        assertThat(stuck(t, pending).isNull()).as("terminal runs are never stuck").isTrue();
        JsonNode retried = json(post("/api/v1/runs/" + pending + "/retry", t, null));
        assertThat(retried.get("attempt").asInt()).isEqualTo(2);
        assertThat(retried.get("stuck").isNull()).as("measured from the retry").isTrue();
        assertThat(Instant.parse(retried.get("attemptCreatedAt").asText()))
                .isAfter(Instant.parse(retried.get("createdAt").asText()));
        assertThat(ids(json(get("/api/v1/runs?stuck=true&status=RUNNING", t)))).containsExactly(running);
        assertThat(ids(json(get("/api/v1/runs?stuck=true", token("elsewhere"))))).isEmpty();
    }

    @Test
    void theTimelineHasTheAuditTrailAndEachCleanupStoredOnce() throws Exception {
        String t = token("timeline");
        String id = create(t, "with-resources", null, "{\"namespace\":\"agents\"}");
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, "agent-7", Instant.now()));
        Awaitility.await().atMost(WAIT).until(() -> status(t, id).equals("RUNNING"));
        service.publish(service.topics.runActivity().name(), id, ProgressReported.of(id, 1, 3L, "chapter 3", 9,
                Instant.now()));
        Awaitility.await().atMost(WAIT).until(() -> json(get("/api/v1/runs/" + id, t)).at("/progress/steps").asLong() == 3);
        post("/api/v1/runs/" + id + "/stop", t, null);
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.STOP_TIMEOUT, Instant.now(),
                Instant.now(), null, false, 1));
        Awaitility.await().atMost(WAIT).until(() -> status(t, id).equals("TIMED_OUT"));

        CleanupPerformed deployment = CleanupPerformed.of(id, 1, "agents", "Deployment", "session-" + id,
                CleanupOutcome.DELETED, CleanupTrigger.RUN_FINISHED, null);
        CleanupPerformed unknownRun = CleanupPerformed.of(UUID.randomUUID().toString(), 1, "agents", "Pod", "orphan",
                CleanupOutcome.DELETED, CleanupTrigger.GARBAGE_COLLECTION, null);
        CleanupPerformed service1 = CleanupPerformed.of(id, 1, "agents", "Service", "session-" + id,
                CleanupOutcome.ALREADY_GONE, CleanupTrigger.RUN_FINISHED, null);
        String cleanups = service.topics.cleanups().name();
        service.publish(cleanups, id, deployment);
        service.publish(cleanups, id, deployment); // a duplicate: the same eventId
        service.publish(cleanups, unknownRun.runId(), unknownRun);
        service.publishRaw(cleanups, id, "{\"type\":\"CleanupPerformed\"}".getBytes());
        service.publish(cleanups, id, service1); // same key, same partition: read after the duplicate and the poison

        Awaitility.await().atMost(WAIT).until(() -> entries(t, id, "cleanup").size() == 2);
        JsonNode timeline = json(get("/api/v1/runs/" + id + "/timeline", t));
        assertThat(timeline.at("/run/id").asText()).isEqualTo(id);
        assertThat(timeline.at("/run/attempt").asInt()).isEqualTo(1);
        List<String> actions = new ArrayList<>();
        timeline.get("entries").forEach(e -> actions.add(e.get("kind").asText() + ":" + e.get("action").asText()));
        assertThat(actions).containsExactly("audit:created", "audit:started", "progress:progress", "audit:stop_requested",
                "audit:force_terminated", "cleanup:resource_deleted", "cleanup:resource_already_gone");
        List<Instant> times = new ArrayList<>();
        timeline.get("entries").forEach(e -> times.add(Instant.parse(e.get("at").asText())));
        assertThat(times).as("oldest first").isSorted();
        JsonNode forced = entries(t, id, "audit").get(3);
        assertThat(forced.get("reason").asText()).isEqualTo("stop_timeout");
        assertThat(forced.get("toStatus").asText()).isEqualTo("TIMED_OUT");
        assertThat(forced.get("actor").asText()).isEqualTo("vigil:sweeper");
        JsonNode resource = entries(t, id, "cleanup").get(0).get("resource");
        assertThat(resource.get("kind").asText()).isEqualTo("Deployment");
        assertThat(resource.get("namespace").asText()).isEqualTo("agents");
        assertThat(resource.get("name").asText()).isEqualTo("session-" + id);
        assertThat(resource.get("outcome").asText()).isEqualTo("DELETED");
        assertThat(resource.get("trigger").asText()).isEqualTo("RUN_FINISHED");
        assertThat(cleanupRows(deployment.eventId())).as("the duplicate is stored once").isEqualTo(1);

        assertThat(get("/api/v1/runs/" + id + "/timeline", token("other")).statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/runs/" + UUID.randomUUID() + "/timeline", t).statusCode()).isEqualTo(404);
    }

    @Test
    void theConsoleIsServedFromTheJarWithoutATokenAndLocksItselfDown() throws Exception {
        HttpResponse<String> page = get("/console/", null);
        assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("text/html"));
        assertThat(page.body()).contains("<title>Vigil console</title>", "console.js");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'"));
        HttpResponse<String> script = get("/console/console.js", null);
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("javascript"));
        assertThat(get("/console/console.css", null).statusCode()).isEqualTo(200);
        HttpResponse<String> bare = get("/console", null);
        assertThat(bare.statusCode()).as("/console leads to the page, where its relative links work").isEqualTo(303);
        assertThat(bare.headers().firstValue("Location")).hasValue("console/");
        assertThat(get("/console/index.html", null).body()).contains("<title>Vigil console</title>");
        assertThat(get("/console/nothing-here.js", null).statusCode()).isEqualTo(404);
    }

    private static String token(String workspace) throws Exception {
        return RunServiceHarness.token("alice", workspace, Duration.ofHours(1));
    }

    private static String create(String token, String key, String timeouts) throws Exception {
        return create(token, key, timeouts, null);
    }

    private static String create(String token, String key, String timeouts, String cleanup) throws Exception {
        String body = "{\"key\":\"" + key + "\"" + (timeouts == null ? "" : ",\"timeouts\":" + timeouts)
                + (cleanup == null ? "" : ",\"cleanup\":" + cleanup) + "}";
        HttpResponse<String> response = post("/api/v1/runs", token, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json(response).get("id").asText();
    }

    private static JsonNode stuck(String token, String id) throws Exception {
        return json(get("/api/v1/runs/" + id, token)).get("stuck");
    }

    private static String status(String token, String id) throws Exception {
        return json(get("/api/v1/runs/" + id, token)).get("status").asText();
    }

    private static List<String> ids(JsonNode page) {
        List<String> ids = new ArrayList<>();
        page.get("items").forEach(run -> ids.add(run.get("id").asText()));
        return ids;
    }

    private static List<JsonNode> entries(String token, String id, String kind) throws Exception {
        List<JsonNode> found = new ArrayList<>();
        json(get("/api/v1/runs/" + id + "/timeline", token)).get("entries").forEach(e -> {
            if (e.get("kind").asText().equals(kind)) {
                found.add(e);
            }
        });
        return found;
    }

    private static long cleanupRows(String eventId) throws Exception {
        PostgresDatabase db = service.db;
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password());
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select count(*) from console_api_it_db.run_cleanups where event_id = '"
                     + eventId + "'")) {
            r.next();
            return r.getLong(1);
        }
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        return service.call("GET", path, token, null);
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        return service.call("POST", path, token, body);
    }
}
