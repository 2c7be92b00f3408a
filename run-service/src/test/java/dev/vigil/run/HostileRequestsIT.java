package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.vigil.infra.Infra;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Generated hostile requests against the real service (PostgreSQL and broker): random and boundary
 * JSON, ids in every form, unicode with control characters and NUL, oversize strings, wrong types,
 * bad tokens, and another workspace's run ids. Whatever comes in: never a 5xx, every 4xx a problem
 * body, and the other workspace's runs stay as they were. jqwik prints the seed; rerun one with
 * {@code @Property(seed = "...")}.
 */
class HostileRequestsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectWriter ESCAPING = JSON.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII);
    private static KafkaBroker kafka;
    private static PostgresDatabase db;
    private static RunServiceHarness service;
    private static String globex;
    private static final List<String> ownRuns = new ArrayList<>();
    private static final Map<String, JsonNode> victims = new LinkedHashMap<>();
    private static final Map<String, String> tokens = new LinkedHashMap<>();

    @BeforeContainer
    static void start() throws Exception {
        kafka = Infra.startKafka();
        db = Infra.startPostgres();
        service = new RunServiceHarness(kafka, db, "hostile-requests-it.", Map.of());
        globex = RunServiceHarness.token("victor", "globex", Duration.ofHours(1));
        String acme = RunServiceHarness.token("mallory", "acme", Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            victims.put(create(globex, "victim-" + i), null);
            ownRuns.add(create(acme, "own-" + i));
        }
        for (String id : victims.keySet()) {
            victims.put(id, stable(id));
        }
        Date hour = Date.from(Instant.now().plus(Duration.ofHours(1)));
        tokens.put("acme", acme);
        tokens.put("acme operator", RunServiceHarness.token("mallory", "acme", Duration.ofHours(1), List.of("operator")));
        tokens.put("none", null);
        tokens.put("garbage", "not.a.jwt");
        tokens.put("expired", RunServiceHarness.token("mallory", "acme", Duration.ofMinutes(-5)));
        tokens.put("no exp", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mallory")
                .claim("workspace", "acme").build()));
        tokens.put("workspace NUL", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mallory")
                .claim("workspace", "globex\u0000").expirationTime(hour).build()));
        tokens.put("workspace number", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mallory")
                .claim("workspace", 7).expirationTime(hour).build()));
        tokens.put("workspace list", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mallory")
                .claim("workspace", List.of("globex")).expirationTime(hour).build()));
        tokens.put("subject NUL", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mal\u0000lory")
                .claim("workspace", "acme").expirationTime(hour).build()));
        tokens.put("roles not a list", RunServiceHarness.token(new JWTClaimsSet.Builder().subject("mallory")
                .claim("workspace", "acme").claim("roles", 5).expirationTime(hour).build()));
    }

    @AfterContainer
    static void stop() throws Exception {
        if (service != null) {
            service.close();
        }
        if (db != null) {
            db.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Property // tries: jqwik.tries.default (junit-platform.properties; -Djqwik.tries.default=N for a longer attack)
    void noRequestGetsA5xxEvery4xxIsAProblemAndNoOtherWorkspacesRunChanges(@ForAll("requests") Request request)
            throws Exception {
        HttpResponse<String> response = service.call(request.method(), request.path(), tokens.get(request.token()),
                request.body());
        int status = response.statusCode();
        assertThat(status).as("%s -> %s", request, response.body()).isLessThan(500);
        if (status >= 400) {
            assertThat(response.headers().firstValue("Content-Type")).as("%s -> %s", request, response.body())
                    .hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));
            assertThat(JSON.readTree(response.body()).get("status").asInt()).isEqualTo(status);
        }
        for (Map.Entry<String, JsonNode> victim : victims.entrySet()) {
            assertThat(stable(victim.getKey())).as("globex's run %s after %s", victim.getKey(), request)
                    .isEqualTo(victim.getValue());
        }
    }

    /** One generated HTTP call; the token is named so a failure reads well. */
    record Request(String method, String path, String token, String body) {
        @Override
        public String toString() {
            return method + " " + path + " (token " + token + ") " + (body == null ? "" : abbreviated(body));
        }

        private static String abbreviated(String body) {
            return body.length() > 300 ? body.substring(0, 300) + "... (" + body.length() + " chars)" : body;
        }
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<String> token = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just("acme")),
                Tuple.of(2, Arbitraries.just("acme operator")), Tuple.of(2, Arbitraries.of(List.copyOf(tokens.keySet()))));
        Arbitrary<Request> create = Combinators.combine(token, createBody())
                .as((t, b) -> new Request("POST", "/api/v1/runs", t, b));
        Arbitrary<Request> get = Combinators.combine(token, runId())
                .as((t, id) -> new Request("GET", "/api/v1/runs/" + id, t, null));
        Arbitrary<Request> timeline = Combinators.combine(token, runId())
                .as((t, id) -> new Request("GET", "/api/v1/runs/" + id + "/timeline", t, null));
        Arbitrary<Request> stop = Combinators.combine(token, runId(), Arbitraries.of("", "?force=true", "?force=false",
                        "?force=maybe", "?force="))
                .as((t, id, force) -> new Request("POST", "/api/v1/runs/" + id + "/stop" + force, t, null));
        Arbitrary<Request> finish = Combinators.combine(token, runId(), finishBody())
                .as((t, id, b) -> new Request("POST", "/api/v1/runs/" + id + "/finish", t, b));
        Arbitrary<Request> retry = Combinators.combine(token, runId())
                .as((t, id) -> new Request("POST", "/api/v1/runs/" + id + "/retry", t, null));
        Arbitrary<Request> list = Combinators.combine(token, text(), Arbitraries.of("key", "status", "limit", "cursor",
                        "stuck"))
                .as((t, v, param) -> new Request("GET", "/api/v1/runs?" + param + "=" + encode(v), t, null));
        return Arbitraries.frequencyOf(Tuple.of(3, create), Tuple.of(2, get), Tuple.of(1, timeline), Tuple.of(2, stop),
                Tuple.of(3, finish), Tuple.of(1, retry), Tuple.of(1, list));
    }

    private static Arbitrary<String> runId() {
        Arbitrary<String> victim = Arbitraries.of(List.copyOf(victims.keySet()));
        Arbitrary<String> own = Arbitraries.of(ownRuns);
        return Arbitraries.oneOf(
                victim, victim.map(String::toUpperCase), own, own.map(String::toUpperCase),
                victim.map(id -> "%7B" + id + "%7D"), victim.map(id -> id.replace("-", "")),
                Arbitraries.create(() -> UUID.randomUUID().toString()),
                Arbitraries.of("1-1-1-1-1", "00000000-0000-0000-0000-000000000000", "summary", "%00", "%2F", "..",
                        "%E2%80%AE", "a".repeat(300)),
                text().map(HostileRequestsIT::encode).filter(s -> !s.isEmpty()));
    }

    private static Arbitrary<String> createBody() {
        Arbitrary<Map<String, Object>> fields = Arbitraries.maps(
                Arbitraries.of("key", "key", "kind", "agentId", "timeouts", "cleanup", "colour"), value()).ofMaxSize(5)
                .map(m -> {
                    Map<String, Object> body = new LinkedHashMap<>(m);
                    body.computeIfPresent("timeouts", (k, v) -> v instanceof String s ? Map.of("heartbeat", s) : v);
                    body.computeIfPresent("cleanup", (k, v) -> v instanceof String s
                            ? Map.of("namespace", "agents", "labels", Map.of("slot", s)) : v);
                    return body;
                });
        return Arbitraries.oneOf(json(fields), text(), Arbitraries.of("", "{", "null", "[]", "{\"key\":", "\u0000"));
    }

    private static Arbitrary<String> finishBody() {
        Arbitrary<Object> outcome = Arbitraries.oneOf(Arbitraries.of("SUCCEEDED", "FAILED", "ABORTED", "TIMED_OUT",
                "RUNNING", "succeeded"), value());
        Arbitrary<Object> attempt = Arbitraries.oneOf(Arbitraries.of(1, 2, 0, -1, Integer.MAX_VALUE, 1L << 40),
                value());
        Arbitrary<Map<String, Object>> fields = Combinators.combine(outcome, attempt, value(),
                        Arbitraries.integers().between(0, 7))
                .as((o, a, e, mask) -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    if ((mask & 1) == 0) {
                        body.put("outcome", o);
                    }
                    if ((mask & 2) == 0) {
                        body.put("attempt", a);
                    }
                    if ((mask & 4) == 0) {
                        body.put("error", e);
                    }
                    return body;
                });
        return Arbitraries.oneOf(json(fields), text(), Arbitraries.of("", "{", "null", "{\"outcome\":\"FAILED\",\"attempt\":1,"
                + "\"attempt\":2}"));
    }

    /** A JSON value of any type, strings weighted towards the hostile ones. */
    private static Arbitrary<Object> value() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, text().map(s -> (Object) s)),
                Tuple.of(2, Arbitraries.<Object>of(0, -1, 1, 2, Integer.MIN_VALUE, Long.MAX_VALUE, 1.5, 1e308, true, false)),
                Tuple.of(1, Arbitraries.<Object>just(null)),
                Tuple.of(1, Arbitraries.<Object>of(List.of("a", 1), Map.of("nested", "\u0000"), Map.of(), List.of())));
    }

    /** Unicode incl. control characters, NUL and unpaired surrogates, boundary and oversize lengths. */
    private static Arbitrary<String> text() {
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(40);
        Arbitrary<String> controls = Arbitraries.strings().withCharRange('\u0000', '\u001f').withChars('a', '-', ' ')
                .ofMinLength(1).ofMaxLength(10);
        Arbitrary<String> boundary = Arbitraries.of(0, 1, 127, 128, 129, 255, 256, 257, 2047, 2048, 2049, 4097, 20_000)
                .flatMap(n -> Arbitraries.of('x', '\u00e9', '\u0000').map(c -> String.valueOf(c).repeat(n)));
        Arbitrary<String> idLike = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '.', ':', '@', '_')
                .ofMinLength(1).ofMaxLength(20);
        return Arbitraries.frequencyOf(Tuple.of(3, anyChars), Tuple.of(3, controls), Tuple.of(2, boundary),
                Tuple.of(2, idLike), Tuple.of(1, Arbitraries.of("PT30S", "-PT5S", "P400D", "PT0S", "agents", "Bad_NS",
                        "vigil.dev/x", "session", "\uD83D\uDE00", "\uD800", "\uDFFF\uD800", "\u202E", "' or 1=1 --")));
    }

    private static Arbitrary<String> json(Arbitrary<Map<String, Object>> fields) {
        return Combinators.combine(fields, Arbitraries.of(true, false)).as((body, escape) -> {
            try {
                // Escaped, an unpaired surrogate reaches the server as it is; unescaped, text goes as UTF-8.
                return escape ? ESCAPING.writeValueAsString(body) : JSON.writeValueAsString(body);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** What must not change of another workspace's run (progress and stuckness move on their own). */
    private static JsonNode stable(String id) throws Exception {
        JsonNode run = JSON.readTree(service.call("GET", "/api/v1/runs/" + id, globex, null).body());
        return JSON.createObjectNode().put("status", run.get("status").asText()).put("attempt", run.get("attempt").asInt())
                .put("stopAttempts", run.get("stopAttempts").asInt()).put("error", run.get("error").asText())
                .put("key", run.get("key").asText());
    }

    private static String create(String token, String key) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", token, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }
}
