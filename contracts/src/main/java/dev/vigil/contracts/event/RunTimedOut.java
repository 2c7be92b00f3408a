package dev.vigil.contracts.event;

import dev.vigil.contracts.serde.InvalidEventException;
import java.time.Instant;

/**
 * The sweeper found a run attempt past one of its timeouts; run-service finalizes it (or, for
 * {@code stop_timeout} with a live agent, re-sends the stop).
 *
 * @param dueAt when the timeout fell due, on the broker's clock
 * @param lastHeartbeatAt the broker time of the attempt's last heartbeat, if it had one
 * @param agentAlive whether the run's agent was still heartbeating when this fired
 * @param stopAttempt for {@code stop_timeout}: the stop request that timed out
 * @param progressChangedAt for {@code progress_stalled}: the broker time the attempt's progress last changed
 */
public record RunTimedOut(
        String eventId,
        String runId,
        int attempt,
        Reason reason,
        Instant dueAt,
        @Nullable Instant lastHeartbeatAt,
        @Nullable String agentId,
        boolean agentAlive,
        @Nullable Integer stopAttempt,
        @Nullable Instant progressChangedAt,
        Instant occurredAt,
        int version) implements RunScoped {

    public RunTimedOut {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.required(reason, "reason");
        if (!reason.isTimeout()) {
            throw new InvalidEventException("reason must be a timeout reason, was " + reason);
        }
        Check.required(dueAt, "dueAt");
        Check.optionalId(agentId, "agentId");
    }

    public static RunTimedOut of(String runId, int attempt, Reason reason, Instant dueAt, Instant lastHeartbeatAt,
                                 String agentId, boolean agentAlive, Integer stopAttempt) {
        return of(runId, attempt, reason, dueAt, lastHeartbeatAt, agentId, agentAlive, stopAttempt, null);
    }

    public static RunTimedOut of(String runId, int attempt, Reason reason, Instant dueAt, Instant lastHeartbeatAt,
                                 String agentId, boolean agentAlive, Integer stopAttempt, Instant progressChangedAt) {
        return new RunTimedOut(Events.newId(), runId, attempt, reason, dueAt, lastHeartbeatAt, agentId, agentAlive,
                stopAttempt, progressChangedAt, Events.now(), VERSION);
    }
}
