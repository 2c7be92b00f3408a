package dev.vigil.contracts.event;

import java.time.Duration;

/**
 * A run's timeouts, fixed when the run (attempt) is created.
 *
 * @param heartbeat the longest allowed gap between two heartbeats of a running run
 * @param start the longest a created run may wait for its first heartbeat
 * @param stop the longest a run may stay TERMINATING before the stop is re-sent or forced
 * @param maxDuration the longest a run may run at all
 * @param progress the longest a running run's progress (its heartbeats' steps and message) may stay the same
 *        while it heartbeats; null: not watched
 * @param onStall what a stalled progress does to the run; null when {@code progress} is, else defaults to
 *        {@link StallAction#FAIL}
 */
public record RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration,
                          @Nullable Duration progress, @Nullable StallAction onStall) {

    public RunTimeouts {
        Check.positive(heartbeat, "timeouts.heartbeat");
        Check.positive(start, "timeouts.start");
        Check.positive(stop, "timeouts.stop");
        Check.positive(maxDuration, "timeouts.maxDuration");
        if (progress == null) {
            onStall = null;
        } else {
            Check.positive(progress, "timeouts.progress");
            onStall = onStall == null ? StallAction.FAIL : onStall;
        }
    }

    /** Without a progress timeout. */
    public RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration) {
        this(heartbeat, start, stop, maxDuration, null, null);
    }
}
