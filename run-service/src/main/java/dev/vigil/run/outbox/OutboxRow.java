package dev.vigil.run.outbox;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One event waiting to be published. {@code topic} is logical ({@code run-events} or {@code commands}). */
@MappedEntity("outbox")
public record OutboxRow(
        @Id Long id,
        String topic,
        String recordKey,
        String eventType,
        String payload,
        Instant createdAt,
        int attempts,
        Instant nextAttemptAt,
        @Nullable String lastError,
        boolean blocked) {
}
