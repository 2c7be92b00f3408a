package dev.vigil.contracts.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.contracts.EventSamples;
import dev.vigil.contracts.VigilHeaders;
import dev.vigil.contracts.event.Heartbeat;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunEvent;
import dev.vigil.contracts.event.RunTimedOut;
import dev.vigil.contracts.event.VigilEvent;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EventJsonTest {

    private static final ObjectMapper JSON = EventJson.mapper();

    static Stream<VigilEvent> samples() {
        return EventSamples.all().stream();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void everyEventSurvivesARoundTrip(VigilEvent event) {
        byte[] bytes = EventJson.write(event);
        assertThat(EventJson.read(bytes, VigilEvent.class)).isEqualTo(event);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).startsWith("{\"type\":\"" + event.type() + "\"");
    }

    @Test
    void writesReadableJsonWithIsoTimesAndDurations() {
        RunCreated created = (RunCreated) EventSamples.all().get(2);
        String json = new String(EventJson.write(created), StandardCharsets.UTF_8);
        assertThat(json).contains("\"heartbeat\":\"PT30S\"", "\"maxDuration\":\"PT2H\"", "\"version\":1",
                "\"labels\":{\"session\":\"run-7f3a\"}");
        assertThat(json).containsPattern("\"occurredAt\":\"\\d{4}-\\d\\d-\\d\\dT");
    }

    @Test
    void serializerNamesTheTypeInAHeaderAndWatermarksReadAsNull() {
        JsonSerde<Heartbeat> serde = JsonSerde.of(Heartbeat.class);
        RecordHeaders headers = new RecordHeaders();
        Heartbeat heartbeat = Heartbeat.of("run-1", 1, null, 0, null, null);
        byte[] bytes = serde.serialize("t", headers, heartbeat);
        assertThat(new String(headers.lastHeader(VigilHeaders.TYPE).value(), StandardCharsets.UTF_8)).isEqualTo("Heartbeat");
        assertThat(serde.deserialize("t", headers, bytes)).isEqualTo(heartbeat);

        RecordHeaders tick = new RecordHeaders();
        tick.add(VigilHeaders.WATERMARK, new byte[0]);
        assertThat(serde.deserialize("t", tick, (byte[]) null)).isNull();
    }

    @Test
    void toleratesFieldsItDoesNotKnow() throws Exception {
        ObjectNode tree = tree(Heartbeat.of("run-1", 1, null, 3, null, null));
        tree.put("cpu", 0.7);
        assertThat(EventJson.read(JSON.writeValueAsBytes(tree), Heartbeat.class).seq()).isEqualTo(3);
    }

    static Stream<Arguments> invalidRecords() throws Exception {
        Heartbeat valid = Heartbeat.of("run-1", 1, null, 3, 2L, "ok");
        return Stream.of(
                Arguments.of("garbage bytes", new byte[] {(byte) 0xde, (byte) 0xad, 0x00, 0x7f}, "not valid JSON"),
                Arguments.of("truncated JSON", "{\"type\":\"Heartbeat\",".getBytes(StandardCharsets.UTF_8), "not valid JSON"),
                Arguments.of("a JSON array", "[1,2]".getBytes(StandardCharsets.UTF_8), "expected a JSON object"),
                Arguments.of("no value", null, "no value"),
                Arguments.of("no type", without(valid, "type"), "missing or non-string field 'type'"),
                Arguments.of("unknown type", with(valid, "type", "Hearbeat"), "unknown type 'Hearbeat'"),
                Arguments.of("unsupported version", with(valid, "version", 2), "unsupported version 2"),
                Arguments.of("version as text", with(valid, "version", "1"), "non-integer field 'version'"),
                Arguments.of("missing runId", without(valid, "runId"), "missing required field 'runId'"),
                Arguments.of("null attempt", withNull(valid, "attempt"), "missing required field 'attempt'"),
                Arguments.of("missing occurredAt", without(valid, "occurredAt"), "missing required field 'occurredAt'"),
                Arguments.of("attempt as text", with(valid, "attempt", "5"), "field 'attempt' has the wrong type"),
                Arguments.of("attempt as float", with(valid, "attempt", 1.5), "field 'attempt' has the wrong type"),
                Arguments.of("steps as text", with(valid, "steps", "many"), "field 'steps' has the wrong type"),
                Arguments.of("bad timestamp", with(valid, "occurredAt", "yesterday"), "field 'occurredAt'"),
                Arguments.of("attempt zero", with(valid, "attempt", 0), "attempt must be >= 1, was 0"),
                Arguments.of("negative seq", with(valid, "seq", -1), "seq must be >= 0"),
                Arguments.of("run id with spaces", with(valid, "runId", "run 1"), "runId must be"),
                Arguments.of("oversize", oversize(valid), "exceeds the limit of 65536 bytes"),
                Arguments.of("message too long", with(valid, "message", "x".repeat(3000)), "message is longer than 2048"),
                Arguments.of("NUL in message", with(valid, "message", "half\u0000way"), "message has a control character U+0000"),
                Arguments.of("escape in message", with(valid, "message", "\u001b[31mred"), "message has a control character U+001B"),
                Arguments.of("unpaired surrogate", with(valid, "message", "a\ud800b"), "message has an unpaired surrogate U+D800"),
                Arguments.of("NUL in run id", with(valid, "runId", "run\u00001"), "runId must be"),
                Arguments.of("NUL in agent id", with(valid, "agentId", "agent\u0000"), "agentId must be"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRecords")
    void rejectsInvalidRecordsWithOneTypedExceptionSayingWhatIsWrong(String name, byte[] data, String message) {
        assertThatThrownBy(() -> EventJson.read(data, Heartbeat.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining(message);
    }

    @Test
    void rejectsAnEventOfAnotherTopic() {
        byte[] heartbeat = EventJson.write(Heartbeat.of("run-1", 1, null, 0, null, null));
        assertThatThrownBy(() -> EventJson.read(heartbeat, RunEvent.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining("type 'Heartbeat' does not belong here: expected RunEvent (RunCreated, RunDeadlineApproaching, RunFinished,");
    }

    @Test
    void rejectsInvalidNestedValuesAndEnums() throws Exception {
        RunCreated created = (RunCreated) EventSamples.all().get(2);
        ObjectNode tree = tree(created);
        ((ObjectNode) tree.get("timeouts")).put("heartbeat", "-PT5S");
        assertThatThrownBy(() -> EventJson.read(JSON.writeValueAsBytes(tree), RunEvent.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining("timeouts.heartbeat must be a positive duration");

        ObjectNode noNamespace = tree(created);
        ((ObjectNode) noNamespace.get("cleanup")).put("namespace", "Not_A_Namespace");
        assertThatThrownBy(() -> EventJson.read(JSON.writeValueAsBytes(noNamespace), RunEvent.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining("is not a Kubernetes namespace name");

        ObjectNode timeout = tree(EventSamples.all().get(8));
        timeout.put("reason", "completed");
        assertThatThrownBy(() -> EventJson.read(JSON.writeValueAsBytes(timeout), RunTimedOut.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining("reason must be a timeout reason");
        timeout.put("reason", "bored");
        assertThatThrownBy(() -> EventJson.read(JSON.writeValueAsBytes(timeout), RunTimedOut.class))
                .isExactlyInstanceOf(InvalidEventException.class)
                .hasMessageContaining("unknown reason 'bored'");
    }

    private static ObjectNode tree(VigilEvent event) throws Exception {
        return (ObjectNode) JSON.readTree(EventJson.write(event));
    }

    private static byte[] with(VigilEvent event, String field, Object value) throws Exception {
        ObjectNode tree = tree(event);
        tree.set(field, JSON.valueToTree(value));
        return JSON.writeValueAsBytes(tree);
    }

    private static byte[] withNull(VigilEvent event, String field) throws Exception {
        ObjectNode tree = tree(event);
        tree.putNull(field);
        return JSON.writeValueAsBytes(tree);
    }

    private static byte[] without(VigilEvent event, String field) throws Exception {
        ObjectNode tree = tree(event);
        tree.remove(field);
        return JSON.writeValueAsBytes(tree);
    }

    private static byte[] oversize(VigilEvent event) throws Exception {
        ObjectNode tree = tree(event);
        tree.put("padding", "x".repeat(EventJson.MAX_RECORD_BYTES));
        return JSON.writeValueAsBytes(tree);
    }
}
