package dev.vigil.run.store;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;
import java.util.UUID;

/** One row of {@code run_cleanups}: a Kubernetes resource the cleaner deleted, found gone or failed to delete. */
@MappedEntity("run_cleanups")
public record CleanupRow(
        @Id String eventId,
        UUID runId,
        String workspace,
        int attempt,
        String namespace,
        String kind,
        String name,
        String outcome,
        String triggeredBy,
        @Nullable String detail,
        Instant occurredAt,
        Instant receivedAt) {
}
