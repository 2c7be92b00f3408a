package dev.vigil.contracts.event;

import java.time.Instant;

/**
 * The run attempt has used its {@code timeouts.warnAt} share of its max duration and is still live: a warning, so
 * the app can checkpoint before {@code deadlineAt}, when the attempt times out ({@code deadline_exceeded}). Sent by
 * the sweeper once per attempt on {@code vigil.run-activity}, on the broker's clock; run-service records it on the
 * run's timeline and passes it on to {@code vigil.run-events} for the apps that listen there.
 *
 * @param deadlineAt when the attempt's max duration runs out (broker time)
 * @param dueAt when the warning was due: the attempt's creation plus {@code warnAt} × its max duration
 */
public record RunDeadlineApproaching(
        String eventId,
        String runId,
        int attempt,
        Instant deadlineAt,
        Instant dueAt,
        Instant occurredAt,
        int version) implements RunActivity, RunEvent {

    public RunDeadlineApproaching {
        Check.envelope(eventId, occurredAt, version);
        Check.id(runId, "runId");
        Check.attempt(attempt);
        Check.required(deadlineAt, "deadlineAt");
        Check.required(dueAt, "dueAt");
    }

    public static RunDeadlineApproaching of(String runId, int attempt, Instant deadlineAt, Instant dueAt) {
        return new RunDeadlineApproaching(Events.newId(), runId, attempt, deadlineAt, dueAt, Events.now(), VERSION);
    }
}
