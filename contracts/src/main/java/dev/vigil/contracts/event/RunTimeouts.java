package dev.vigil.contracts.event;

import java.time.Duration;

/**
 * A run's timeouts, fixed when the run (attempt) is created.
 *
 * @param heartbeat the longest allowed gap between two heartbeats of a running run
 * @param start the longest a created run may wait for its first heartbeat
 * @param stop the longest a run may stay TERMINATING before the stop is re-sent or forced
 * @param maxDuration the longest a run may run at all
 */
public record RunTimeouts(Duration heartbeat, Duration start, Duration stop, Duration maxDuration) {

    public RunTimeouts {
        Check.positive(heartbeat, "timeouts.heartbeat");
        Check.positive(start, "timeouts.start");
        Check.positive(stop, "timeouts.stop");
        Check.positive(maxDuration, "timeouts.maxDuration");
    }
}
