package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.vigil.contracts.event.Check;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The request edge against hostile input: what the API accepts, PostgreSQL and the events can hold;
 * everything else is a 4xx problem, never a 500 (real PostgreSQL and broker).
 */
@ExtendWith(RealInfraExtension.class)
class RequestEdgeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static RunServiceHarness service;
    private static String acme;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "request-edge-it.", Map.of());
        acme = RunServiceHarness.token("alice", "acme", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aFinishWithoutItsAttemptIsRefused() throws Exception {
        String id = create("no-attempt");
        HttpResponse<String> response = post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"SUCCEEDED\"}");
        assertProblem(response, 400, "attempt is required");
        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":null}")
                .statusCode()).isEqualTo(400);
        assertThat(post("/api/v1/runs/" + id + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}")
                .statusCode()).isEqualTo(200);
    }

    @ParameterizedTest(name = "text {index}")
    @ValueSource(strings = {"\u0000", "nul \u0000 inside", "bell \u0007", "escape \u001b[2J", "unit separator \u001f",
        "unpaired \ud800 surrogate"})
    void textPostgresCannotStoreIsA400InEveryField(String bad) throws Exception {
        String key = "text-" + UUID.randomUUID();
        assertProblem(post("/api/v1/runs", acme, json(Map.of("key", key + bad))), 400, "key has");
        assertProblem(post("/api/v1/runs", acme, json(Map.of("key", key, "kind", bad))), 400, "kind has");
        assertProblem(post("/api/v1/runs", acme, json(Map.of("key", key, "agentId", "agent" + bad))), 400, "agentId");
        if (Check.unstorableAt(bad) >= 0 && !Character.isSurrogate(bad.charAt(Check.unstorableAt(bad)))) {
            // A query string is UTF-8: an unpaired surrogate cannot be sent in one.
            assertProblem(get("/api/v1/runs?key=" + URLEncoder.encode(bad, StandardCharsets.UTF_8), acme), 400, "key has");
        }
        String id = create(key);
        assertProblem(post("/api/v1/runs/" + id + "/finish", acme,
                json(Map.of("outcome", "FAILED", "attempt", 1, "error", "boom" + bad))), 400, "error has");
        assertThat(status(id)).isEqualTo("PENDING");
        assertThat(JSON.readTree(get("/api/v1/runs?key=" + key, acme).body()).get("items")).hasSize(1);
    }

    @Test
    void tabsNewLinesAndUnicodeAreText() throws Exception {
        String key = "unicode-" + UUID.randomUUID() + " ｒｕｎ 日本 \uD83D\uDE00";
        HttpResponse<String> created = post("/api/v1/runs", acme, json(Map.of("key", key, "kind", "a\tb\r\nc")));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = JSON.readTree(created.body()).get("id").asText();
        HttpResponse<String> finished = post("/api/v1/runs/" + id + "/finish", acme,
                json(Map.of("outcome", "FAILED", "attempt", 1, "error", "line 1\n\tline 2 — ✓")));
        assertThat(JSON.readTree(finished.body()).get("error").asText()).isEqualTo("line 1\n\tline 2 — ✓");
        assertThat(((RunCreated) runEvents(id, 1).get(0)).key()).isEqualTo(key);
    }

    @Test
    void anErrorTheApiAcceptsIsOneTheEventAccepts() throws Exception {
        String tooLong = create("long-error");
        assertProblem(post("/api/v1/runs/" + tooLong + "/finish", acme, json(Map.of("outcome", "FAILED", "attempt", 1,
                "error", "x".repeat(Check.MAX_TEXT_LENGTH + 1)))), 400, "error is longer than 2048 characters");
        assertThat(status(tooLong)).isEqualTo("PENDING");

        String longest = create("longest-error");
        HttpResponse<String> finished = post("/api/v1/runs/" + longest + "/finish", acme, json(Map.of("outcome", "FAILED",
                "attempt", 1, "error", "y".repeat(Check.MAX_TEXT_LENGTH))));
        assertThat(finished.statusCode()).as(finished.body()).isEqualTo(200);
        assertThat(runEvents(longest, 2)).filteredOn(RunFinished.class::isInstance).singleElement()
                .satisfies(e -> assertThat(((RunFinished) e).error()).hasSize(Check.MAX_TEXT_LENGTH));
    }

    @Test
    void anUpperCaseIdAddressesTheSameRunAndEveryEventCarriesTheCanonicalId() throws Exception {
        String id = create("upper-case");
        String upper = id.toUpperCase();
        JsonNode run = JSON.readTree(get("/api/v1/runs/" + upper, acme).body());
        assertThat(run.get("id").asText()).isEqualTo(id);
        assertThat(post("/api/v1/runs/" + upper + "/stop", acme, null).statusCode()).isEqualTo(202);
        assertThat(JSON.readTree(post("/api/v1/runs/" + upper + "/finish", acme,
                "{\"outcome\":\"ABORTED\",\"attempt\":1}").body()).get("id").asText()).isEqualTo(id);
        HttpResponse<String> retried = post("/api/v1/runs/" + upper + "/retry", acme, null);
        assertThat(JSON.readTree(retried.body()).get("attempt").asInt()).as(retried.body()).isEqualTo(2);

        List<ConsumerRecord<String, RunEvent>> records = service.read(service.topics.runEvents().name(),
                service.topics.runEvents().valueSerde().deserializer(), Duration.ofSeconds(15),
                rs -> rs.stream().filter(r -> id.equals(r.key())).count() >= 4);
        List<ConsumerRecord<String, RunEvent>> ofRun = records.stream()
                .filter(r -> id.equalsIgnoreCase(r.key()) || id.equalsIgnoreCase(r.value().runId())).toList();
        assertThat(ofRun).extracting(r -> r.value().type())
                .containsExactly("RunCreated", "RunStopRequested", "RunFinished", "RunCreated");
        assertThat(ofRun).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(id);
            assertThat(r.value().runId()).isEqualTo(id);
        });
        assertThat(service.read(service.topics.commands().name(), service.topics.commands().valueSerde().deserializer(),
                Duration.ofSeconds(15), rs -> rs.stream().anyMatch(r -> id.equals(r.key()))).stream()
                .filter(r -> id.equalsIgnoreCase(r.key())))
                .singleElement().satisfies(r -> assertThat(r.value().runId()).isEqualTo(id));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"%7B{id}%7D", "urn:uuid:{id}", "{id}0", "{short}", "{nodash}"})
    void otherFormsOfAnIdNameNoRun(String form) throws Exception {
        String id = create("forms-" + UUID.randomUUID());
        String path = form.replace("{id}", id).replace("{nodash}", id.replace("-", ""))
                .replace("{short}", "1-1-1-1-1");
        assertProblem(get("/api/v1/runs/" + path, acme), 404, "run ids are UUIDs");
        assertProblem(post("/api/v1/runs/" + path + "/stop", acme, null), 404, "run ids are UUIDs");
        assertProblem(post("/api/v1/runs/" + path + "/finish", acme, "{\"outcome\":\"SUCCEEDED\",\"attempt\":1}"),
                404, "run ids are UUIDs");
        assertThat(status(id)).isEqualTo("PENDING");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"missing", "empty", "blank", "number", "list", "object", "space", "nul", "too long",
        "starts with a dash"})
    void aWorkspaceClaimThatIsNotAWorkspaceIdIs403(String which) throws Exception {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject("alice").expirationTime(inAnHour());
        switch (which) {
            case "missing" -> { }
            case "empty" -> claims.claim("workspace", "");
            case "blank" -> claims.claim("workspace", "  ");
            case "number" -> claims.claim("workspace", 42);
            case "list" -> claims.claim("workspace", List.of("acme"));
            case "object" -> claims.claim("workspace", Map.of("name", "acme"));
            case "space" -> claims.claim("workspace", "ac me");
            case "nul" -> claims.claim("workspace", "acme\u0000");
            case "too long" -> claims.claim("workspace", "a".repeat(Check.MAX_ID_LENGTH + 1));
            default -> claims.claim("workspace", "-acme");
        }
        String token = RunServiceHarness.token(claims.build());
        assertProblem(post("/api/v1/runs", token, "{\"key\":\"ws-" + UUID.randomUUID() + "\"}"), 403, "workspace");
        assertProblem(get("/api/v1/runs", token), 403, "workspace");
        assertProblem(get("/api/v1/runs/" + UUID.randomUUID(), token), 403, "workspace");
        assertProblem(get("/api/v1/runs/summary", token), 403, "workspace");
    }

    @Test
    void aSubjectWithControlCharactersIs403ForWrites() throws Exception {
        String token = RunServiceHarness.token(new JWTClaimsSet.Builder().subject("al\u0000ice").claim("workspace", "acme")
                .expirationTime(inAnHour()).build());
        assertProblem(post("/api/v1/runs", token, "{\"key\":\"subject-" + UUID.randomUUID() + "\"}"), 403, "subject");
        String id = create("subject-victim");
        assertProblem(post("/api/v1/runs/" + id + "/stop", token, null), 403, "subject");
        assertThat(status(id)).isEqualTo("PENDING");
    }

    @Test
    void aTokenWithoutExpiryIsRefused() throws Exception {
        String forever = RunServiceHarness.token(new JWTClaimsSet.Builder().subject("alice").claim("workspace", "acme")
                .build());
        HttpResponse<String> response = get("/api/v1/runs", forever);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(post("/api/v1/runs", forever, "{\"key\":\"forever\"}").statusCode()).isEqualTo(401);
        assertThat(get("/api/v1/runs", acme).statusCode()).as("the same claims with exp").isEqualTo(200);
    }

    private static Date inAnHour() {
        return Date.from(Instant.now().plus(Duration.ofHours(1)));
    }

    private static void assertProblem(HttpResponse<String> response, int status, String detail) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type"))
                .hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
        JsonNode problem = JSON.readTree(response.body());
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("detail").asText()).contains(detail);
    }

    private static String json(Map<String, Object> body) throws Exception {
        // Escaped, so an unpaired surrogate reaches the server as it is (UTF-8 cannot carry one).
        return JSON.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII).writeValueAsString(body);
    }

    private static String status(String id) throws Exception {
        return JSON.readTree(get("/api/v1/runs/" + id, acme).body()).get("status").asText();
    }

    private static String create(String key) throws Exception {
        HttpResponse<String> response = post("/api/v1/runs", acme, json(Map.of("key", key)));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static List<RunEvent> runEvents(String runId, int atLeast) {
        return service.valuesOf(service.topics.runEvents(), runId, atLeast);
    }

    private static HttpResponse<String> get(String path, String token) throws Exception {
        return service.call("GET", path, token, null);
    }

    private static HttpResponse<String> post(String path, String token, String body) throws Exception {
        return service.call("POST", path, token, body);
    }
}
