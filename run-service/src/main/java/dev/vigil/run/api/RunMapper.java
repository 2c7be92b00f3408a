package dev.vigil.run.api;

import dev.vigil.contracts.event.CleanupTarget;
import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.RunOverview;
import dev.vigil.run.Stuck;
import dev.vigil.run.store.AuditRow;
import dev.vigil.run.store.CleanupRow;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rows to API views. */
public final class RunMapper {

    private RunMapper() {
    }

    public static RunViews.Run view(RunRow run) {
        return view(run, Instant.now());
    }

    static RunViews.Run view(RunRow run, Instant now) {
        CleanupTarget cleanup = RunRows.cleanup(run);
        return new RunViews.Run(run.id().toString(), run.workspace(), run.key(), run.kind(), run.agentId(), run.attempt(),
                run.status(), run.reason(), run.error(),
                RunViews.Timeouts.of(RunRows.timeouts(run)),
                cleanup == null ? null : new RunViews.Cleanup(cleanup.namespace(), cleanup.labels()),
                new RunViews.Progress(run.steps(), run.progressMessage(), run.heartbeats(), run.lastHeartbeatAt(),
                        run.progressChangedAt()),
                run.stopAttempts(), run.createdAt(), run.startedAt(), run.stopRequestedAt(), run.finishedAt(),
                run.attemptCreatedAt(), run.deadlineWarnedAt(),
                Stuck.of(run, now).map(s -> new RunViews.Stuck(s.reason().code(), s.dueAt(), s.detail())).orElse(null),
                null);
    }

    static RunViews.Summary summary(String workspace, RunOverview.Summary summary) {
        return new RunViews.Summary(workspace, byName(summary.counts()), total(summary.counts()), byName(summary.stuck()),
                total(summary.stuck()), summary.at());
    }

    /** The audit trail, the cleanups and the current attempt's latest progress, merged oldest first. */
    static RunViews.Timeline timeline(RunOverview.History history) {
        RunRow run = history.run();
        List<RunViews.TimelineEntry> entries = new ArrayList<>();
        for (AuditRow a : history.audit()) {
            entries.add(new RunViews.TimelineEntry(a.at(), a.attempt(), "audit", a.action(), a.fromStatus(), a.toStatus(),
                    a.reason(), a.actor(), a.detail(), null));
        }
        for (CleanupRow c : history.cleanups()) {
            entries.add(new RunViews.TimelineEntry(c.occurredAt(), c.attempt(), "cleanup", "resource_" + c.outcome().toLowerCase(),
                    null, null, null, "vigil:cleaner", c.detail(),
                    new RunViews.Resource(c.namespace(), c.kind(), c.name(), c.outcome(), c.triggeredBy())));
        }
        if (run.steps() != null || run.progressMessage() != null) {
            String steps = run.steps() == null ? "" : run.steps() + " steps";
            String message = run.progressMessage() == null ? "" : run.progressMessage();
            entries.add(new RunViews.TimelineEntry(run.lastHeartbeatAt() != null ? run.lastHeartbeatAt() : run.updatedAt(),
                    run.attempt(), "progress", "progress", null, null, null, run.agentId(),
                    (steps + (steps.isEmpty() || message.isEmpty() ? "" : ": ") + message) + " (" + run.heartbeats()
                            + " heartbeats)", null));
        }
        // Stable: entries of one instant keep the audit's own order.
        entries.sort(Comparator.comparing(RunViews.TimelineEntry::at));
        return new RunViews.Timeline(view(run), entries);
    }

    private static Map<String, Long> byName(Map<RunStatus, Long> counts) {
        Map<String, Long> named = new LinkedHashMap<>();
        counts.forEach((status, count) -> named.put(status.name(), count));
        return named;
    }

    private static long total(Map<RunStatus, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }
}
