package dev.vigil.sweeper.time;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What one task knows of the broker's clock, per input partition, and the watermark it sweeps to.
 *
 * <p><b>The watermark</b> is the minimum, over the task's clock partitions, of the latest broker
 * timestamp ({@code LogAppendTime}) processed on each. Append times only grow within a partition, so
 * every record still unprocessed on any of them — fetched but waiting, or not fetched yet — was
 * appended at or after the watermark: a deadline at or before it can no longer be met by anything in
 * the input. The maximum (Kafka Streams' stream time) has no such property: Streams orders records
 * across a task's partitions only on a best-effort basis, so a tick read on one partition would move
 * "now" past a heartbeat still waiting on another. A partition that has delivered nothing since the
 * task was (re)initialized holds the watermark back until it has; every partition carries a tick every
 * {@code tickInterval}, so that is a matter of milliseconds.
 *
 * <p><b>Blackouts.</b> Consecutive records of the liveness partition (the one heartbeats arrive on) are
 * never far apart in broker time, because of the ticks — unless nothing could be appended to it at all
 * (the broker was down, or every sweeper and every worker was). Such a gap is recorded as a blackout,
 * and silence inside it is not held against anyone's timeout: a heartbeat that could not be written is
 * not a missed heartbeat. The gap is seen before the watermark can pass it, because the watermark
 * cannot pass the liveness partition's own clock.
 *
 * <p>The liveness partition's last time and the blackouts are kept in a state store so that a
 * restarted task still sees the gap across its restart; the per-partition times that make up the
 * watermark are deliberately not: they start empty at every (re)initialization. The stored time is
 * written when the blackouts change and otherwise once it is half a blackout threshold behind (not at
 * every sweep: each write is a changelog record a restarted task restores). A stored time that is
 * older than the truth can only make the gap across a restart look longer — a longer blackout, timeouts
 * a little later — never shorter.
 */
public final class BrokerClock {

    public static final long NONE = Long.MIN_VALUE;

    private static final String KEY = "clock";
    private static final int MAX_BLACKOUTS = 16;

    private final KeyValueStore<String, byte[]> store;
    private final long blackoutThresholdMs;
    private final String[] clockTopics;
    private final long[] processed;
    private long livenessSeen = NONE;
    private long livenessSaved = NONE;
    private long[] blackouts = new long[0]; // start, end, start, end, ... ascending, disjoint
    private boolean blackoutsChanged;

    /**
     * @param clockTopics the topics whose partitions make the watermark; the first is the liveness topic
     */
    public BrokerClock(KeyValueStore<String, byte[]> store, long blackoutThresholdMs, List<String> clockTopics) {
        this.store = store;
        this.blackoutThresholdMs = blackoutThresholdMs;
        this.clockTopics = clockTopics.toArray(String[]::new);
        this.processed = new long[this.clockTopics.length];
        Arrays.fill(processed, NONE);
        byte[] saved = store.get(KEY);
        if (saved != null) {
            ByteBuffer in = ByteBuffer.wrap(saved);
            livenessSeen = in.getLong();
            livenessSaved = livenessSeen;
            blackouts = new long[in.remaining() / 8];
            for (int i = 0; i < blackouts.length; i++) {
                blackouts[i] = in.getLong();
            }
        }
    }

    /**
     * Notes a record of {@code topic} appended at {@code timestamp}; returns true if it ended a blackout.
     * Records of topics that are not clock topics change nothing.
     */
    public boolean observe(String topic, long timestamp) {
        for (int i = 0; i < clockTopics.length; i++) {
            if (clockTopics[i].equals(topic)) {
                processed[i] = Math.max(processed[i], timestamp);
                return i == 0 && observeLiveness(timestamp);
            }
        }
        return false;
    }

    private boolean observeLiveness(long timestamp) {
        if (timestamp <= livenessSeen) {
            return false;
        }
        boolean blackout = livenessSeen != NONE && timestamp - livenessSeen > blackoutThresholdMs;
        if (blackout) {
            long[] kept = blackouts.length >= 2 * MAX_BLACKOUTS ? Arrays.copyOfRange(blackouts, 2, blackouts.length) : blackouts;
            blackouts = Arrays.copyOf(kept, kept.length + 2);
            blackouts[kept.length] = livenessSeen;
            blackouts[kept.length + 1] = timestamp;
            blackoutsChanged = true;
        }
        livenessSeen = timestamp;
        return blackout;
    }

    /** The watermark, or {@link #NONE} while a clock partition has delivered nothing since initialization. */
    public long watermark() {
        long min = Long.MAX_VALUE;
        for (long t : processed) {
            if (t == NONE) {
                return NONE;
            }
            min = Math.min(min, t);
        }
        return min;
    }

    /**
     * Persists the liveness clock and blackouts when the blackouts changed or the stored time is half a
     * blackout threshold old; called once per sweep, not per record.
     */
    public void save() {
        if (livenessSeen == NONE
                || !blackoutsChanged && livenessSaved != NONE && livenessSeen - livenessSaved < blackoutThresholdMs / 2) {
            return;
        }
        livenessSaved = livenessSeen;
        blackoutsChanged = false;
        ByteBuffer out = ByteBuffer.allocate(8 + 8 * blackouts.length).putLong(livenessSeen);
        for (long b : blackouts) {
            out.putLong(b);
        }
        store.put(KEY, out.array());
    }

    /** Milliseconds of {@code [from, to]} that fell inside blackouts. */
    public long blackedOut(long from, long to) {
        long total = 0;
        for (int i = 0; i < blackouts.length; i += 2) {
            long start = Math.max(from, blackouts[i]);
            long end = Math.min(to, blackouts[i + 1]);
            if (end > start) {
                total += end - start;
            }
        }
        return total;
    }

    /**
     * When a timeout of {@code timeoutMs} that started at {@code since} falls due, given the
     * blackouts seen up to {@code now}: {@code since + timeout}, pushed back by the blacked-out time.
     */
    public long dueAt(long since, long timeoutMs, long now) {
        return since + timeoutMs + blackedOut(since, Math.max(since, now));
    }
}
