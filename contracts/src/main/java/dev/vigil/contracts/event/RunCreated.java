package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * A run attempt exists and is PENDING: arms its start timeout and carries every timeout the sweeper
 * will enforce. A retry publishes a new RunCreated with the next attempt.
 *
 * @param workspace the tenant the run belongs to
 * @param key the one-active-run slot (a chat, a session)
 * @param kind what sort of work, free text for people (e.g. {@code book-generation})
 * @param agentId the agent process hosting the run, if any
 * @param cleanup where its Kubernetes resources are, if it has any
 */
public record RunCreated(
        String eventId,
        String runId,
        int attempt,
        String workspace,
        String key,
        @Nullable String kind,
        @Nullable String agentId,
        RunTimeouts timeouts,
        @Nullable CleanupTarget cleanup,
        Instant occurredAt,
        int version) implements RunEvent {

    public RunCreated {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.id(workspace, "workspace");
        Check.required(key, "key");
        Check.text(key, "key");
        Check.text(kind, "kind");
        Check.optionalId(agentId, "agentId");
        Check.required(timeouts, "timeouts");
    }

    public static RunCreated of(String runId, int attempt, String workspace, String key, String kind, String agentId,
                                RunTimeouts timeouts, CleanupTarget cleanup) {
        return new RunCreated(Events.newId(), runId, attempt, workspace, key, kind, agentId, timeouts, cleanup,
                Events.now(), VERSION);
    }
}
