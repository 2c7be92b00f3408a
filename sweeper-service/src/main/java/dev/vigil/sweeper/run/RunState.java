package dev.vigil.sweeper.run;

import dev.vigil.contracts.event.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the sweeper knows of one run: its current attempt, phase, timeouts and the broker times that
 * matter. Kept small (a compact binary form of 115 bytes plus the agent id) because there is one per
 * tracked run.
 */
public final class RunState {

    /** Where the run is, as far as detection is concerned. */
    public enum Phase {
        /** Heartbeats seen but no RunCreated yet (the outbox may be behind the worker). */
        UNKNOWN,
        PENDING,
        RUNNING,
        TERMINATING,
        /** A finalizing timeout fired; run-service will finish the run. */
        TIMED_OUT,
        /** RunFinished seen: everything is disarmed. */
        FINISHED;

        boolean armed() {
            return this == PENDING || this == RUNNING || this == TERMINATING;
        }
    }

    static final long NONE = Long.MIN_VALUE;

    int attempt;
    Phase phase;
    String agentId;
    long heartbeatTimeout;
    long startTimeout;
    long stopTimeout;
    long maxDuration;
    long createdAt = NONE;
    long firstHeartbeatAt = NONE;
    long lastHeartbeatAt = NONE;
    long stopRequestedAt = NONE;
    int stopAttempt;
    int stopTimedOutFor;
    long heartbeats;
    /** When the last summary (progress or liveness) was reported, or NONE. */
    long lastProgressAt = NONE;
    /** {@link #progressHash} of the steps and message last reported, to spot a change without keeping them. */
    int reportedProgress;
    long finishedAt = NONE;
    /** The last-heartbeat time as last written to the store (not itself stored). */
    long writtenHeartbeatAt = NONE;
    /** The due time of this run's entry in the deadline queue, or NONE. */
    long scheduledAt = NONE;

    RunState(int attempt, Phase phase) {
        this.attempt = attempt;
        this.phase = phase;
    }

    public int attempt() {
        return attempt;
    }

    public Phase phase() {
        return phase;
    }

    public long heartbeats() {
        return heartbeats;
    }

    public long scheduledAt() {
        return scheduledAt;
    }

    boolean started() {
        return firstHeartbeatAt != NONE;
    }

    /**
     * A timeout that can fire now or later: its reason, when its clock started and how long it is.
     * Silence timeouts are {@code credited} with blackouts; the max duration is absolute.
     */
    record Armed(Reason reason, long since, long timeout, boolean credited) {
    }

    /** The timeouts currently armed, by phase. */
    List<Armed> armed() {
        if (!phase.armed()) {
            return List.of();
        }
        List<Armed> armed = new ArrayList<>(3);
        if (phase == Phase.PENDING) {
            armed.add(new Armed(Reason.START_TIMEOUT, createdAt, startTimeout, true));
        } else if (started()) {
            armed.add(new Armed(Reason.HEARTBEAT_TIMEOUT, lastHeartbeatAt, heartbeatTimeout, true));
        }
        if (phase == Phase.TERMINATING && stopTimedOutFor != stopAttempt) {
            armed.add(new Armed(Reason.STOP_TIMEOUT, stopRequestedAt, stopTimeout, true));
        }
        armed.add(new Armed(Reason.DEADLINE_EXCEEDED, createdAt, maxDuration, false));
        return armed;
    }

    /** When the state may be forgotten, for phases that only wait to expire. */
    long expiresAt(long finishedRetention, long unknownRetention) {
        return switch (phase) {
            case UNKNOWN -> lastHeartbeatAt + unknownRetention;
            case TIMED_OUT, FINISHED -> finishedAt + finishedRetention;
            default -> NONE;
        };
    }

    /**
     * A 32-bit FNV-1a hash of a heartbeat's progress (steps and message, null told apart from any value).
     * Defined here rather than by {@code hashCode()} because it is stored: it must not change between
     * JVMs or releases. A collision at worst delays a change to the next liveness refresh, which
     * carries the current progress too.
     */
    static int progressHash(Long steps, String message) {
        int hash = 0x811c9dc5;
        if (steps == null) {
            hash = fnv(hash, 0);
        } else {
            hash = fnv(hash, 1);
            for (int shift = 0; shift < Long.SIZE; shift += Byte.SIZE) {
                hash = fnv(hash, (int) (steps >>> shift));
            }
        }
        if (message == null) {
            hash = fnv(hash, 0);
        } else {
            hash = fnv(hash, 1);
            for (int i = 0; i < message.length(); i++) {
                char c = message.charAt(i);
                hash = fnv(fnv(hash, c), c >>> Byte.SIZE);
            }
        }
        return hash;
    }

    private static int fnv(int hash, int octet) {
        return (hash ^ (octet & 0xff)) * 0x01000193;
    }

    /**
     * Format 1, with {@link #reportedProgress} appended: a reader of the original format 1 ignores the
     * trailing int, and {@link #decode} reads states written without it as 0 (the next summary is then
     * simply reported). Earlier releases padded the state with 8 zero bytes, which read as 0 too. New
     * fields go at the end the same way.
     */
    byte[] encode() {
        byte[] agent = agentId == null ? new byte[0] : agentId.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(2 + 4 + 1 + agent.length + 4 * 8 + 8 * 8 + 2 * 4 + 4);
        out.put((byte) 1); // format version
        out.put((byte) phase.ordinal());
        out.putInt(attempt);
        out.put((byte) agent.length).put(agent);
        out.putLong(heartbeatTimeout).putLong(startTimeout).putLong(stopTimeout).putLong(maxDuration);
        out.putLong(createdAt).putLong(firstHeartbeatAt).putLong(lastHeartbeatAt).putLong(stopRequestedAt);
        out.putInt(stopAttempt).putInt(stopTimedOutFor);
        out.putLong(heartbeats).putLong(lastProgressAt).putLong(finishedAt).putLong(scheduledAt);
        out.putInt(reportedProgress);
        return out.array();
    }

    static RunState decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte format = in.get();
        if (format != 1) {
            throw new IllegalStateException("unknown run state format " + format);
        }
        Phase phase = Phase.values()[in.get()];
        RunState state = new RunState(in.getInt(), phase);
        byte[] agent = new byte[in.get()];
        in.get(agent);
        state.agentId = agent.length == 0 ? null : new String(agent, StandardCharsets.UTF_8);
        state.heartbeatTimeout = in.getLong();
        state.startTimeout = in.getLong();
        state.stopTimeout = in.getLong();
        state.maxDuration = in.getLong();
        state.createdAt = in.getLong();
        state.firstHeartbeatAt = in.getLong();
        state.lastHeartbeatAt = in.getLong();
        state.stopRequestedAt = in.getLong();
        state.stopAttempt = in.getInt();
        state.stopTimedOutFor = in.getInt();
        state.heartbeats = in.getLong();
        state.lastProgressAt = in.getLong();
        state.finishedAt = in.getLong();
        state.scheduledAt = in.getLong();
        state.reportedProgress = in.remaining() >= Integer.BYTES ? in.getInt() : 0;
        state.writtenHeartbeatAt = state.lastHeartbeatAt;
        return state;
    }
}
