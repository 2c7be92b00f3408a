package dev.vigil.run;

import dev.vigil.contracts.event.RunStatus;
import dev.vigil.run.store.AuditRepository;
import dev.vigil.run.store.AuditRow;
import dev.vigil.run.store.CleanupRepository;
import dev.vigil.run.store.CleanupRow;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.lifecycle.RunLifecycle;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import dev.vigil.run.store.StatusCount;
import jakarta.inject.Singleton;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What the console reads: a workspace's runs counted by status and stuckness, and one run's history. */
@Singleton
public class RunOverview {

    private final RunRepository runs;
    private final AuditRepository audit;
    private final CleanupRepository cleanups;
    private final RunLifecycle lifecycle;

    public RunOverview(RunRepository runs, AuditRepository audit, CleanupRepository cleanups, RunLifecycle lifecycle) {
        this.runs = runs;
        this.audit = audit;
        this.cleanups = cleanups;
        this.lifecycle = lifecycle;
    }

    /** The workspace's runs by status (every status, zeros too) and its {@link Stuck} runs by status, at {@code at}. */
    public record Summary(Map<RunStatus, Long> counts, Map<RunStatus, Long> stuck, Instant at) {
    }

    /** A run as it is now, its audit trail and its cleanups, each oldest first. */
    public record History(RunRow run, List<AuditRow> audit, List<CleanupRow> cleanups) {
    }

    public Summary summary(String workspace) {
        Instant now = RunRows.now();
        Map<RunStatus, Long> counts = new EnumMap<>(RunStatus.class);
        Map<RunStatus, Long> stuck = new EnumMap<>(RunStatus.class);
        for (RunStatus status : RunStatus.values()) {
            counts.put(status, 0L);
            if (!status.isTerminal()) {
                stuck.put(status, 0L);
            }
        }
        for (StatusCount count : runs.countByStatus(workspace)) {
            counts.put(RunStatus.valueOf(count.status()), count.runs());
        }
        for (StatusCount count : runs.countStuck(workspace, now)) {
            stuck.put(RunStatus.valueOf(count.status()), count.runs());
        }
        return new Summary(counts, stuck, now);
    }

    /**
     * Up to {@code limit} of the workspace's runs created before the given point, newest first,
     * optionally of one key, one status, only the {@link Stuck} ones.
     */
    public List<RunRow> page(String workspace, String key, RunStatus status, Instant beforeCreatedAt, UUID beforeId,
                             boolean stuckOnly, int limit) {
        return runs.page(workspace, key, status == null ? null : status.name(), beforeCreatedAt, beforeId, stuckOnly,
                RunRows.now(), limit);
    }

    /** Refused as not found if the run is not the workspace's. */
    public History history(String workspace, UUID id) {
        RunRow run = lifecycle.get(workspace, id);
        return new History(run, audit.findByRunIdOrderById(run.id()), cleanups.findByRun(run.id(), workspace));
    }
}
