package dev.vigil.sweeper;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The stream threads that died (and were replaced) recently. A thread that keeps dying is a task in a
 * crash loop: its partitions are not being swept while the application still says RUNNING, so health
 * must say so — not ready after {@link #NOT_READY_AFTER} deaths within the window, not live (restart the
 * pod) after {@link #NOT_LIVE_AFTER}.
 */
public final class StreamFailures {

    public static final int NOT_READY_AFTER = 3;
    public static final int NOT_LIVE_AFTER = 10;

    private final Clock clock;
    private final Duration window;
    private final Deque<Instant> deaths = new ArrayDeque<>();
    private String last;

    public StreamFailures(Clock clock, Duration window) {
        this.clock = clock;
        this.window = window;
    }

    public synchronized void record(Throwable cause) {
        deaths.addLast(clock.instant());
        last = cause.toString();
        trim();
    }

    /** Deaths within the window. */
    public synchronized int recent() {
        trim();
        return deaths.size();
    }

    /** The last death's cause, or null. */
    public synchronized String last() {
        return last;
    }

    public boolean ready() {
        return recent() < NOT_READY_AFTER;
    }

    public boolean live() {
        return recent() < NOT_LIVE_AFTER;
    }

    private void trim() {
        Instant since = clock.instant().minus(window);
        while (!deaths.isEmpty() && deaths.peekFirst().isBefore(since)) {
            deaths.removeFirst();
        }
    }
}
