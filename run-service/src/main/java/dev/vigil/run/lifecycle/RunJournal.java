package dev.vigil.run.lifecycle;

import dev.vigil.run.store.AuditRepository;
import dev.vigil.run.store.RunRow;
import dev.vigil.run.store.RunRows;
import dev.vigil.run.webhook.WebhookOutbox;
import io.micronaut.core.annotation.Nullable;
import jakarta.inject.Singleton;

/**
 * Where every change of a run is written down, in the transaction of the change: its audit trail (the timeline)
 * and the webhook deliveries that tell it to the workspace's subscribers ({@link WebhookOutbox}).
 */
@Singleton
public class RunJournal {

    private final AuditRepository audit;
    private final WebhookOutbox webhooks;

    public RunJournal(AuditRepository audit, WebhookOutbox webhooks) {
        this.audit = audit;
        this.webhooks = webhooks;
    }

    /** Records {@code action}, which left the run as {@code after} (its row read right after the change). */
    public void record(RunRow after, String action, @Nullable String fromStatus, @Nullable String reason, String actor,
                       @Nullable String detail) {
        audit.record(after.id(), after.workspace(), after.attempt(), action, fromStatus, after.status().name(), reason,
                actor, detail);
        webhooks.tell(after, action, reason, detail, RunRows.now());
    }
}
