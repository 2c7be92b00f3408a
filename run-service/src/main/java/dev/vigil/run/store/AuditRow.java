package dev.vigil.run.store;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.GeneratedValue;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;
import java.util.UUID;

/** One row of {@code run_audit}. */
@MappedEntity("run_audit")
public record AuditRow(
        @Id @GeneratedValue Long id,
        UUID runId,
        String workspace,
        int attempt,
        String action,
        @Nullable String fromStatus,
        @Nullable String toStatus,
        @Nullable String reason,
        String actor,
        @Nullable String detail,
        Instant at) {
}
