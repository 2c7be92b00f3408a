package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * The sweeper saw the first heartbeat of a run attempt; run-service moves it PENDING → RUNNING.
 *
 * @param heartbeatAt the heartbeat's broker append time
 */
public record FirstHeartbeatReceived(
        String eventId,
        String runId,
        int attempt,
        @Nullable String agentId,
        Instant heartbeatAt,
        Instant occurredAt,
        int version) implements RunActivity {

    public FirstHeartbeatReceived {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.optionalId(agentId, "agentId");
        Check.required(heartbeatAt, "heartbeatAt");
    }

    public static FirstHeartbeatReceived of(String runId, int attempt, String agentId, Instant heartbeatAt) {
        return new FirstHeartbeatReceived(Events.newId(), runId, attempt, agentId, heartbeatAt, Events.now(), VERSION);
    }
}
