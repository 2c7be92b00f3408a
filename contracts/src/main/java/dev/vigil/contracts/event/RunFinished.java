package dev.vigil.contracts.event;

import dev.vigil.contracts.serde.InvalidEventException;
import java.time.Instant;

/**
 * The run attempt reached its terminal state (written at most once). Disarms every timeout and
 * tells the cleaner to delete the run's Kubernetes resources.
 */
public record RunFinished(
        String eventId,
        String runId,
        int attempt,
        String workspace,
        String key,
        RunStatus status,
        Reason reason,
        @Nullable String error,
        @Nullable CleanupTarget cleanup,
        Instant occurredAt,
        int version) implements RunEvent {

    public RunFinished {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.id(workspace, "workspace");
        Check.required(key, "key");
        Check.required(status, "status");
        if (!status.isTerminal()) {
            throw new InvalidEventException("status must be terminal, was " + status);
        }
        Check.required(reason, "reason");
        Check.text(error, "error");
    }

    public static RunFinished of(String runId, int attempt, String workspace, String key, RunStatus status,
                                 Reason reason, String error, CleanupTarget cleanup) {
        return new RunFinished(Events.newId(), runId, attempt, workspace, key, status, reason, error, cleanup,
                Events.now(), VERSION);
    }
}
