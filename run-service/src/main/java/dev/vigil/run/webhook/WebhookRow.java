package dev.vigil.run.webhook;

import io.micronaut.core.annotation.Nullable;
import io.micronaut.data.annotation.Id;
import io.micronaut.data.annotation.MappedEntity;
import java.time.Instant;
import java.util.UUID;

/** One subscription of {@code webhook_subscriptions}; {@code eventTypes} is comma-separated, or {@code *}. */
@MappedEntity("webhook_subscriptions")
public record WebhookRow(
        @Id UUID id,
        String workspace,
        String url,
        String eventTypes,
        @Nullable String keyFilter,
        boolean enabled,
        String secret,
        @Nullable String previousSecret,
        @Nullable Instant previousSecretUntil,
        @Nullable Instant failingSince,
        Instant createdAt,
        Instant updatedAt) {
}
