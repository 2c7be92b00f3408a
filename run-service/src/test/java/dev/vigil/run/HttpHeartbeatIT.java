package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.heartbeat.HeartbeatTokens;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RawHttp;
import dev.vigil.infra.RealInfraExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * POST /api/v1/runs/{id}/heartbeats on the real broker: one curl keeps a run alive, and nothing else does. Run as is,
 * the plain beats go through the Netty fast path ({@code FastHeartbeats}); {@link HttpHeartbeatControllerIT} runs
 * every test again with the fast path off, so both paths give the same answers.
 */
@ExtendWith(RealInfraExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpHeartbeatIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "http-heartbeat-it-secret-0123456789abcdef";
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    RunServiceHarness service;
    String user;

    /** Whether the Netty fast path is on; the plain beats then go through it, else through the controller. */
    boolean fastPath() {
        return true;
    }

    @BeforeAll
    void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, fastPath() ? "http-hb-it." : "http-hb-controller-it.",
                Map.<String, Object>of("vigil.heartbeats.secret", SECRET, "vigil.heartbeats.fast-path", fastPath()));
        user = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
        // The heartbeats topic was just created: until its leader is known a beat is (rightly) a 503. The tests are
        // about what follows; the outage answer has its own test.
        JsonNode warmUp = created("http-warm-up").get("heartbeat");
        Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> post(warmUp.get("url").asText(),
                "Bearer " + warmUp.get("token").asText(), null).statusCode() == 202);
    }

    @AfterAll
    void stop() {
        service.close();
    }

    /** The create response's heartbeat block. */
    private JsonNode created(String key) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", user, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).isEqualTo(201);
        return JSON.readTree(response.body());
    }

    private static HttpResponse<String> post(String url, String authorization, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String url(String runId) {
        return service.server.getURI() + "/api/v1/runs/" + runId + "/heartbeats";
    }

    @Test
    @Order(1)
    void aBeatWithTheCreateResponsesTokenAndUrlIsOnTheBrokerWhenItIsAccepted() throws Exception {
        JsonNode run = created("http-beat");
        String id = run.get("id").asText();
        JsonNode heartbeat = run.get("heartbeat");
        assertThat(heartbeat.get("url").asText()).isEqualTo(url(id));
        String token = heartbeat.get("token").asText();
        assertThat(token).startsWith("vr2~acme~1~");

        HttpResponse<String> accepted = post(heartbeat.get("url").asText(), "Bearer " + token,
                "{\"steps\":3,\"message\":\"chapter 3\",\"seq\":7}");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        assertThat(JSON.readTree(accepted.body()).get("attempt").asInt()).isEqualTo(1);
        // The simplest curl: no body, the token in the query.
        assertThat(post(url(id) + "?token=" + token, null, null).statusCode()).isEqualTo(202);

        List<Heartbeat> beats = service.valuesOf(service.topics.heartbeats(), id, 2);
        assertThat(beats).hasSize(2);
        assertThat(beats.get(0)).satisfies(beat -> {
            assertThat(beat.attempt()).isEqualTo(1);
            assertThat(beat.steps()).isEqualTo(3L);
            assertThat(beat.message()).isEqualTo("chapter 3");
            assertThat(beat.seq()).isEqualTo(7L);
            assertThat(beat.token()).isEqualTo(token);
        });
        assertThat(beats.get(1).steps()).isNull();
    }

    @Test
    @Order(2)
    void aWrongMissingOrForeignTokenIs401AndAnotherAttemptsIs409() throws Exception {
        String mine = created("http-mine").get("id").asText();
        JsonNode other = created("http-other");
        String othersToken = other.at("/heartbeat/token").asText();
        String myToken = new HeartbeatTokens(SECRET).forRun("acme", mine, 1);

        for (String authorization : new String[] {null, "Bearer ", "Bearer " + othersToken, "Bearer " + user,
                "Bearer " + new HeartbeatTokens("another-deployments-secret-0123456789ab").forRun("acme", mine, 1),
                "Basic " + myToken, "Bearer " + myToken.replace("~acme~", "~globex~")}) {
            HttpResponse<String> refused = post(url(mine), authorization, null);
            assertThat(refused.statusCode()).as("%s: %s", authorization, refused.body()).isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        HttpResponse<String> otherAttempt = post(url(mine), "Bearer " + myToken, "{\"attempt\":2}");
        assertThat(otherAttempt.statusCode()).as(otherAttempt.body()).isEqualTo(409);
        assertThat(JSON.readTree(otherAttempt.body()).get("detail").asText()).contains("attempt 1");
    }

    @Test
    @Order(3)
    void aZombieOfAnAttemptARetryReplacedIsTold409AndTheRetrysWorkerIsNot() throws Exception {
        JsonNode run = created("http-zombie");
        String id = run.get("id").asText();
        String zombie = "Bearer " + run.at("/heartbeat/token").asText();
        service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                Instant.now(), Instant.now(), null, false, null));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> service.status(user, id).equals("TIMED_OUT"));
        HttpResponse<String> retried = service.call("POST", "/api/v1/runs/" + id + "/retry", user, null);
        assertThat(retried.statusCode()).as(retried.body()).isEqualTo(200);
        String current = "Bearer " + JSON.readTree(retried.body()).at("/heartbeat/token").asText();
        assertThat(current).contains("~acme~2~");

        // Once this replica has read the retry's RunCreated (it reads vigil.run-events, not the database).
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> told = post(url(id), zombie, null);
            assertThat(told.statusCode()).as(told.body()).isEqualTo(409);
            assertThat(JSON.readTree(told.body()).get("detail").asText()).contains("replaced by attempt 2");
        });
        assertThat(post(url(id), current, null).statusCode()).isEqualTo(202);
    }

    @Test
    @Order(4)
    void badBodiesAndRunIdsAreProblemsNeverFiveHundreds() throws Exception {
        String id = created("http-bad").get("id").asText();
        String bearer = "Bearer " + new HeartbeatTokens(SECRET).forRun("acme", id, 1);
        Map<String, Integer> expected = Map.of(
                "{\"steps\":-1}", 400,
                "{\"message\":\"" + "x".repeat(2049) + "\"}", 400,
                "{\"message\":\"nul \\u0000\"}", 400,
                "{\"steps\":", 400,
                "[1,2]", 400,
                "{\"attempt\":0}", 400,
                "{\"unknown\":1}", 400);
        for (Map.Entry<String, Integer> body : expected.entrySet()) {
            HttpResponse<String> response = post(url(id), bearer, body.getKey());
            assertThat(response.statusCode()).as("%s: %s", body.getKey(), response.body()).isEqualTo(body.getValue());
        }
        assertThat(post(url("not-a-run"), bearer, null).statusCode()).isEqualTo(404);
        assertThat(post(service.server.getURI() + "/api/v1/runs/" + id + "/heartbeats", bearer,
                "{\"message\":\"" + "y".repeat(70_000) + "\"}").statusCode()).isEqualTo(413);
    }

    @Test
    @Order(5)
    void oneAgentBeatKeepsTheAgentAndEachRunItNamesWithThatRunsTokenAlive() throws Exception {
        JsonNode mine = created("http-agent-run");
        String id = mine.get("id").asText();
        String someoneElses = UUID.randomUUID().toString();
        String credential = new HeartbeatTokens(SECRET).forAgent("acme");
        String url = service.server.getURI() + "/api/v1/agents/agent-7/heartbeats";
        String body = "{\"grace\":\"PT30S\",\"instanceId\":\"pod-1\",\"runs\":[{\"id\":\"" + id + "\",\"token\":\""
                + mine.at("/heartbeat/token").asText() + "\"},{\"id\":\"" + someoneElses + "\",\"token\":\""
                + mine.at("/heartbeat/token").asText() + "\"}]}";

        HttpResponse<String> accepted = post(url, "Bearer " + credential, body);
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode answer = JSON.readTree(accepted.body());
        assertThat(answer.get("workspace").asText()).isEqualTo("acme");
        assertThat(answer.at("/runs/" + id).asText()).isEqualTo("ACCEPTED");
        assertThat(answer.at("/runs/" + someoneElses).asText()).as("a token is one run's").isEqualTo("UNAUTHORIZED");
        assertThat(service.valuesOf(service.topics.agentHeartbeats(), "acme/agent-7", 1)).singleElement()
                .satisfies(beat -> {
                    assertThat(beat.grace()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(beat.instanceId()).isEqualTo("pod-1");
                    assertThat(beat.token()).isEqualTo(credential);
                });
        assertThat(service.valuesOf(service.topics.heartbeats(), id, 1)).singleElement()
                .satisfies(beat -> assertThat(beat.agentId()).isEqualTo("agent-7"));

        for (String wrong : new String[] {null, "Bearer " + mine.at("/heartbeat/token").asText(), "Bearer " + user,
                "Bearer " + credential.replace("~acme~", "~globex~")}) {
            assertThat(post(url, wrong, null).statusCode()).as(wrong).isEqualTo(401);
        }
        assertThat(post(url, "Bearer " + credential, "{\"grace\":\"30s\"}").statusCode()).isEqualTo(400);
        assertThat(post(service.server.getURI() + "/api/v1/agents/bad%20id/heartbeats", "Bearer " + credential, null)
                .statusCode()).isEqualTo(400);
    }

    @Test
    @Order(6)
    void aTokenBeatingFasterThanItsLimitIsToldToSlowDown() throws Exception {
        String id = UUID.randomUUID().toString(); // tokens are checked without the database: any run id will do
        String bearer = "Bearer " + new HeartbeatTokens(SECRET).forRun("acme", id, 1);
        List<Integer> codes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> response = post(url(id), bearer, null);
            codes.add(response.statusCode());
            if (response.statusCode() == 429) {
                assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            }
        }
        assertThat(codes).contains(202, 429).containsOnly(202, 429);
        // Another token is not held back by this one.
        String another = "Bearer " + new HeartbeatTokens(SECRET).forRun("acme", id, 2);
        assertThat(post(url(id), another, null).statusCode()).isEqualTo(202);
    }

    @Test
    @Order(7)
    void withoutTheBrokerABeatIs503WithRetryAfterNeverASilentDrop() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", service.bootstrap))) {
            admin.deleteTopics(List.of(service.topics.heartbeats().name())).all().get(30, TimeUnit.SECONDS);
        }
        String id = UUID.randomUUID().toString();
        HttpResponse<String> response = post(url(id), "Bearer " + new HeartbeatTokens(SECRET).forRun("acme", id, 1), null);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
    }

    @Test
    @Order(0)
    void pipelinedRequestsAreAnsweredInTheOrderTheyCameWhicheverPathServesThem() throws Exception {
        String id = created("http-pipelined").get("id").asText();
        String beat = "POST /api/v1/runs/" + id + "/heartbeats HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer "
                + new HeartbeatTokens(SECRET).forRun("acme", id, 1) + "\r\nContent-Type: application/json\r\n";
        // The first beat is the fast path's on that path (Micronaut owes nothing yet): what follows is held until it is
        // answered. A beat behind a request Micronaut has not answered yet is Micronaut's, whichever path is on.
        String[] requests = {
            beat + "Content-Length: 0\r\n\r\n",                                                // a plain beat
            "GET /health HTTP/1.1\r\nHost: vigil\r\n\r\n",                                  // Micronaut's
            beat + "Content-Length: 13\r\n\r\n{\"unknown\":1}",                             // Micronaut's 400
            beat + "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"ste\r\n6\r\nps\":3}\r\n0\r\n\r\n", // a beat in chunks
            "GET /api/v1/runs/" + id + " HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer " + user + "\r\n\r\n",
            beat + "Content-Length: 0\r\nConnection: close\r\n\r\n"};                      // the last one, then close
        try (Socket socket = new Socket(service.server.getHost(), service.server.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(String.join("", requests).getBytes(StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            List<Integer> statuses = new ArrayList<>();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < requests.length; i++) {
                String[] answer = RawHttp.readResponse(in);
                statuses.add(Integer.parseInt(answer[0].split(" ")[1]));
                bodies.add(answer[1]);
            }
            assertThat(statuses).as(bodies.toString()).containsExactly(202, 200, 400, 202, 200, 202);
            assertThat(bodies.get(1)).contains("UP");
            assertThat(bodies.get(3)).contains(id);
            assertThat(bodies.get(4)).contains("\"key\":\"http-pipelined\"");
            assertThat(in.read()).as("closed after the answer to Connection: close").isEqualTo(-1);
        }
        // Answered in order; appended in any (a beat sent before run-service has the topic's metadata is retried a few
        // milliseconds later, and one sent meanwhile can overtake it: the sweeper takes beats by broker time anyway).
        assertThat(service.valuesOf(service.topics.heartbeats(), id, 3)).extracting(Heartbeat::steps)
                .containsExactlyInAnyOrder(null, 3L, null);
    }

    @Test
    @Order(100)
    void everyRunBeatWasAnsweredByThePathUnderTest() {
        MeterRegistry registry = service.server.getApplicationContext().getBean(MeterRegistry.class);
        double netty = served(registry, "netty");
        double micronaut = served(registry, "micronaut");
        if (fastPath()) {
            assertThat(netty).isGreaterThan(40);
            // Only a pipelined beat behind a request Micronaut had not answered yet (the pipelining test has two).
            assertThat(micronaut).as("plain beats reached the controller").isLessThanOrEqualTo(2);
        } else {
            assertThat(netty).isZero();
            assertThat(micronaut).isGreaterThan(40);
        }
    }

    private static double served(MeterRegistry registry, String by) {
        Counter counter = registry.find("vigil.http.heartbeats.served").tag("by", by).counter();
        return counter == null ? 0 : counter.count();
    }
}
