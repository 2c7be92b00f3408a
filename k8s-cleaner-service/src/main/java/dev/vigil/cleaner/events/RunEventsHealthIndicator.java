package dev.vigil.cleaner.events;

import dev.vigil.cleaner.runstate.RunStateStore;
import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.annotation.Liveness;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import jakarta.inject.Singleton;
import java.util.LinkedHashMap;
import java.util.Map;
import org.reactivestreams.Publisher;

/**
 * {@code runEvents} in {@code /health}: DOWN once the consumer has failed, UP while it starts,
 * rebuilds the run state or runs; the details say which, and how many runs it tracks.
 */
@Singleton
@Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
@Liveness
public class RunEventsHealthIndicator implements HealthIndicator {

    private final RunEventLoop loop;
    private final RunStateStore store;

    public RunEventsHealthIndicator(RunEventLoop loop, RunStateStore store) {
        this.loop = loop;
        this.store = store;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        RunEventLoop.Status status = loop.status();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("consumer", status.name());
        details.put("runsTracked", store.size());
        details.put("runsLive", store.liveCount());
        store.caughtUpAt().ifPresent(at -> details.put("caughtUpAt", at.toString()));
        HealthStatus health = status == RunEventLoop.Status.FAILED ? HealthStatus.DOWN : HealthStatus.UP;
        return Publishers.just(HealthResult.builder("runEvents", health).details(details).build());
    }
}
