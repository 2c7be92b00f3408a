package dev.vigil.contracts.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vigil.contracts.event.Heartbeat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The heartbeat fast path against the strict reader: whatever it accepts, the strict reader accepts
 * too and reads as the same heartbeat; and it does take the heartbeats the client writes.
 */
class HeartbeatReaderTest {

    private static final ObjectMapper JSON = EventJson.mapper();
    private final HeartbeatReader fast = new HeartbeatReader(JSON.getFactory());

    @Test
    void takesTheHeartbeatsTheClientWrites() {
        for (Heartbeat beat : List.of(Heartbeat.of("run-1", 1, null, 0, null, null),
                Heartbeat.of("run-000000042", 7, "agent-1", 12_345_678_901L, 42L, "chapter 3 of 9 ✓"),
                Heartbeat.of("0ffc9b05-f6c4-475b-abbf-dbd5b68555f2", 2, null, 3, 0L, ""))) {
            assertThat(fast.tryRead(EventJson.write(beat))).isEqualTo(beat);
            assertThat(EventJson.read(EventJson.write(beat), Heartbeat.class)).isEqualTo(beat);
        }
    }

    @Test
    void readsTimestampsAsInstantParseDoes() {
        java.util.Random random = new java.util.Random(42);
        List<String> texts = new ArrayList<>(List.of("2026-11-24T01:00:00Z", "2026-11-24T01:00:00.5Z",
                "2026-11-24T01:00:00.123456789Z", "1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "2024-02-29T23:59:59.9Z",
                "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
                "2026-11-24T01:60:00Z", "2016-12-31T23:59:60Z", "2026-11-24T01:00:00.Z", "2026-11-24T01:00:00.1234567890Z",
                "2026-11-24T01:00:00+01:00", "2026-11-24t01:00:00z", "2026-11-24T01:00Z", "2026-1-24T01:00:00Z",
                "+2026-11-24T01:00:00Z", "2026-11-24T01:00:00,5Z", "２０２６-11-24T01:00:00Z", "yesterday", ""));
        for (int i = 0; i < 2_000; i++) {
            java.time.Instant at = java.time.Instant.ofEpochSecond(random.nextLong() % 100_000_000_000L, random.nextInt(1_000_000_000));
            texts.add(at.toString());
        }
        for (String text : texts) {
            java.time.Instant expected;
            try {
                expected = java.time.Instant.parse(text);
            } catch (java.time.format.DateTimeParseException e) {
                expected = null;
            }
            assertThat(HeartbeatReader.instant(text)).as(text).isEqualTo(expected);
        }
    }

    @Test
    void acceptsNothingTheStrictReaderRejectsAndReadsTheSameAsItDoes() throws Exception {
        List<byte[]> inputs = new ArrayList<>();
        for (Arguments invalid : EventJsonTest.invalidRecords().toList()) {
            inputs.add((byte[]) invalid.get()[1]);
        }
        Heartbeat beat = Heartbeat.of("run-1", 3, "agent-9", 5, 10L, "busy");
        String plain = new String(EventJson.write(beat), StandardCharsets.UTF_8);
        for (Map.Entry<String, String> change : List.<Map.Entry<String, String>>of(
                Map.entry("agentId", "null"), Map.entry("steps", "null"), Map.entry("message", "null"),
                Map.entry("steps", "1.0"), Map.entry("steps", "99999999999999999999"), Map.entry("seq", "-0"),
                Map.entry("attempt", "2147483648"), Map.entry("attempt", "1e0"), Map.entry("version", "1.0"),
                Map.entry("occurredAt", "1764000000"), Map.entry("occurredAt", "\"2026-11-24T01:00:00+01:00\""),
                Map.entry("occurredAt", "\"2026-11-24t01:00:00z\""), Map.entry("occurredAt", "\"2026-11-24T01:00:00.123456789Z\""),
                Map.entry("occurredAt", "\"2026-11-24T01:00Z\""), Map.entry("runId", "\"\""), Map.entry("eventId", "7"),
                Map.entry("type", "\"heartbeat\""), Map.entry("type", "\"AgentHeartbeat\""), Map.entry("agentId", "{}"),
                Map.entry("message", "[\"a\"]"), Map.entry("extra", "{\"nested\":[1,{\"x\":null}]}"),
                Map.entry("extra", "[[], {}]"))) {
            ObjectNode tree = (ObjectNode) JSON.readTree(plain);
            tree.set(change.getKey(), JSON.readTree(change.getValue()));
            inputs.add(JSON.writeValueAsBytes(tree));
        }
        inputs.add((plain.substring(0, plain.length() - 1) + ",\"runId\":\"run-2\"}").getBytes(StandardCharsets.UTF_8));
        inputs.add((plain + " ").getBytes(StandardCharsets.UTF_8));
        inputs.add((plain + " {}").getBytes(StandardCharsets.UTF_8));
        inputs.add(("{\"version\":1," + plain.substring(1)).getBytes(StandardCharsets.UTF_8));

        int taken = 0;
        for (byte[] input : inputs) {
            Heartbeat quick = fast.tryRead(input);
            Object strict;
            try {
                strict = EventJson.readStrictly(input, Heartbeat.class);
            } catch (InvalidEventException e) {
                strict = e;
            }
            if (quick != null) {
                taken++;
                String text = new String(input, StandardCharsets.UTF_8);
                assertThat(strict).as(text.length() > 300 ? text.substring(0, 300) + "..." : text).isEqualTo(quick);
            }
        }
        assertThat(taken).as("the fast path takes the plainly valid variants").isGreaterThanOrEqualTo(6);
    }
}
