package dev.vigil.run.webhook;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;

/** One attempt at a delivery ({@code webhook_attempts}): the answer's status, or the error, and how long it took. */
@MappedEntity("webhook_attempts")
public record AttemptRow(
        @Id Long id,
        long deliveryId,
        int attempt,
        Instant at,
        @Nullable Integer statusCode,
        @Nullable String error,
        int latencyMs) {
}
