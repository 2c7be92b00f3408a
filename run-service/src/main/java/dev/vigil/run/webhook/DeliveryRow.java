package dev.vigil.run.webhook;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;
import java.util.UUID;

/** One event to tell one subscription ({@code webhook_deliveries}). */
@MappedEntity("webhook_deliveries")
public record DeliveryRow(
        @Id Long id,
        String messageId,
        UUID subscriptionId,
        String workspace,
        UUID runId,
        String eventType,
        String payload,
        String status,
        int attempts,
        Instant nextAttemptAt,
        Instant retryUntil,
        @Nullable Instant lockedUntil,
        @Nullable Integer lastStatus,
        @Nullable String lastError,
        @Nullable Integer lastLatencyMs,
        Instant createdAt,
        @Nullable Instant deliveredAt) {
}
