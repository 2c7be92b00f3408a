package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * A stop was asked for (or re-sent): the run is TERMINATING and its stop timeout runs from now.
 *
 * @param stopAttempt 1 for the first request, 2.. for each re-send after a stop timeout
 * @param requestedBy who or what asked (a user, {@code vigil:stop-timeout})
 */
public record RunStopRequested(
        String eventId,
        String runId,
        int attempt,
        int stopAttempt,
        String requestedBy,
        @Nullable String agentId,
        Instant occurredAt,
        int version) implements RunEvent {

    public RunStopRequested {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.atLeastOne(stopAttempt, "stopAttempt");
        Check.required(requestedBy, "requestedBy");
        Check.text(requestedBy, "requestedBy");
        Check.optionalId(agentId, "agentId");
    }

    public static RunStopRequested of(String runId, int attempt, int stopAttempt, String requestedBy, String agentId) {
        return new RunStopRequested(Events.newId(), runId, attempt, stopAttempt, requestedBy, agentId, Events.now(), VERSION);
    }
}
