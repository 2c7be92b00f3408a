package dev.vigil.sweeper.stream;

import dev.vigil.contracts.event.RunActivity;
import dev.vigil.contracts.event.RunTimedOut;

/** What the sweeper's processors emit; the topology routes each kind to its topic. */
public sealed interface Emitted {

    /** A timeout for run-service, to {@code vigil.timeouts}. */
    record Timeout(RunTimedOut event) implements Emitted {
    }

    /** First heartbeat or progress, to {@code vigil.run-activity}. */
    record Activity(RunActivity event) implements Emitted {
    }

    /** A rejected input record, byte for byte, to the dead-letter topic (reason in the record's headers). */
    record DeadLetter(byte[] key, byte[] value) implements Emitted {
    }

    /** A run joined ({@code linked}) or left its agent; keyed by agent id, for the agent sweeper. */
    record AgentLink(String runId, int attempt, boolean linked) implements Emitted {

        public byte[] encode() {
            byte[] run = runId.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            return java.nio.ByteBuffer.allocate(5 + run.length).put((byte) (linked ? 1 : 0)).putInt(attempt).put(run).array();
        }

        public static AgentLink decode(byte[] bytes) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(bytes);
            boolean linked = in.get() == 1;
            int attempt = in.getInt();
            return new AgentLink(java.nio.charset.StandardCharsets.UTF_8.decode(in).toString(), attempt, linked);
        }
    }
}
