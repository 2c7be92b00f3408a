package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.StallAction;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Retry (a new attempt of the same run), the fencing that protects it, and force stop. */
@ExtendWith(RealInfraExtension.class)
class RetryIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "retry-it-heartbeat-secret-0123456789abcdef";
    private static RunServiceHarness service;
    private static String user;
    private static String operator;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "retry-it.", Map.of("vigil.heartbeats.secret", SECRET));
        user = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
        operator = RunServiceHarness.token("olga", "acme", Duration.ofHours(1), List.of("operator"));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aTimedOutRunRetriesAsAttemptTwoAndAttemptOneCanNoLongerTouchIt() throws Exception {
        String id = create("retry-me");
        timeout(id, 1, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");

        HttpResponse<String> retried = post("/api/v1/runs/" + id + "/retry", user);
        assertThat(retried.statusCode()).isEqualTo(200);
        JsonNode run = JSON.readTree(retried.body());
        assertThat(run.get("attempt").asInt()).isEqualTo(2);
        assertThat(run.get("status").asText()).isEqualTo("PENDING");
        assertThat(run.get("reason").isNull()).isTrue();
        assertThat(runEvents(id, 3)).filteredOn(RunCreated.class::isInstance).extracting(RunEvent::attempt)
                .containsExactly(1, 2);

        // The zombie of attempt 1: its late activity, its timeout and its finish change nothing.
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
        service.publish(service.topics.runActivity().name(), id, ProgressReported.of(id, 1, 99L, "zombie", 5, Instant.now()));
        timeout(id, 1, Reason.HEARTBEAT_TIMEOUT);
        assertThat(post("/api/v1/runs/" + id + "/finish", user, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}").statusCode())
                .isEqualTo(409);
        // Attempt 2 starts, and then its own worker dies: it still times out correctly.
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 2, null, Instant.now()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("RUNNING"));
        JsonNode running = JSON.readTree(get("/api/v1/runs/" + id).body());
        assertThat(running.at("/progress/steps").isNull()).as("attempt 1's progress was not applied").isTrue();
        timeout(id, 2, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");
        assertThat(runEvents(id, 5)).filteredOn(RunFinished.class::isInstance).extracting(RunEvent::attempt)
                .containsExactly(1, 2);
    }

    @Test
    void aRetryCanGiveItsAttemptNewTimeoutsAndKeepsTheRunsForTheRest() throws Exception {
        HttpResponse<String> created = post("/api/v1/runs", user,
                "{\"key\":\"retry-timeouts\",\"timeouts\":{\"heartbeat\":\"PT20S\",\"start\":\"PT1M\"}}");
        String id = JSON.readTree(created.body()).get("id").asText();
        timeout(id, 1, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");

        // Refused bodies change nothing: still attempt 1, still TIMED_OUT.
        for (String bad : List.of("{\"timeouts\":{\"heartbeat\":\"PT0.5S\"}}", "{\"timeouts\":{\"onStall\":\"flag\"}}",
                "{\"timeouts\":{\"progress\":\"PT1M\",\"onStall\":\"explode\"}}", "{\"timeouts\":{\"heartbeat\":\"soon\"}}",
                "{\"timeout\":{}}")) {
            HttpResponse<String> refused = post("/api/v1/runs/" + id + "/retry", user, bad);
            assertThat(refused.statusCode()).as(bad + " -> " + refused.body()).isEqualTo(400);
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("application/problem+json"));
        }
        JsonNode unchanged = JSON.readTree(get("/api/v1/runs/" + id).body());
        assertThat(unchanged.get("attempt").asInt()).isEqualTo(1);
        assertThat(unchanged.get("status").asText()).isEqualTo("TIMED_OUT");

        HttpResponse<String> retried = post("/api/v1/runs/" + id + "/retry", user,
                "{\"timeouts\":{\"heartbeat\":\"PT45S\",\"progress\":\"PT10M\",\"onStall\":\"flag\"}}");
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        JsonNode timeouts = JSON.readTree(retried.body()).get("timeouts");
        assertThat(timeouts.get("heartbeat").asText()).isEqualTo("PT45S");
        assertThat(timeouts.get("start").asText()).as("kept from the run").isEqualTo("PT1M");
        assertThat(timeouts.get("progress").asText()).isEqualTo("PT10M");
        assertThat(timeouts.get("onStall").asText()).isEqualTo("flag");
        // The sweeper arms attempt 2 with them (its RunCreated), and the run keeps them for the next retry.
        assertThat(runEvents(id, 3)).filteredOn(RunCreated.class::isInstance).map(RunCreated.class::cast)
                .filteredOn(c -> c.attempt() == 2).singleElement().satisfies(c -> {
                    assertThat(c.timeouts().heartbeat()).isEqualTo(Duration.ofSeconds(45));
                    assertThat(c.timeouts().start()).isEqualTo(Duration.ofMinutes(1));
                    assertThat(c.timeouts().progress()).isEqualTo(Duration.ofMinutes(10));
                    assertThat(c.timeouts().onStall()).isEqualTo(StallAction.FLAG);
                });
        timeout(id, 2, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");
        JsonNode third = JSON.readTree(post("/api/v1/runs/" + id + "/retry", user, "{}").body());
        assertThat(third.get("attempt").asInt()).isEqualTo(3);
        assertThat(third.at("/timeouts/heartbeat").asText()).isEqualTo("PT45S");
        assertThat(third.at("/timeouts/onStall").asText()).isEqualTo("flag");
    }

    @Test
    void onlyRunsThatEndedBadlyCanBeRetriedAndOnlyWhileTheKeyIsFree() throws Exception {
        String done = create("retry-succeeded");
        post("/api/v1/runs/" + done + "/finish", user, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
        HttpResponse<String> succeeded = post("/api/v1/runs/" + done + "/retry", user);
        assertThat(succeeded.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(succeeded.body()).get("detail").asText()).contains("succeeded");

        String active = create("retry-active");
        assertThat(JSON.readTree(post("/api/v1/runs/" + active + "/retry", user).body()).get("detail").asText())
                .contains("is still PENDING");

        String failed = create("retry-key");
        post("/api/v1/runs/" + failed + "/finish", user, "{\"outcome\":\"FAILED\",\"error\":\"boom\",\"attempt\":1}");
        String newer = create("retry-key");
        HttpResponse<String> blocked = post("/api/v1/runs/" + failed + "/retry", user);
        assertThat(blocked.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(blocked.body()).get("detail").asText())
                .isEqualTo("another run is active for key 'retry-key': " + newer);
        assertThat(status(failed)).isEqualTo("FAILED");
    }

    @Test
    void aStopNamesTheAttemptItStopsAndAStopOfAnOlderAttemptIsRefused() throws Exception {
        String id = create("stop-attempt");
        timeout(id, 1, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");
        assertThat(post("/api/v1/runs/" + id + "/retry", user).statusCode()).isEqualTo(200);

        // A stop meant for attempt 1 (the caller saw it running) must not stop attempt 2.
        HttpResponse<String> stale = post("/api/v1/runs/" + id + "/stop?attempt=1", user);
        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(409);
        assertThat(JSON.readTree(stale.body()).get("detail").asText()).contains("attempt 1").contains("(2)");
        assertThat(status(id)).isEqualTo("PENDING");

        HttpResponse<String> stop = post("/api/v1/runs/" + id + "/stop?attempt=2", user);
        assertThat(stop.statusCode()).as(stop.body()).isEqualTo(202);
        assertThat(runEvents(id, 4)).filteredOn(dev.vigil.contracts.event.RunStopRequested.class::isInstance)
                .extracting(RunEvent::attempt).containsExactly(2);
        assertThat(service.valuesOf(service.topics.commands(), id, 1)).singleElement()
                .isInstanceOfSatisfying(dev.vigil.contracts.event.StopRun.class, command -> {
                    assertThat(command.attempt()).isEqualTo(2);
                    assertThat(command.workspace()).isEqualTo("acme");
                });
    }

    @Test
    void eachAttemptGetsItsOwnHeartbeatTokenAndOperatorsGetTheAgentCredential() throws Exception {
        HeartbeatTokens tokens = new HeartbeatTokens(SECRET);
        HttpResponse<String> created = post("/api/v1/runs", user, "{\"key\":\"tokens\",\"timeouts\":{\"heartbeat\":\"PT30S\"}}");
        JsonNode first = JSON.readTree(created.body());
        String id = first.get("id").asText();
        String token1 = first.at("/heartbeat/token").asText();
        assertThat(first.at("/heartbeat/attempt").asInt()).isEqualTo(1);
        assertThat(first.at("/heartbeat/interval").asText()).isEqualTo("PT10S");
        assertThat(tokens.verifiesRun(token1, id, 1)).isTrue();
        assertThat(JSON.readTree(get("/api/v1/runs/" + id).body()).at("/heartbeat/token").asText()).isEqualTo(token1);
        assertThat(JSON.readTree(get("/api/v1/runs?key=tokens").body()).at("/items/0/heartbeat").isNull())
                .as("lists carry no tokens").isTrue();

        timeout(id, 1, Reason.HEARTBEAT_TIMEOUT);
        awaitStatus(id, "TIMED_OUT");
        String token2 = JSON.readTree(post("/api/v1/runs/" + id + "/retry", user).body()).at("/heartbeat/token").asText();
        assertThat(tokens.verifiesRun(token2, id, 2)).isTrue();
        assertThat(tokens.verifiesRun(token1, id, 2)).as("the zombie's token keeps nothing alive").isFalse();

        assertThat(service.call("GET", "/api/v1/agents/credential", user, null).statusCode()).isEqualTo(403);
        HttpResponse<String> credential = service.call("GET", "/api/v1/agents/credential", operator, null);
        assertThat(credential.statusCode()).isEqualTo(200);
        assertThat(tokens.verifiesAgent(JSON.readTree(credential.body()).get("credential").asText(), "acme")).isTrue();
    }

    @Test
    void forceStopIsForOperatorsAndAbortsAtOnce() throws Exception {
        String id = create("force-me");
        assertThat(post("/api/v1/runs/" + id + "/stop?force=true", user).statusCode()).isEqualTo(403);
        HttpResponse<String> forced = post("/api/v1/runs/" + id + "/stop?force=true", operator);
        assertThat(forced.statusCode()).isEqualTo(200);
        JsonNode run = JSON.readTree(forced.body());
        assertThat(run.get("status").asText()).isEqualTo("ABORTED");
        assertThat(run.get("reason").asText()).isEqualTo("user_force");
        assertThat(run.get("error").asText()).isEqualTo("force-stopped by user:olga");
        assertThat(runEvents(id, 2)).last().isInstanceOfSatisfying(RunFinished.class,
                f -> assertThat(f.reason()).isEqualTo(Reason.USER_FORCE));
        assertThat(post("/api/v1/runs/" + id + "/stop?force=true", operator).statusCode()).isEqualTo(409);
    }

    private static void timeout(String id, int attempt, Reason reason) throws Exception {
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, attempt, reason, Instant.now(),
                Instant.now(), null, false, null));
    }

    private static void awaitStatus(String id, String status) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals(status));
    }

    private static String status(String id) throws Exception {
        return JSON.readTree(get("/api/v1/runs/" + id).body()).get("status").asText();
    }

    private static String create(String key) throws Exception {
        HttpResponse<String> response = post("/api/v1/runs", user, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static List<RunEvent> runEvents(String runId, int atLeast) {
        return service.valuesOf(service.topics.runEvents(), runId, atLeast);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return service.call("GET", path, user, null);
    }

    private static HttpResponse<String> post(String path, String token) throws Exception {
        return service.call("POST", path, token, null);
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        return service.call("POST", path, token, body);
    }
}
