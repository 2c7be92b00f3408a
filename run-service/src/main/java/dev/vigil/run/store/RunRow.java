package dev.vigil.run.store;

import dev.vigil.contracts.event.RunStatus;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import io.micronaut.data.annotation.MappedProperty;
import java.time.Instant;
import java.util.UUID;

/**
 * One row of {@code runs}. Only run-service writes it, and only through {@link RunRepository}'s guarded updates.
 * {@code attemptCreatedAt} is when the current attempt began: the create, or the latest retry. {@code progressTimeoutMs}
 * and {@code onStall} ({@code fail}, {@code flag}) are null for a run whose progress is not watched; {@code stalledAt}
 * is when a flagged run's progress stalled, null once it moves again; {@code progressChangedAt} the
 * heartbeat time of the report that last changed its progress. {@code warnAt} is the share of the max duration at which
 * the attempt is warned of its deadline (null: never), {@code deadlineWarnedAt} when it was (null: not yet).
 */
@MappedEntity("runs")
public record RunRow(
        @Id UUID id,
        String workspace,
        @MappedProperty("run_key") String key,
        @Nullable String kind,
        @Nullable String agentId,
        int attempt,
        RunStatus status,
        @Nullable String reason,
        @Nullable String error,
        long heartbeatTimeoutMs,
        long startTimeoutMs,
        long stopTimeoutMs,
        long maxDurationMs,
        @Nullable String cleanupNamespace,
        @Nullable String cleanupLabels,
        @Nullable Long steps,
        @Nullable String progressMessage,
        long heartbeats,
        @Nullable Instant lastHeartbeatAt,
        int stopAttempts,
        Instant createdAt,
        @Nullable Instant startedAt,
        @Nullable Instant stopRequestedAt,
        @Nullable Instant finishedAt,
        Instant updatedAt,
        Instant attemptCreatedAt,
        @Nullable Long progressTimeoutMs,
        @Nullable String onStall,
        @Nullable Instant stalledAt,
        @Nullable Instant progressChangedAt,
        @Nullable Double warnAt,
        @Nullable Instant deadlineWarnedAt) {
}
