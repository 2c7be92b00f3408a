package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * A throttled summary of a running attempt's heartbeats, so run-service shows progress without a
 * database write per heartbeat: the first one, then a change of steps or message at most once every
 * few seconds, and otherwise a sign of life about twice a minute per run.
 *
 * @param heartbeats heartbeats seen for the attempt so far
 * @param lastHeartbeatAt the broker append time of the latest one
 */
public record ProgressReported(
        String eventId,
        String runId,
        int attempt,
        @Nullable Long steps,
        @Nullable String message,
        long heartbeats,
        Instant lastHeartbeatAt,
        Instant occurredAt,
        int version) implements RunActivity {

    /**
     * The sweeper re-reports a running attempt at least this often while its heartbeats arrive, even
     * when its progress does not change (its {@code liveness-interval} may not be longer; it refuses to
     * start otherwise). Run-service's stuck rule counts on it: a run's last reported heartbeat lags its
     * worker's by at most this much plus delivery.
     */
    public static final int MAX_LIVENESS_SECONDS = 30;

    public ProgressReported {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        if (steps != null) {
            Check.notNegative(steps, "steps");
        }
        Check.text(message, "message");
        Check.notNegative(heartbeats, "heartbeats");
        Check.required(lastHeartbeatAt, "lastHeartbeatAt");
    }

    public static ProgressReported of(String runId, int attempt, Long steps, String message, long heartbeats,
                                      Instant lastHeartbeatAt) {
        return new ProgressReported(Events.newId(), runId, attempt, steps, message, heartbeats, lastHeartbeatAt,
                Events.now(), VERSION);
    }
}
