package dev.vigil.run.consume;

import dev.vigil.contracts.serde.DeadLetterSender;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Singleton;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * {@code deadLetters} in {@code /health} and {@code /health/readiness}: DOWN while records cannot be
 * dead-lettered — their consumer holds at each such record and retries it, so the runs behind it in
 * its partition are not finalized — with since when and the latest error.
 */
@Singleton
@Requires(property = "vigil.consumer.enabled", notEquals = "false")
public class DeadLetterHealthIndicator implements HealthIndicator {

    private final DeadLetterSender deadLetters;

    public DeadLetterHealthIndicator(DeadLetterSender deadLetters) {
        this.deadLetters = deadLetters;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        HealthResult result = deadLetters.failure()
                .map(failure -> HealthResult.builder("deadLetters", HealthStatus.DOWN).details(failure.details()))
                .orElseGet(() -> HealthResult.builder("deadLetters", HealthStatus.UP).details(Map.of()))
                .build();
        return Publishers.just(result);
    }
}
