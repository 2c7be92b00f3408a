package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * "This run attempt is alive", sent by its worker to {@code vigil.heartbeats}, keyed by run id.
 * Progress (steps, message) rides along; detection measures gaps on the broker's append time.
 *
 * @param seq the sender's counter, from 0, for spotting gaps and duplicates
 * @param steps units of work done so far, if the worker reports them
 * @param message what the worker is doing, if it says
 * @param token the attempt's heartbeat token (run-service returns it on create and retry); required
 *        when the sweeper runs with {@code vigil.heartbeats.require-token}
 */
public record Heartbeat(
        String eventId,
        String runId,
        int attempt,
        @Nullable String agentId,
        long seq,
        @Nullable Long steps,
        @Nullable String message,
        @Nullable String token,
        Instant occurredAt,
        int version) implements RunScoped {

    public Heartbeat {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.optionalId(agentId, "agentId");
        Check.notNegative(seq, "seq");
        if (steps != null) {
            Check.notNegative(steps, "steps");
        }
        Check.text(message, "message");
        Check.optionalToken(token, "token");
    }

    public static Heartbeat of(String runId, int attempt, String agentId, long seq, Long steps, String message) {
        return of(runId, attempt, agentId, seq, steps, message, null);
    }

    public static Heartbeat of(String runId, int attempt, String agentId, long seq, Long steps, String message,
                               String token) {
        return new Heartbeat(Events.newId(), runId, attempt, agentId, seq, steps, message, token, Events.now(),
                VERSION);
    }
}
