package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.ProgressReported;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCommand;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.StopRun;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The run API, its outbox and its timeout consumer, on the real PostgreSQL and broker. One class (long on
 * purpose) for the API's whole contract, so that its tests share one run-service, which takes seconds to start.
 */
@ExtendWith(RealInfraExtension.class)
class RunApiIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunServiceHarness service;
    private static String acme;
    private static String globex;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "run-api-it.", Map.of());
        acme = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
        globex = RunServiceHarness.token("mallory", "globex", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void kafkaClientSettingsWithDotsInTheirNamesReachTheClients() {
        assertThat(service.server.getApplicationContext().getBean(KafkaSettings.class).clientConfig())
                .containsEntry("client.dns.lookup", "use_all_dns_ips");
    }

    @Test
    void createReturnsThePendingRunAndPublishesRunCreatedThroughTheOutbox() throws Exception {
        HttpResponse<String> created = post("/api/v1/runs", acme, """
                {"key":"chat-1","kind":"chat-turn","agentId":"agent-1",
                 "timeouts":{"heartbeat":"PT20S","start":"PT1M"},"cleanup":{"namespace":"agents"}}""");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode run = JSON.readTree(created.body());
        String id = run.get("id").asText();
        assertThat(created.headers().firstValue("Location")).contains("/api/v1/runs/" + id);
        assertThat(run.get("status").asText()).isEqualTo("PENDING");
        assertThat(run.get("attempt").asInt()).isEqualTo(1);
        assertThat(run.at("/timeouts/heartbeat").asText()).isEqualTo("PT20S");
        assertThat(run.at("/timeouts/stop").asText()).as("defaults fill the rest").isEqualTo("PT45S");
        assertThat(JSON.convertValue(run.at("/cleanup/labels"), Map.class)).isEqualTo(Map.of(
                "session", id, "app.kubernetes.io/managed-by", "vigil", "vigil.dev/workspace", "acme"));

        RunCreated event = (RunCreated) runEvents(id, 1).get(0);
        assertThat(event.workspace()).isEqualTo("acme");
        assertThat(event.timeouts().heartbeat()).isEqualTo(Duration.ofSeconds(20));
        assertThat(event.cleanup().labels()).isEqualTo(Map.of(
                "session", id, "app.kubernetes.io/managed-by", "vigil", "vigil.dev/workspace", "acme"));

        assertThat(JSON.readTree(get("/api/v1/runs/" + id, acme).body()).get("key").asText()).isEqualTo("chat-1");
    }

    @Test
    void concurrentCreatesForOneKeyLetExactlyOneWinAndTheOthersNameIt() throws Exception {
        int racers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            results.add(pool.submit((Callable<HttpResponse<String>>) () -> {
                go.await();
                return post("/api/v1/runs", acme, "{\"key\":\"race-key\"}");
            }));
        }
        go.countDown();
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (Future<HttpResponse<String>> result : results) {
            responses.add(result.get());
        }
        pool.shutdown();
        List<HttpResponse<String>> winners = responses.stream().filter(r -> r.statusCode() == 201).toList();
        assertThat(winners).hasSize(1);
        String winner = JSON.readTree(winners.get(0).body()).get("id").asText();
        assertThat(responses).filteredOn(r -> r.statusCode() != 201).hasSize(racers - 1).allSatisfy(r -> {
            assertThat(r.statusCode()).isEqualTo(409);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
            assertThat(JSON.readTree(r.body()).get("detail").asText())
                    .isEqualTo("another run is active for key 'race-key': " + winner);
        });
    }

    @Test
    void anotherWorkspacesRunsDoNotExistForTheCaller() throws Exception {
        String id = create("private-key");
        assertThat(get("/api/v1/runs/" + id, globex).statusCode()).isEqualTo(404);
        assertThat(post("/api/v1/runs/" + id + "/stop", globex, null).statusCode()).isEqualTo(404);
        assertThat(post("/api/v1/runs/" + id + "/finish", globex, "{\"outcome\":\"FAILED\",\"attempt\":1}").statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(get("/api/v1/runs?key=private-key", globex).body()).get("items")).isEmpty();
        assertThat(JSON.readTree(get("/api/v1/runs/" + id, acme).body()).get("status").asText()).isEqualTo("PENDING");
    }

    @Test
    void tokensAreRequiredAndChecked() throws Exception {
        assertThat(get("/api/v1/runs", null).statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/runs", "not-a-jwt").statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/runs", RunServiceHarness.token("alice", "acme", Duration.ofMinutes(-5))).statusCode())
                .as("expired").isEqualTo(401);
        String forged = acme.substring(0, acme.lastIndexOf('.') + 1) + "AAAA" + acme.substring(acme.lastIndexOf('.') + 5);
        assertThat(get("/api/v1/runs", forged).statusCode()).as("wrong signature").isEqualTo(401);
        assertThat(get("/api/v1/runs", RunServiceHarness.token("alice", null, Duration.ofHours(1))).statusCode())
                .as("no workspace claim").isEqualTo(403);
        assertThat(get("/health", null).statusCode()).isEqualTo(200);
        assertThat(get("/prometheus", null).body()).contains("vigil_runs", "vigil_outbox_pending");
        assertThat(get("/swagger/vigil-run-service-1.yml", null).body()).contains("/api/v1/runs/{id}/finish");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no labels        | ",
        "empty map        | {}",
        "only user labels | {\"slot\":\"a\",\"team\":\"search\"}",
    })
    void aRunsCleanupSelectorAlwaysHoldsItsOwnLabelManagedByAndItsWorkspaceAndUserLabelsOnlyNarrowIt(
            String name, String labels) throws Exception {
        HttpResponse<String> created = post("/api/v1/runs", globex, "{\"key\":\"narrow-" + UUID.randomUUID()
                + "\",\"cleanup\":{\"namespace\":\"agents\"" + (labels == null ? "" : ",\"labels\":" + labels) + "}}");
        assertThat(created.statusCode()).isEqualTo(201);
        JsonNode run = JSON.readTree(created.body());
        String id = run.get("id").asText();
        Map<String, String> expected = new java.util.HashMap<>(
                Map.of("session", id, "app.kubernetes.io/managed-by", "vigil", "vigil.dev/workspace", "globex"));
        if (labels != null) {
            expected.putAll(JSON.readValue(labels, new com.fasterxml.jackson.core.type.TypeReference<Map<String, String>>() { }));
        }
        assertThat(JSON.convertValue(run.at("/cleanup/labels"), Map.class)).isEqualTo(expected);
        assertThat(((RunCreated) runEvents(id, 1).get(0)).cleanup().labels()).isEqualTo(expected);
        HttpResponse<String> finished = post("/api/v1/runs/" + id + "/finish", globex, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
        assertThat(JSON.convertValue(JSON.readTree(finished.body()).at("/cleanup/labels"), Map.class)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "the run label (another run's id) | session                      | 6f1c0000-0000-4000-8000-000000000000",
        "managed-by                       | app.kubernetes.io/managed-by | vigil",
        "another workspace                | vigil.dev/workspace          | acme",
        "the attempt                      | vigil.dev/attempt            | 1",
        "anything under vigil.dev/        | vigil.dev/anything           | x",
    })
    void reservedLabelKeysAreRefusedInACleanupTarget(String name, String key, String value) throws Exception {
        HttpResponse<String> response = post("/api/v1/runs", globex, "{\"key\":\"reserved-" + UUID.randomUUID()
                + "\",\"cleanup\":{\"namespace\":\"agents\",\"labels\":{\"slot\":\"a\",\"" + key + "\":\"" + value + "\"}}}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).get("detail").asText()).contains("reserved label '" + key + "'");
        assertThat(JSON.readTree(get("/api/v1/runs?limit=500", globex).body()).get("items").toString())
                .as("nothing created").doesNotContain("reserved-");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "unknown field        | {\"key\":\"k\",\"colour\":\"red\"}                 | colour",
        "missing key          | {\"kind\":\"x\"}                                     | key",
        "negative timeout     | {\"key\":\"k\",\"timeouts\":{\"heartbeat\":\"-PT5S\"}} | timeouts.heartbeat must be between",
        "absurd timeout       | {\"key\":\"k\",\"timeouts\":{\"maxDuration\":\"P400D\"}} | timeouts.maxDuration must be between",
        "not a duration       | {\"key\":\"k\",\"timeouts\":{\"stop\":\"soon\"}}     | stop",
        "bad namespace        | {\"key\":\"k\",\"cleanup\":{\"namespace\":\"Bad_NS\"}} | not a Kubernetes namespace name",
        "bad agent id         | {\"key\":\"k\",\"agentId\":\"a b\"}                  | agentId must be",
        "malformed JSON       | {\"key\":                                           | ",
    })
    void invalidCreatesAreRejectedWithAProblemSayingWhatIsWrong(String name, String body, String detail) throws Exception {
        HttpResponse<String> response = post("/api/v1/runs", acme, body);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("problem+json"));
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").asText()).isNotBlank().contains(detail == null ? "" : detail.trim());
    }

    @Test
    void otherBadRequestsAreRejectedToo() throws Exception {
        assertThat(get("/api/v1/runs/not-a-uuid", acme).statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(get("/api/v1/runs/not-a-uuid", acme).body()).get("detail").asText())
                .contains("run ids are UUIDs");
        assertThat(get("/api/v1/runs/" + UUID.randomUUID(), acme).statusCode()).isEqualTo(404);
        assertThat(get("/api/v1/runs?status=DONE", acme).statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/runs?limit=0", acme).statusCode()).isEqualTo(400);
        assertThat(get("/api/v1/runs?cursor=garbage", acme).statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/runs", acme, "{\"key\":\"" + "x".repeat(70_000) + "\"}").statusCode()).isEqualTo(413);
        String id = create("finish-validation");
        assertThat(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"TIMED_OUT\",\"attempt\":1}").statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"MAYBE\",\"attempt\":1}").statusCode()).isEqualTo(400);
    }

    @Test
    void listingPagesNewestFirstAndFilters() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(create("page-key-" + i));
        }
        post("/api/v1/runs/" + ids.get(4) + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}");
        JsonNode first = JSON.readTree(get("/api/v1/runs?limit=2", acme).body());
        assertThat(first.get("items")).hasSize(2);
        assertThat(first.get("items").get(0).get("id").asText()).isEqualTo(ids.get(4));
        JsonNode second = JSON.readTree(get("/api/v1/runs?limit=2&cursor=" + first.get("nextCursor").asText(), acme).body());
        assertThat(second.get("items").get(0).get("id").asText()).isEqualTo(ids.get(2));
        JsonNode byKey = JSON.readTree(get("/api/v1/runs?key=page-key-3", acme).body());
        assertThat(byKey.get("items")).singleElement().satisfies(r -> assertThat(r.get("id").asText()).isEqualTo(ids.get(3)));
        JsonNode succeeded = JSON.readTree(get("/api/v1/runs?status=SUCCEEDED&key=page-key-4", acme).body());
        assertThat(succeeded.get("items")).hasSize(1);
        assertThat(succeeded.get("nextCursor").isNull()).isTrue();
    }

    @Test
    void theTerminalWriteHappensOnceAndIsNeverClobbered() throws Exception {
        String id = create("finish-once");
        JsonNode first = JSON.readTree(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}").body());
        assertThat(first.get("status").asText()).isEqualTo("SUCCEEDED");
        assertThat(first.get("reason").asText()).isEqualTo("completed");
        HttpResponse<String> again = post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"FAILED\",\"error\":\"late\",\"attempt\":1}");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).get("status").asText()).isEqualTo("SUCCEEDED");
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                Instant.now(), Instant.now(), null, false, null));
        Awaitility.await().pollDelay(Duration.ofSeconds(1)).until(() -> true);
        assertThat(runEvents(id, 2)).filteredOn(RunFinished.class::isInstance).singleElement()
                .satisfies(e -> assertThat(((RunFinished) e).status().name()).isEqualTo("SUCCEEDED"));
        assertThat(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"FAILED\",\"attempt\":2}").statusCode())
                .as("a finish naming another attempt").isEqualTo(409);
    }

    @Test
    void aFinishRacingATimeoutMakesExactlyOneTerminalWrite() throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(create("race-finish-" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> racing = new ArrayList<>();
        for (String id : ids) {
            racing.add(pool.submit(() -> {
                service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                        Instant.now(), Instant.now(), null, false, null));
                return null;
            }));
            racing.add(pool.submit(() -> post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}")));
        }
        for (Future<?> f : racing) {
            f.get();
        }
        pool.shutdown();
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> ids.stream().allMatch(this::timeoutConsumed));
        for (String id : ids) {
            JsonNode run = JSON.readTree(get("/api/v1/runs/" + id, acme).body());
            assertThat(run.get("status").asText()).isIn("SUCCEEDED", "TIMED_OUT");
            List<RunEvent> events = runEvents(id, 2);
            assertThat(events).filteredOn(RunFinished.class::isInstance).as("RunFinished of " + id).singleElement()
                    .satisfies(e -> assertThat(((RunFinished) e).status().name()).isEqualTo(run.get("status").asText()));
        }
    }

    @Test
    void timeoutsOfAnotherAttemptOrUnknownRunsAreIgnored() throws Exception {
        String id = create("zombie-timeout");
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 2, Reason.HEARTBEAT_TIMEOUT,
                Instant.now(), Instant.now(), null, false, null));
        service.publish(service.topics.timeouts().name(), "nobody", RunTimedOut.of("nobody", 1, Reason.START_TIMEOUT,
                Instant.now(), null, null, false, null));
        String marker = create("zombie-marker");
        service.publish(service.topics.timeouts().name(), marker, RunTimedOut.of(marker, 1, Reason.START_TIMEOUT,
                Instant.now(), null, null, false, null));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(marker).equals("TIMED_OUT"));
        assertThat(status(id)).isEqualTo("PENDING");
        JsonNode timedOut = JSON.readTree(get("/api/v1/runs/" + marker, acme).body());
        assertThat(timedOut.get("reason").asText()).isEqualTo("start_timeout");
        assertThat(timedOut.get("error").asText()).startsWith("no first heartbeat by");
    }

    @Test
    void aStopReachesTheAgentIsResentWhileItLivesAndForcedWhenItIsGone() throws Exception {
        String id = create("stop-me");
        HttpResponse<String> stopped = post("/api/v1/runs/" + id + "/stop", acme, null);
        assertThat(stopped.statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(stopped.body()).get("status").asText()).isEqualTo("TERMINATING");
        assertThat(JSON.readTree(post("/api/v1/runs/" + id + "/stop", acme, null).body()).get("stopAttempts").asInt())
                .as("stopping again changes nothing").isEqualTo(1);
        assertThat(commands(id, 1)).singleElement().satisfies(c -> assertThat(((StopRun) c).stopAttempt()).isEqualTo(1));

        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.STOP_TIMEOUT, Instant.now(),
                Instant.now(), null, true, 1));
        assertThat(commands(id, 2)).extracting(c -> ((StopRun) c).stopAttempt()).containsExactly(1, 2);
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.STOP_TIMEOUT, Instant.now(),
                Instant.now(), null, true, 1)); // a duplicate of the first stop's timeout: stale now
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.STOP_TIMEOUT, Instant.now(),
                Instant.now(), null, false, 2));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("TIMED_OUT"));
        JsonNode run = JSON.readTree(get("/api/v1/runs/" + id, acme).body());
        assertThat(run.get("reason").asText()).isEqualTo("stop_timeout");
        assertThat(run.get("stopAttempts").asInt()).isEqualTo(2);
        assertThat(runEvents(id, 4)).extracting(RunEvent::type)
                .containsExactly("RunCreated", "RunStopRequested", "RunStopRequested", "RunFinished");
        assertThat(post("/api/v1/runs/" + id + "/stop", acme, null).statusCode()).isEqualTo(409);
    }

    @Test
    void theFirstHeartbeatStartsTheRunAndProgressIsShown() throws Exception {
        String id = create("starts");
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
        service.publish(service.topics.runActivity().name(), id, ProgressReported.of(id, 1, 7L, "chapter 7", 12,
                Instant.now()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() ->
                JSON.readTree(get("/api/v1/runs/" + id, acme).body()).at("/progress/steps").asLong() == 7);
        JsonNode run = JSON.readTree(get("/api/v1/runs/" + id, acme).body());
        assertThat(run.get("status").asText()).isEqualTo("RUNNING");
        assertThat(run.at("/progress/message").asText()).isEqualTo("chapter 7");
        assertThat(runEvents(id, 2)).last().isInstanceOf(RunStarted.class);
    }

    @Test
    void poisonOnTheInputTopicsIsDeadLetteredAndTheConsumerGoesOn() throws Exception {
        service.publishRaw(service.topics.timeouts().name(), "x", new byte[] {1, 2, 3});
        service.publishRaw(service.topics.runActivity().name(), "x", "{\"type\":\"Heartbeat\"}".getBytes());
        String id = create("after-poison");
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.START_TIMEOUT,
                Instant.now(), null, null, false, null));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("TIMED_OUT"));
        List<ConsumerRecord<String, byte[]>> dead = service.read(service.topics.deadLetters().name(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer(), Duration.ofSeconds(10), rs -> rs.size() >= 2);
        assertThat(dead).hasSizeGreaterThanOrEqualTo(2);
    }

    private boolean timeoutConsumed(String id) {
        try {
            return !status(id).equals("PENDING") && runEvents(id, 2).size() >= 2;
        } catch (Exception e) {
            return false;
        }
    }

    private String status(String id) throws Exception {
        return JSON.readTree(get("/api/v1/runs/" + id, acme).body()).get("status").asText();
    }

    private static String create(String key) throws Exception {
        HttpResponse<String> response = post("/api/v1/runs", acme, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static List<RunEvent> runEvents(String runId, int atLeast) {
        return service.valuesOf(service.topics.runEvents(), runId, atLeast);
    }

    private static List<RunCommand> commands(String runId, int atLeast) {
        return service.valuesOf(service.topics.commands(), runId, atLeast);
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        return service.call("GET", path, token, null);
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        return service.call("POST", path, token, body);
    }

}
