package dev.vigil.cleaner;

import dev.vigil.contracts.Labels;
import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.Reason;
import dev.vigil.contracts.event.RunCreated;
import dev.vigil.contracts.event.RunFinished;
import dev.vigil.contracts.event.RunStarted;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.contracts.event.RunStopRequested;
import dev.vigil.contracts.event.RunTimeouts;
import dev.vigil.contracts.event.VigilEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/** Run events as run-service writes them. */
public final class Events {

    private Events() {
    }

    public static RunCreated created(String runId, int attempt, CleanupTarget target) {
        return RunCreated.of(runId, attempt, "ws-1", "session-slot", "agent-session", null, timeouts(), target);
    }

    public static RunCreated created(String runId, int attempt) {
        return created(runId, attempt, null);
    }

    public static RunStarted started(String runId, int attempt) {
        return RunStarted.of(runId, attempt, "agent-1");
    }

    public static RunStopRequested stopRequested(String runId, int attempt) {
        return RunStopRequested.of(runId, attempt, 1, "user:alice", "agent-1");
    }

    /**
     * A finish a little after now: a run ends after the resources a test has just created for it, and
     * a resource created in the very second its run ended is spared (a retry may own it).
     */
    public static RunFinished finished(String runId, int attempt, CleanupTarget target) {
        return new RunFinished(UUID.randomUUID().toString(), runId, attempt, "ws-1", "session-slot", RunStatus.TIMED_OUT,
                Reason.AGENT_LOST, null, target, Instant.now().plusSeconds(2), VigilEvent.VERSION);
    }

    public static RunFinished finished(String runId, int attempt) {
        return finished(runId, attempt, null);
    }

    /** A finish that occurred at {@code at}. */
    public static RunFinished finishedAt(String runId, int attempt, Instant at) {
        return new RunFinished(UUID.randomUUID().toString(), runId, attempt, "ws-1", "session-slot", RunStatus.FAILED,
                Reason.ERROR, "boom", null, at, VigilEvent.VERSION);
    }

    /** The run's own target as run-service builds it: {@code session=<run id>}, managed-by, workspace. */
    public static CleanupTarget target(String namespace, String runId) {
        return new CleanupTarget(namespace, Labels.ofRun("session", runId, "ws-1"));
    }

    private static RunTimeouts timeouts() {
        return new RunTimeouts(Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(1), Duration.ofHours(4));
    }
}
