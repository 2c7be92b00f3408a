package dev.vigil.run.consume;

import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.store.CleanupRepository;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import jakarta.inject.Singleton;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what the cleaner did ({@code vigil.cleanups}) for each run's timeline. Idempotent: an event
 * is stored once, whatever the redeliveries. Cleanups of runs this service does not know (the
 * cleaner's garbage collection also removes resources of unknown runs) are counted and skipped.
 */
@Singleton
public class CleanupEvents {

    private static final Logger LOG = LoggerFactory.getLogger(CleanupEvents.class);

    private final RunRepository runs;
    private final CleanupRepository cleanups;
    private final RunMetrics metrics;

    public CleanupEvents(RunRepository runs, CleanupRepository cleanups, RunMetrics metrics) {
        this.runs = runs;
        this.cleanups = cleanups;
        this.metrics = metrics;
    }

    public void onCleanup(CleanupPerformed cleanup) {
        Optional<RunRow> run = uuid(cleanup.runId()).flatMap(runs::findById);
        if (run.isEmpty()) {
            metrics.ignored("cleanup_of_unknown_run");
            LOG.debug("cleanup of {} {}/{} for unknown run {} not kept", cleanup.kind(), cleanup.namespace(),
                    cleanup.name(), cleanup.runId());
            return;
        }
        int stored = cleanups.record(cleanup.eventId(), run.get().id(), run.get().workspace(), cleanup.attempt(),
                cleanup.namespace(), cleanup.kind(), cleanup.name(), cleanup.outcome().name(), cleanup.trigger().name(),
                cleanup.detail(), cleanup.occurredAt());
        if (stored == 0) {
            metrics.ignored("duplicate_cleanup");
        }
    }

    private static Optional<UUID> uuid(String runId) {
        try {
            return Optional.of(UUID.fromString(runId));
        } catch (IllegalArgumentException notOurs) {
            return Optional.empty();
        }
    }
}
