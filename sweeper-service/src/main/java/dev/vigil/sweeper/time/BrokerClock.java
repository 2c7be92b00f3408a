package dev.vigil.sweeper.time;

import java.nio.ByteBuffer;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What one task has seen of the broker's clock. Every input partition gets a watermark tick every
 * {@code tickInterval}, so consecutive records of a task are never far apart in broker time —
 * unless nothing could be appended at all (the broker was down, or every sweeper and every worker
 * was). Such a jump is recorded as a blackout, and silence inside a blackout is not counted against
 * anyone's timeout: a heartbeat that could not be written is not a missed heartbeat.
 *
 * <p>Kept in a state store so a restarted task remembers where it was; only the last few blackouts
 * are kept (older ones end before any timeout could still be running).
 */
public final class BrokerClock {

    private static final String KEY = "clock";
    private static final int MAX_BLACKOUTS = 16;

    private final KeyValueStore<String, byte[]> store;
    private final long blackoutThresholdMs;
    private long lastSeen = Long.MIN_VALUE;
    private long[] blackouts = new long[0]; // start, end, start, end, ...

    public BrokerClock(KeyValueStore<String, byte[]> store, long blackoutThresholdMs) {
        this.store = store;
        this.blackoutThresholdMs = blackoutThresholdMs;
        byte[] saved = store.get(KEY);
        if (saved != null) {
            ByteBuffer in = ByteBuffer.wrap(saved);
            lastSeen = in.getLong();
            blackouts = new long[in.remaining() / 8];
            for (int i = 0; i < blackouts.length; i++) {
                blackouts[i] = in.getLong();
            }
        }
    }

    /** Notes a record appended at {@code timestamp}; returns true if it ended a blackout. */
    public boolean observe(long timestamp) {
        if (timestamp <= lastSeen) {
            return false;
        }
        boolean blackout = lastSeen != Long.MIN_VALUE && timestamp - lastSeen > blackoutThresholdMs;
        if (blackout) {
            long[] kept = blackouts.length >= 2 * MAX_BLACKOUTS
                    ? java.util.Arrays.copyOfRange(blackouts, 2, blackouts.length)
                    : blackouts;
            blackouts = java.util.Arrays.copyOf(kept, kept.length + 2);
            blackouts[kept.length] = lastSeen;
            blackouts[kept.length + 1] = timestamp;
        }
        lastSeen = timestamp;
        return blackout;
    }

    /** Persists the clock; called once per punctuation, not per record. */
    public void save() {
        if (lastSeen == Long.MIN_VALUE) {
            return;
        }
        ByteBuffer out = ByteBuffer.allocate(8 + 8 * blackouts.length).putLong(lastSeen);
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

    public long lastSeen() {
        return lastSeen;
    }
}
