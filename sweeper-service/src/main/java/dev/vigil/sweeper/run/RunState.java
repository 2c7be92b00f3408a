package dev.vigil.sweeper.run;

import dev.vigil.contracts.event.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the sweeper knows of one run: its current attempt, phase, timeouts and the broker times that
 * matter, and the heartbeats of an attempt newer than any created yet (a retry's worker may beat before
 * its {@code RunCreated} is read). Kept small (a compact binary form of {@value #FIXED_BYTES} bytes plus
 * the agent id and the workspace) because there is one per tracked run.
 */
public final class RunState {

    /** The encoded size without the agent id, the workspace and the progress watch. */
    static final int FIXED_BYTES = 2 + 4 + 1 + 4 * 8 + 8 * 8 + 2 * 4 + 4 + 8 + 4 + 3 * 8 + 1 + 1;
    /** What a watched progress adds: its timeout, when it last changed, and what it was. */
    static final int PROGRESS_BYTES = 8 + 8 + 4;
    /** What a deadline warning adds: when after the attempt's creation it is due. */
    static final int WARNING_BYTES = 8;
    /** What beats ahead add: when their progress last changed, and what it was. */
    static final int AHEAD_PROGRESS_BYTES = 8 + 4;
    /**
     * The progress of a beat that carries none ({@link #progressHash} of neither steps nor a message): what a watch
     * starts from, and what never counts as a change. (A real progress with the same hash, one in 2^32, is taken for
     * a bare beat: its change is noticed with the next different one.)
     */
    static final int NO_PROGRESS = progressHash(null, null);

    /** Where the run is, as far as detection is concerned. */
    public enum Phase {
        /** Heartbeats seen but no RunCreated yet (the outbox may be behind the worker); attempt is 0. */
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
    /** The run's workspace (from RunCreated): with the agent id, the agent's identity. Null in older states. */
    String workspace;
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
    /**
     * The sweeper incarnation that processed the last heartbeat. Another incarnation may have kept later
     * beats in memory only (see {@code RunSweeper}), so a state restored from the store by a new one is
     * given half a heartbeat timeout of slack until it sees a beat itself.
     */
    long beatsSeenBy;
    /** Set on load when {@link #beatsSeenBy} is another incarnation (not itself stored). */
    boolean beatsMayBeLost;
    /** Heartbeats of an attempt newer than {@link #attempt}, not yet created: which, first, last, how many. */
    int aheadAttempt;
    long aheadFirstAt = NONE;
    long aheadLastAt = NONE;
    long aheadBeats;
    /** The progress of the beats ahead, as {@link #progressSeen} and {@link #progressChangedAt} for the attempt. */
    int aheadProgressSeen = NO_PROGRESS;
    long aheadProgressChangedAt = NONE;
    /** The attempt's progress timeout, or 0 when its progress is not watched. */
    long progressTimeout;
    /** What a stalled progress does: true flags the run (it stays RUNNING), false times it out. */
    boolean flagOnStall;
    /** {@link #progressHash} of the progress last seen on a heartbeat, and when it last changed (watched runs only). */
    int progressSeen;
    long progressChangedAt = NONE;
    /** Whether the attempt's progress stall fired (once per attempt). */
    boolean stallFired;
    /** How long after its creation the attempt is warned of its deadline, or 0 without a warning. */
    long warnAfter;
    /** Whether the attempt's deadline warning was sent (once per attempt). */
    boolean warned;
    /** The due time of this run's entry in the deadline queue, or NONE. */
    long scheduledAt = NONE;

    RunState(int attempt, Phase phase) {
        this.attempt = attempt;
        this.phase = phase;
    }

    /** A run known only from heartbeats of attempts not created yet. */
    static RunState unknown() {
        return new RunState(0, Phase.UNKNOWN);
    }

    /** Notes a heartbeat of {@code newer}, an attempt not created yet; beats of another one start over. */
    void aheadBeat(int newer, long at, int progress) {
        if (aheadAttempt != newer) {
            aheadAttempt = newer;
            aheadFirstAt = at;
            aheadBeats = 0;
            aheadProgressSeen = NO_PROGRESS;
            aheadProgressChangedAt = at;
        }
        aheadLastAt = Math.max(aheadLastAt, at);
        aheadBeats++;
        if (progress != NO_PROGRESS && progress != aheadProgressSeen) {
            aheadProgressSeen = progress;
            aheadProgressChangedAt = Math.max(aheadProgressChangedAt, at);
        }
    }

    /**
     * Notes a beat's progress ({@link #progressHash}) for a run whose progress is watched; returns whether it changed.
     * A beat with neither steps nor a message says nothing about progress (a bare liveness beat) and changes nothing.
     */
    boolean progressMoved(int progress, long at) {
        if (progressTimeout == 0 || progress == NO_PROGRESS || progress == progressSeen) {
            return false;
        }
        progressSeen = progress;
        progressChangedAt = Math.max(progressChangedAt, at);
        return true;
    }

    /** Starts the progress watch at the attempt's first beat, unless beats ahead already started it. */
    void startProgress(long at) {
        if (progressChangedAt == NONE) {
            progressSeen = NO_PROGRESS;
            progressChangedAt = at;
        }
    }

    /**
     * Carries over what {@code previous} (the state this one replaces) saw of attempts not created yet:
     * beats of this attempt become its own (returns true: it has started), beats of a newer one stay aside.
     */
    boolean inheritAheadBeats(RunState previous) {
        if (previous == null || previous.aheadAttempt < attempt) {
            return false;
        }
        if (previous.aheadAttempt == attempt) {
            firstHeartbeatAt = previous.aheadFirstAt;
            lastHeartbeatAt = previous.aheadLastAt;
            heartbeats = previous.aheadBeats;
            progressSeen = previous.aheadProgressSeen;
            progressChangedAt = previous.aheadProgressChangedAt;
            return true;
        }
        aheadAttempt = previous.aheadAttempt;
        aheadFirstAt = previous.aheadFirstAt;
        aheadLastAt = previous.aheadLastAt;
        aheadBeats = previous.aheadBeats;
        aheadProgressSeen = previous.aheadProgressSeen;
        aheadProgressChangedAt = previous.aheadProgressChangedAt;
        return false;
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
    record Armed(Reason reason, long since, long timeout, boolean credited, boolean warning) {

        Armed(Reason reason, long since, long timeout, boolean credited) {
            this(reason, since, timeout, credited, false);
        }
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
            armed.add(new Armed(Reason.HEARTBEAT_TIMEOUT, lastHeartbeatAt,
                    heartbeatTimeout + (beatsMayBeLost ? heartbeatTimeout / 2 : 0), true));
        }
        if (phase == Phase.TERMINATING && stopTimedOutFor != stopAttempt) {
            armed.add(new Armed(Reason.STOP_TIMEOUT, stopRequestedAt, stopTimeout, true));
        }
        if (phase == Phase.RUNNING && progressTimeout > 0 && !stallFired && progressChangedAt != NONE) {
            armed.add(new Armed(Reason.PROGRESS_STALLED, progressChangedAt, progressTimeout, true));
        }
        if (warnAfter > 0 && !warned && phase != Phase.TERMINATING) {
            // A warning, not a timeout: the max duration's clock, absolute like it.
            armed.add(new Armed(Reason.DEADLINE_EXCEEDED, createdAt, warnAfter, false, true));
        }
        armed.add(new Armed(Reason.DEADLINE_EXCEEDED, createdAt, maxDuration, false));
        return armed;
    }

    /** When the state may be forgotten, for phases that only wait to expire. */
    long expiresAt(long finishedRetention, long unknownRetention) {
        long ahead = aheadAttempt == 0 ? NONE : aheadLastAt + unknownRetention;
        return switch (phase) {
            case UNKNOWN -> ahead;
            case TIMED_OUT, FINISHED -> Math.max(finishedAt + finishedRetention, ahead);
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
     * Format 4: format 1 (whose agent id length is read unsigned: ids are ASCII of up to 128 bytes) with
     * {@link #beatsSeenBy} and the beats ahead appended (format 2), then the workspace (length byte,
     * ASCII; format 3), then a flags byte and, only for a run whose progress is watched, the progress
     * watch ({@value #PROGRESS_BYTES} bytes), and only while beats ahead are kept, their progress
     * ({@value #AHEAD_PROGRESS_BYTES} bytes), and only for a run warned of its deadline, when
     * ({@value #WARNING_BYTES} bytes): a run with none of them pays a byte. New fields go at the end, read as
     * absent when a shorter state is decoded (and ignored by a reader that predates them: the warning was added
     * without a new format, so a sweeper of the previous release reading it during an upgrade only forgets it).
     */
    byte[] encode() {
        byte[] agent = agentId == null ? new byte[0] : agentId.getBytes(StandardCharsets.UTF_8);
        if (agent.length > 255) {
            throw new IllegalArgumentException("agent id longer than 255 bytes: " + agent.length);
        }
        byte[] space = workspace == null ? new byte[0] : workspace.getBytes(StandardCharsets.UTF_8);
        if (space.length > 255) {
            throw new IllegalArgumentException("workspace longer than 255 bytes: " + space.length);
        }
        boolean watched = progressTimeout > 0;
        boolean ahead = aheadAttempt != 0;
        boolean warning = warnAfter > 0;
        ByteBuffer out = ByteBuffer.allocate(FIXED_BYTES + agent.length + space.length + (watched ? PROGRESS_BYTES : 0)
                + (ahead ? AHEAD_PROGRESS_BYTES : 0) + (warning ? WARNING_BYTES : 0));
        out.put((byte) 4); // format version
        out.put((byte) phase.ordinal());
        out.putInt(attempt);
        out.put((byte) agent.length).put(agent);
        out.putLong(heartbeatTimeout).putLong(startTimeout).putLong(stopTimeout).putLong(maxDuration);
        out.putLong(createdAt).putLong(firstHeartbeatAt).putLong(lastHeartbeatAt).putLong(stopRequestedAt);
        out.putInt(stopAttempt).putInt(stopTimedOutFor);
        out.putLong(heartbeats).putLong(lastProgressAt).putLong(finishedAt).putLong(scheduledAt);
        out.putInt(reportedProgress);
        out.putLong(beatsSeenBy);
        out.putInt(aheadAttempt).putLong(aheadFirstAt).putLong(aheadLastAt).putLong(aheadBeats);
        out.put((byte) space.length).put(space);
        out.put((byte) ((watched ? 1 : 0) | (flagOnStall ? 2 : 0) | (stallFired ? 4 : 0) | (ahead ? 8 : 0)
                | (warning ? 16 : 0) | (warned ? 32 : 0)));
        if (watched) {
            out.putLong(progressTimeout).putLong(progressChangedAt).putInt(progressSeen);
        }
        if (ahead) {
            out.putLong(aheadProgressChangedAt).putInt(aheadProgressSeen);
        }
        if (warning) {
            out.putLong(warnAfter);
        }
        return out.array();
    }

    static RunState decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        byte format = in.get();
        if (format < 1 || format > 4) {
            throw new IllegalStateException("unknown run state format " + format);
        }
        Phase phase = Phase.values()[in.get()];
        RunState state = new RunState(in.getInt(), phase);
        byte[] agent = new byte[in.get() & 0xff];
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
        if (format >= 2) {
            state.beatsSeenBy = in.getLong();
            state.aheadAttempt = in.getInt();
            state.aheadFirstAt = in.getLong();
            state.aheadLastAt = in.getLong();
            state.aheadBeats = in.getLong();
        }
        if (format >= 3) {
            byte[] space = new byte[in.get() & 0xff];
            in.get(space);
            state.workspace = space.length == 0 ? null : new String(space, StandardCharsets.UTF_8);
        }
        if (format >= 4) {
            byte flags = in.get();
            state.flagOnStall = (flags & 2) != 0;
            state.stallFired = (flags & 4) != 0;
            if ((flags & 1) != 0) {
                state.progressTimeout = in.getLong();
                state.progressChangedAt = in.getLong();
                state.progressSeen = in.getInt();
            }
            if ((flags & 8) != 0) {
                state.aheadProgressChangedAt = in.getLong();
                state.aheadProgressSeen = in.getInt();
            }
            state.warned = (flags & 32) != 0;
            if ((flags & 16) != 0) {
                state.warnAfter = in.getLong();
            }
        } else if (state.aheadAttempt != 0) {
            state.aheadProgressChangedAt = state.aheadFirstAt; // older states kept no progress of beats ahead
        }
        if (format == 1 && phase == Phase.UNKNOWN) {
            // Format 1 kept an unknown run's beats in the attempt's own fields.
            state.aheadBeat(state.attempt, state.firstHeartbeatAt, NO_PROGRESS);
            state.aheadLastAt = state.lastHeartbeatAt;
            state.aheadBeats = state.heartbeats;
            state.attempt = 0;
            state.firstHeartbeatAt = NONE;
            state.lastHeartbeatAt = NONE;
            state.heartbeats = 0;
        }
        state.writtenHeartbeatAt = state.lastHeartbeatAt;
        return state;
    }
}
