package dev.vigil.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.vigil.contracts.event.FirstHeartbeatReceived;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.infra.KafkaBroker;
import dev.vigil.infra.PostgresDatabase;
import dev.vigil.infra.RealInfraExtension;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Live streams of a run's changes (server-sent events) on the real database and broker: a page waiting on a run sees
 * each change as it commits, in order, resumes with Last-Event-ID without losing or repeating one, follows a key
 * across runs, hears a keep-alive comment while nothing happens, and another workspace's run does not exist.
 */
@ExtendWith(RealInfraExtension.class)
class RunStreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RunServiceHarness service;
    private static String user;

    @BeforeAll
    static void start(KafkaBroker kafka, PostgresDatabase db) throws Exception {
        service = new RunServiceHarness(kafka, db, "stream-it.", Map.of("vigil.streams.keep-alive", "1s"));
        user = RunServiceHarness.token("alice", "streams", Duration.ofHours(1));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    /** One server-sent event: its id, name and data, or a comment. */
    record Sse(String id, String name, String data, String comment) {
    }

    @Test
    void aPageWaitingOnARunSeesEachChangeInOrderAndResumesWhereItLeftOff() throws Exception {
        String id = create("chat-stream");
        List<Sse> seen = new ArrayList<>();
        try (Stream stream = open("/api/v1/runs/" + id + "/events", null)) {
            seen.add(stream.next(e -> e.name() != null));
            assertThat(seen.get(0).name()).isEqualTo("run.created");
            service.publish(service.topics.runActivity().name(), id, FirstHeartbeatReceived.of(id, 1, null, Instant.now()));
            seen.add(stream.next(e -> e.name() != null));
            service.publish(service.topics.timeouts().name(), id, RunTimedOut.of(id, 1, Reason.HEARTBEAT_TIMEOUT,
                    Instant.now(), Instant.now().minusSeconds(30), null, false, null));
            seen.add(stream.next(e -> e.name() != null));
            assertThat(stream.next(e -> e.comment() != null).comment()).as("a quiet stream hears keep-alives")
                    .isEqualTo("keep-alive");
        }
        assertThat(seen).extracting(Sse::name).containsExactly("run.created", "run.started", "run.timed_out");
        JsonNode timedOut = JSON.readTree(seen.get(2).data());
        assertThat(timedOut.get("runId").asText()).isEqualTo(id);
        assertThat(timedOut.get("toStatus").asText()).isEqualTo("TIMED_OUT");
        assertThat(timedOut.get("reason").asText()).isEqualTo("heartbeat_timeout");
        assertThat(Long.parseLong(seen.get(1).id())).isGreaterThan(Long.parseLong(seen.get(0).id()));

        // The page reloads having seen run.started: it gets what followed, and nothing twice.
        try (Stream resumed = open("/api/v1/runs/" + id + "/events", seen.get(1).id())) {
            Sse next = resumed.next(e -> e.name() != null);
            assertThat(next.name()).isEqualTo("run.timed_out");
            assertThat(next.id()).isEqualTo(seen.get(2).id());
        }
    }

    @Test
    void aKeyStreamFollowsEveryRunOfTheKey() throws Exception {
        String first = create("key-stream");
        assertThat(service.call("POST", "/api/v1/runs/" + first + "/finish", user,
                "{\"outcome\":\"FAILED\",\"error\":\"boom\",\"attempt\":1}").statusCode()).isEqualTo(200);
        String second = create("key-stream");
        try (Stream stream = open("/api/v1/runs/events?key=key-stream", null)) {
            List<Sse> events = List.of(stream.next(e -> e.name() != null), stream.next(e -> e.name() != null),
                    stream.next(e -> e.name() != null));
            assertThat(events).extracting(Sse::name).containsExactly("run.created", "run.finished", "run.created");
            assertThat(events).extracting(e -> JSON.readTree(e.data()).get("runId").asText())
                    .containsExactly(first, first, second);
        }
    }

    @Test
    void anotherWorkspacesRunHasNoStream() throws Exception {
        String id = create("private-stream");
        String other = RunServiceHarness.token("eve", "elsewhere", Duration.ofHours(1));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(service.server.getURI()
                + "/api/v1/runs/" + id + "/events")).header("Authorization", "Bearer " + other).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(404);
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(URI.create(service.server.getURI()
                + "/api/v1/runs/" + id + "/events")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    private static String create(String key) throws Exception {
        HttpResponse<String> response = service.call("POST", "/api/v1/runs", user, "{\"key\":\"" + key + "\"}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return JSON.readTree(response.body()).get("id").asText();
    }

    private static Stream open(String path, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(service.server.getURI() + path))
                .header("Authorization", "Bearer " + user).header("Accept", "text/event-stream");
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/event-stream"));
        return new Stream(response.body());
    }

    /** Reads events off a stream on a thread of its own. */
    static final class Stream implements AutoCloseable {
        private final InputStream body;
        private final BlockingQueue<Sse> events = new ArrayBlockingQueue<>(1000);

        Stream(InputStream body) {
            this.body = body;
            Thread reader = new Thread(this::read, "sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String id = null;
                String name = null;
                StringBuilder data = null;
                String comment = null;
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        if (id != null || name != null || data != null || comment != null) {
                            events.add(new Sse(id, name, data == null ? null : data.toString(), comment));
                        }
                        id = name = comment = null;
                        data = null;
                    } else if (line.startsWith(":")) {
                        comment = line.substring(1).trim();
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).trim();
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).trim();
                    } else if (line.startsWith("data:")) {
                        data = (data == null ? new StringBuilder() : data.append('\n')).append(line.substring(5).trim());
                    }
                }
            } catch (Exception closed) {
                // the test closed the stream
            }
        }

        Sse next(java.util.function.Predicate<Sse> wanted) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                Sse event = events.poll(200, TimeUnit.MILLISECONDS);
                if (event != null && wanted.test(event)) {
                    return event;
                }
            }
            throw new AssertionError("no such event within 30 s");
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }
}
