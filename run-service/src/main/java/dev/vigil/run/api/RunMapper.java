package dev.vigil.run.api;

import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.run.store.RunRow;
import java.time.Duration;

/** Rows to API views. */
final class RunMapper {

    private RunMapper() {
    }

    static RunViews.Run view(RunRow run) {
        CleanupTarget cleanup = dev.vigil.run.RunService.cleanupOf(run);
        return new RunViews.Run(run.id().toString(), run.workspace(), run.key(), run.kind(), run.agentId(), run.attempt(),
                run.status(), run.reason(), run.error(),
                RunViews.Timeouts.of(Duration.ofMillis(run.heartbeatTimeoutMs()), Duration.ofMillis(run.startTimeoutMs()),
                        Duration.ofMillis(run.stopTimeoutMs()), Duration.ofMillis(run.maxDurationMs())),
                cleanup == null ? null : new RunViews.Cleanup(cleanup.namespace(), cleanup.labels()),
                new RunViews.Progress(run.steps(), run.progressMessage(), run.heartbeats(), run.lastHeartbeatAt()),
                run.stopAttempts(), run.createdAt(), run.startedAt(), run.stopRequestedAt(), run.finishedAt());
    }
}
