package dev.vigil.contracts.event;

import dev.vigil.contracts.serde.InvalidEventException;
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
 * @param warnAt the fraction of {@code maxDuration} (above 0, below 1) at which the sweeper warns that the
 *        deadline approaches ({@link RunDeadlineApproaching}); null: no warning
 */
public record RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration,
                          @Nullable Duration progress, @Nullable StallAction onStall, @Nullable Double warnAt) {

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
        if (warnAt != null && !(warnAt > 0 && warnAt < 1)) {
            throw new InvalidEventException("timeouts.warnAt must be above 0 and below 1 (a fraction of maxDuration), was "
                    + warnAt);
        }
    }

    /** Without a deadline warning. */
    public RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration,
                       @Nullable Duration progress, @Nullable StallAction onStall) {
        this(heartbeat, start, stop, maxDuration, progress, onStall, null);
    }

    /** How long after the attempt's creation its deadline warning is due, or null without one. */
    public Duration warnAfter() {
        return warnAt == null ? null : Duration.ofMillis(Math.round(maxDuration.toMillis() * warnAt));
    }

    /** Without a progress timeout. */
    public RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration) {
        this(heartbeat, start, stop, maxDuration, null, null, null);
    }
}
