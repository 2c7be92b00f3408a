package dev.vigil.run.consume;

import dev.vigil.contracts.event.CleanupPerformed;
import dev.vigil.run.RunMetrics;
import dev.vigil.run.store.CleanupRepository;
import dev.vigil.run.store.RunRepository;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import dev.vigil.run.webhook.WebhookOutbox;
import io.micronaut.transaction.TransactionOperations;
import jakarta.inject.Singleton;
import java.sql.Connection;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps what the cleaner did ({@code vigil.cleanups}) for each run's timeline, and tells the workspace's webhook
 * subscribers ({@code run.cleaned_up}, one per resource). Idempotent: an event is stored and told once, whatever
 * the redeliveries. Cleanups of runs this service does not know (the
 * cleaner's garbage collection also removes resources of unknown runs) are counted and skipped.
 */
@Singleton
public class CleanupEvents {

    private static final Logger LOG = LoggerFactory.getLogger(CleanupEvents.class);

    private final RunRepository runs;
    private final CleanupRepository cleanups;
    private final WebhookOutbox webhooks;
    private final TransactionOperations<Connection> tx;
    private final RunMetrics metrics;

    public CleanupEvents(RunRepository runs, CleanupRepository cleanups, WebhookOutbox webhooks,
                         TransactionOperations<Connection> tx, RunMetrics metrics) {
        this.runs = runs;
        this.cleanups = cleanups;
        this.webhooks = webhooks;
        this.tx = tx;
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
        tx.executeWrite(status -> {
            // The run's row locked first, as every change of the run does: its deliveries commit in their ids' order.
            RunRow locked = runs.lock(run.get().id()).orElseThrow();
            int stored = cleanups.record(cleanup.eventId(), run.get().id(), run.get().workspace(), cleanup.attempt(),
                    cleanup.namespace(), cleanup.kind(), cleanup.name(), cleanup.outcome().name(),
                    cleanup.trigger().name(), cleanup.detail(), cleanup.occurredAt());
            if (stored == 0) {
                metrics.ignored("duplicate_cleanup");
            } else { // told once, with the row that keeps it
                webhooks.tell(locked, cleanup.attempt(), "cleaned_up", cleanup.outcome().name().toLowerCase(Locale.ROOT),
                        cleanup.kind() + " " + cleanup.namespace() + "/" + cleanup.name()
                                + (cleanup.detail() == null ? "" : ": " + cleanup.detail()), RunRows.now());
            }
            return null;
        });
    }

    private static Optional<UUID> uuid(String runId) {
        try {
            return Optional.of(UUID.fromString(runId));
        } catch (IllegalArgumentException notOurs) {
            return Optional.empty();
        }
    }
}
