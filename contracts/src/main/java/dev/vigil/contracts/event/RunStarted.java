package dev.vigil.contracts.event;

import java.time.Instant;

/** The run attempt's first heartbeat was seen: PENDING → RUNNING. */
public record RunStarted(
        String eventId,
        String runId,
        int attempt,
        @Nullable String agentId,
        Instant occurredAt,
        int version) implements RunEvent {

    public RunStarted {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.optionalId(agentId, "agentId");
    }

    public static RunStarted of(String runId, int attempt, String agentId) {
        return new RunStarted(Events.newId(), runId, attempt, agentId, Events.now(), VERSION);
    }
}
