package dev.vigil.contracts.heartbeat;

import dev.vigil.contracts.event.VigilEvent;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A periodic beat: one now, then one per interval minus up to 10 % jitter, until closed. */
abstract sealed class Pulse implements AutoCloseable permits RunHeartbeat, AgentPulse {

    private static final Logger LOG = LoggerFactory.getLogger(Pulse.class);

    private final HeartbeatClient client;
    private final Duration interval;
    private final AtomicLong seq = new AtomicLong();
    private ScheduledExecutorService scheduler;
    private ScheduledFuture<?> next;
    private volatile boolean closed;

    Pulse(HeartbeatClient client, Duration interval) {
        this.client = client;
        this.interval = interval;
    }

    /** The event to send for beat number {@code seq}. */
    abstract VigilEvent beat(long seq);

    /** The time between beats, before jitter. */
    public Duration interval() {
        return interval;
    }

    /** Beats attempted so far. */
    public long beats() {
        return seq.get();
    }

    synchronized void start(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
        next = scheduler.schedule(this::fire, 0, TimeUnit.NANOSECONDS);
    }

    private void fire() {
        if (closed) {
            return;
        }
        try {
            client.send(beat(seq.getAndIncrement()));
        } catch (RuntimeException e) {
            LOG.warn("could not build a heartbeat; trying again next beat", e);
        } finally {
            scheduleNext();
        }
    }

    private synchronized void scheduleNext() {
        if (!closed) {
            long nanos = interval.toNanos();
            long jitter = (long) (nanos * 0.1 * ThreadLocalRandom.current().nextDouble());
            try {
                next = scheduler.schedule(this::fire, nanos - jitter, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException clientClosing) {
                closed = true;
            }
        }
    }

    /** Stops beating. Sends nothing more; the run's state is the run-service's business. */
    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
        }
        client.forget(this);
    }

    public boolean isClosed() {
        return closed;
    }
}
