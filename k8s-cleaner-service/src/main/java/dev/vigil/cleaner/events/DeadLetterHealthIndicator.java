package dev.vigil.cleaner.events;

import dev.vigil.cleaner.output.CleanerOutput;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * {@code deadLetters} in {@code /health} and {@code /health/readiness}: DOWN while records cannot be
 * dead-lettered — the consumer holds each affected partition at such a record and retries it, so the
 * finishes behind it are not acted on — with since when and the latest error.
 */
@Singleton
@Readiness
@Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
public class DeadLetterHealthIndicator implements HealthIndicator {

    private final CleanerOutput output;

    public DeadLetterHealthIndicator(CleanerOutput output) {
        this.output = output;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        HealthResult result = output.deadLetterFailure()
                .map(failure -> HealthResult.builder("deadLetters", HealthStatus.DOWN).details(failure.details()))
                .orElseGet(() -> HealthResult.builder("deadLetters", HealthStatus.UP).details(Map.of()))
                .build();
        return Publishers.just(result);
    }
}
