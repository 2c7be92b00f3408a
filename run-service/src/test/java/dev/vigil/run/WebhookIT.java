package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Webhooks end to end on the real database and broker, to a receiver on a local port that checks signatures as the
 * Standard Webhooks specification says: a run's changes arrive in order, signed, each once accepted; a receiver
 * that is down gets the backlog in order when it returns; a delivery given up on marks the subscription failing
 * until a replay; deliveries written before a run-service died are delivered by the next one; another workspace
 * neither sees the subscription nor is told of its runs.
 */
@ExtendWith(RealInfraExtension.class)
class WebhookIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Object> FAST_RETRIES = Map.of("vigil.webhooks.allow-private-targets", true,
            "vigil.webhooks.first-retry", "200ms", "vigil.webhooks.retry-for", "4s", "vigil.webhooks.timeout", "2s");
    private static KafkaBroker kafka;
    private static PostgresDatabase db;
    private static RunServiceHarness service;
    private static WebhookReceiver receiver;
    private static String operator;
    private static String user;

    @BeforeAll
    static void start(KafkaBroker broker, PostgresDatabase database) throws Exception {
        kafka = broker;
        db = database;
        service = new RunServiceHarness(kafka, db, "webhook-it.", FAST_RETRIES);
        receiver = new WebhookReceiver();
        operator = RunServiceHarness.token("olga", "hooks", Duration.ofHours(1), List.of("operator"));
        user = RunServiceHarness.token("alice", "hooks", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
        receiver.close();
    }

    @Test
    void aSubscriberIsToldOfEachChangeOfARunInOrderSignedAsStandardWebhooksSays() throws Exception {
        JsonNode subscription = subscribe(service, operator, "/ordered", "{\"key\":\"ordered-key\"}");
        String secret = subscription.get("secret").asText();
        assertThat(secret).startsWith("whsec_");
        assertThat(get("/api/v1/webhooks/" + subscription.get("id").asText(), operator).hasNonNull("secret"))
                .as("the secret is shown once").isFalse();

        String id = createRun(service, "ordered-key");
        createRun(service, "another-key"); // filtered out by key
        service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("RUNNING"));
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                Instant.now(), Instant.now().minusSeconds(30), null, false, null));

        List<JsonNode> told = awaitAccepted("/ordered", 3);
        assertThat(told).extracting(p -> p.get("type").asText())
                .containsExactly("run.created", "run.started", "run.timed_out");
        assertThat(told).allSatisfy(p -> assertThat(p.at("/data/run/id").asText()).isEqualTo(id));
        assertThat(told.get(2).at("/data/run/status").asText()).isEqualTo("TIMED_OUT");
        assertThat(told.get(2).at("/data/reason").asText()).isEqualTo("heartbeat_timeout");
        assertThat(told.get(2).at("/data/run").has("heartbeat")).isTrue();
        assertThat(told.get(2).at("/data/run/heartbeat").isNull()).as("no heartbeat token in a webhook").isTrue();
        for (WebhookReceiver.Received r : received("/ordered")) {
            assertThat(WebhookReceiver.verifies(r, secret)).as(r.toString()).isTrue();
            assertThat(r.id()).startsWith("msg_");
            assertThat(Math.abs(Long.parseLong(r.timestamp()) - Instant.now().getEpochSecond())).isLessThan(60);
        }
        // Changing the body breaks the signature: the receiver's check is real.
        WebhookReceiver.Received first = received("/ordered").get(0);
        assertThat(WebhookReceiver.verifies(new WebhookReceiver.Received(first.path(), first.id(), first.timestamp(),
                first.signature(), first.body().replace("run.created", "run.finished"), 204), secret)).isFalse();

        // The cleaner's work on it, once per resource however often the event is delivered.
        CleanupPerformed deleted = CleanupPerformed.of(id, 1, "agents", "Deployment", "chat-" + id.substring(0, 8),
                CleanupOutcome.DELETED, CleanupTrigger.RUN_FINISHED, null);
        service.publish(service.topics.cleanups().name(), id, deleted);
        service.publish(service.topics.cleanups().name(), id, deleted); // redelivered
        JsonNode cleaned = awaitAccepted("/ordered", 4).get(3);
        assertThat(cleaned.get("type").asText()).isEqualTo("run.cleaned_up");
        assertThat(cleaned.at("/data/reason").asText()).isEqualTo("deleted");
        assertThat(cleaned.at("/data/detail").asText()).isEqualTo("Deployment agents/chat-" + id.substring(0, 8));
        stays(() -> received("/ordered").size() == 4); // the redelivered cleanup is not told twice

        JsonNode log = get("/api/v1/webhooks/" + subscription.get("id").asText() + "/deliveries", operator);
        assertThat(log.get("items")).hasSize(4).allSatisfy(d -> {
            assertThat(d.get("status").asText()).isEqualTo("DELIVERED");
            assertThat(d.at("/log/0/statusCode").asInt()).isEqualTo(204);
        });
    }

    @Test
    void aReceiverThatIsDownGetsTheBacklogInOrderWhenItReturnsAndAGivenUpDeliveryWaitsForAReplay() throws Exception {
        WebhookReceiver down = new WebhookReceiver();
        try {
            down.answer.set(503);
            JsonNode subscription = subscribeUrl(service, operator, down.url("/down"), "{\"key\":\"down-key\"}");
            String sub = subscription.get("id").asText();
            String id = createRun(service, "down-key");
            service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(id).equals("RUNNING"));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> down.received.size() >= 3);
            assertThat(down.received).extracting(r -> type(r.body())).as("only the oldest of the run, retried")
                    .containsOnly("run.created");

            down.answer.set(200); // back within the retry window: the backlog, in order
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> down.accepted().size() >= 2);
            assertThat(down.accepted()).extracting(r -> type(r.body())).containsExactly("run.created", "run.started");
            JsonNode created = get("/api/v1/webhooks/" + sub + "/deliveries", operator).get("items").get(1);
            assertThat(created.get("attempts").asInt()).isGreaterThan(1);
            assertThat(created.get("log")).extracting(a -> a.path("statusCode").asInt()).contains(503, 200);
            assertThat(created.get("lastStatus").asInt()).isEqualTo(200);

            down.answer.set(500); // down past the window: given up, the subscription failing, until a replay
            int before = down.received.size();
            assertThat(service.call("POST", "/api/v1/runs/" + id + "/stop", user, null).statusCode()).isEqualTo(202);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
                    get("/api/v1/webhooks/" + sub, operator).get("status").asText().equals("failing"));
            assertThat(down.received.size()).isGreaterThan(before + 1);
            JsonNode failed = get("/api/v1/webhooks/" + sub + "/deliveries", operator).get("items").get(0);
            assertThat(failed.get("status").asText()).isEqualTo("FAILED");
            assertThat(failed.get("eventType").asText()).isEqualTo("run.stop_requested");

            down.answer.set(200);
            JsonNode replayed = JSON.readTree(service.call("POST", "/api/v1/webhooks/" + sub + "/replay", operator, null)
                    .body());
            assertThat(replayed.get("deliveries").asInt()).isEqualTo(1);
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> down.accepted().size() >= 3);
            assertThat(down.accepted()).extracting(r -> type(r.body()))
                    .containsExactly("run.created", "run.started", "run.stop_requested");
            assertThat(get("/api/v1/webhooks/" + sub, operator).get("status").asText()).isEqualTo("ok");
        } finally {
            down.close();
        }
    }

    @Test
    void deliveriesWrittenBeforeRunServiceDiedAreDeliveredByTheNextOne() throws Exception {
        // A run-service that commits the changes and never delivers (it "dies" first), then another on its database.
        RunServiceHarness first = new RunServiceHarness(kafka, db, "webhook-restart.",
                Map.of("vigil.webhooks.allow-private-targets", true, "vigil.webhooks.dispatch", false));
        String id;
        try {
            subscribe(first, operator, "/restart", "{\"key\":\"restart-key\"}");
            id = createRun(first, "restart-key");
            assertThat(first.call("POST", "/api/v1/runs/" + id + "/finish", user,
                    "{\"outcome\":\"FAILED\",\"error\":\"quota\",\"attempt\":1}").statusCode()).isEqualTo(200);
            stays(() -> received("/restart").isEmpty()); // committed, never sent by this run-service
        } finally {
            first.close();
        }
        RunServiceHarness next = new RunServiceHarness(kafka, db, "webhook-restart.", FAST_RETRIES,
                RunServiceHarness.SECRET, false);
        try {
            List<JsonNode> told = awaitAccepted("/restart", 2);
            assertThat(told).extracting(p -> p.get("type").asText()).containsExactly("run.created", "run.finished");
            assertThat(told.get(1).at("/data/run/error").asText()).isEqualTo("quota");
        } finally {
            next.close();
        }
    }

    @Test
    void aReceiverThatNeverFinishesItsAnswerHoldsUpNoOtherDelivery() throws Exception {
        // It answers 200 with a body it never sends: the status is the answer, and nothing waits for the rest.
        try (ServerSocket half = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            List<Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                while (!half.isClosed()) {
                    try {
                        Socket socket = half.accept();
                        held.add(socket);
                        socket.getInputStream().read(new byte[65536]);
                        socket.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n".getBytes());
                        socket.getOutputStream().flush();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            subscribeUrl(service, operator, "http://127.0.0.1:" + half.getLocalPort() + "/half", "{\"key\":\"half-key\"}");
            subscribe(service, operator, "/beside-half", "{\"key\":\"half-key\"}");
            String id = createRun(service, "half-key");
            assertThat(service.call("POST", "/api/v1/runs/" + id + "/finish", user,
                    "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}").statusCode()).isEqualTo(200);
            assertThat(awaitAccepted("/beside-half", 2)).extracting(p -> p.get("type").asText())
                    .containsExactly("run.created", "run.finished");
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> held.size() >= 2);
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void anotherWorkspaceNeitherSeesTheSubscriptionNorIsToldOfItsRunsAndUsersCannotManageThem() throws Exception {
        JsonNode mine = subscribe(service, operator, "/mine", "{}");
        String other = RunServiceHarness.token("eve", "elsewhere", Duration.ofHours(1), List.of("operator"));
        String path = "/api/v1/webhooks/" + mine.get("id").asText();
        assertThat(service.call("GET", path, other, null).statusCode()).isEqualTo(404);
        assertThat(service.call("PATCH", path, other, "{\"enabled\":false}").statusCode()).isEqualTo(404);
        assertThat(service.call("DELETE", path, other, null).statusCode()).isEqualTo(404);
        assertThat(service.call("POST", path + "/replay", other, null).statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(service.call("GET", "/api/v1/webhooks", other, null).body())).isEmpty();
        assertThat(service.call("GET", "/api/v1/webhooks", user, null).statusCode()).as("not an operator").isEqualTo(403);

        String theirs = service.call("POST", "/api/v1/runs", RunServiceHarness.token("eve", "elsewhere",
                Duration.ofHours(1)), "{\"key\":\"elsewhere-key\"}").body();
        String theirId = JSON.readTree(theirs).get("id").asText();
        String ours = createRun(service, "mine-key");
        awaitAccepted("/mine", 1);
        stays(() -> received("/mine").stream().noneMatch(r -> r.body().contains(theirId)));
        assertThat(received("/mine")).extracting(r -> JSON.readTree(r.body()).at("/data/run/id").asText())
                .contains(ours).doesNotContain(theirId);
    }

    @Test
    void badSubscriptionsAreRefusedSayingWhy() throws Exception {
        for (String[] bad : new String[][] {
                {"{\"url\":\"ftp://example.com/hook\"}", "url must be http or https"},
                {"{\"url\":\"http://user:pw@example.com/hook\"}", "without user info"},
                {"{\"url\":\"" + receiver.url("/x") + "\",\"events\":[\"run.exploded\"]}", "unknown event type 'run.exploded'"},
                {"{\"url\":\"" + receiver.url("/x") + "\",\"events\":[]}", "events must name at least one"},
                {"{\"url\":\"" + receiver.url("/x") + "\",\"events\":[null]}", "unknown event type 'null'"},
                {"{\"url\":\"" + receiver.url("/x") + "\",\"key\":\"\"}", "key must be 1-256 characters"},
                {"{\"events\":[\"run.created\"]}", "url"}}) {
            HttpResponse<String> response = service.call("POST", "/api/v1/webhooks", operator, bad[0]);
            assertThat(response.statusCode()).as(bad[0] + " -> " + response.body()).isEqualTo(400);
            assertThat(JSON.readTree(response.body()).get("detail").asText()).as(bad[0]).contains(bad[1]);
        }
        HttpResponse<String> unknown = service.call("GET", "/api/v1/webhooks/not-an-id", operator, null);
        assertThat(unknown.statusCode()).isEqualTo(404);
    }

    private static JsonNode subscribe(RunServiceHarness on, String token, String path, String extra) throws Exception {
        return subscribeUrl(on, token, receiver.url(path), extra);
    }

    private static JsonNode subscribeUrl(RunServiceHarness on, String token, String url, String extra) throws Exception {
        String body = "{\"url\":\"" + url + "\"" + (extra.equals("{}") ? "}" : "," + extra.substring(1));
        HttpResponse<String> response = on.call("POST", "/api/v1/webhooks", token, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    private static String createRun(RunServiceHarness on, String key) throws Exception {
        HttpResponse<String> response = on.call("POST", "/api/v1/runs", user, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static List<WebhookReceiver.Received> received(String path) {
        return receiver.received.stream().filter(r -> r.path().equals(path)).toList();
    }

    /** Holds for a second on end: what must not arrive does not. */
    private static void stays(java.util.concurrent.Callable<Boolean> condition) {
        Awaitility.await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(condition);
    }

    private static List<JsonNode> awaitAccepted(String path, int count) throws Exception {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> received(path).size() >= count);
        List<JsonNode> payloads = new ArrayList<>();
        for (WebhookReceiver.Received r : received(path)) {
            payloads.add(JSON.readTree(r.body()));
        }
        return payloads;
    }

    private static String type(String body) {
        try {
            return JSON.readTree(body).get("type").asText();
        } catch (Exception e) {
            return "unreadable";
        }
    }

    private static String status(String id) throws Exception {
        return service.status(user, id);
    }

    private static JsonNode get(String path, String token) throws Exception {
        return JSON.readTree(service.call("GET", path, token, null).body());
    }
}
