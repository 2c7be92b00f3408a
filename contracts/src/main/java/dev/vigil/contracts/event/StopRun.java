package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * Tells the agent running a run to stop it (any instance can send it; the agent holding the run
 * acts). Re-sent with a higher {@code stopAttempt} while the agent lives and the stop times out.
 */
public record StopRun(
        String eventId,
        String runId,
        int attempt,
        String workspace,
        @Nullable String agentId,
        int stopAttempt,
        String requestedBy,
        Instant occurredAt,
        int version) implements RunCommand {

    public StopRun {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.id(workspace, "workspace");
        Check.optionalId(agentId, "agentId");
        Check.atLeastOne(stopAttempt, "stopAttempt");
        Check.required(requestedBy, "requestedBy");
        Check.text(requestedBy, "requestedBy");
    }

    public static StopRun of(String runId, int attempt, String workspace, String agentId, int stopAttempt,
                             String requestedBy) {
        return new StopRun(Events.newId(), runId, attempt, workspace, agentId, stopAttempt, requestedBy, Events.now(),
                VERSION);
    }
}
