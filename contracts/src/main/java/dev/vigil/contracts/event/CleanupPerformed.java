package dev.vigil.contracts.event;

import java.time.Instant;

/** One Kubernetes resource the cleaner deleted (or found gone, or failed to delete): the audit trail. */
public record CleanupPerformed(
        String eventId,
        String runId,
        int attempt,
        String namespace,
        String kind,
        String name,
        CleanupOutcome outcome,
        CleanupTrigger trigger,
        @Nullable String detail,
        Instant occurredAt,
        int version) implements RunScoped {

    public CleanupPerformed {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.required(namespace, "namespace");
        Check.required(kind, "kind");
        Check.required(name, "name");
        Check.required(outcome, "outcome");
        Check.required(trigger, "trigger");
        Check.text(detail, "detail");
    }

    public static CleanupPerformed of(String runId, int attempt, String namespace, String kind, String name,
                                      CleanupOutcome outcome, CleanupTrigger trigger, String detail) {
        return new CleanupPerformed(Events.newId(), runId, attempt, namespace, kind, name, outcome, trigger, detail,
                Events.now(), VERSION);
    }
}
