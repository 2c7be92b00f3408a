package dev.vigil.cleaner.kubernetes;

import io.micronaut.context.annotation.Requires;
import io.micronaut.core.async.publisher.Publishers;
import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.HealthIndicator;
import io.micronaut.management.health.indicator.HealthResult;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import org.reactivestreams.Publisher;

/**
 * {@code kubernetesCache} in {@code /health} and {@code /health/readiness}: DOWN until the resource cache has
 * listed every allowed namespace and kind (cleanups wait for it meanwhile, and garbage collection is skipped);
 * the details say, per kind and namespace, whether it is watching and how many objects it holds.
 */
@Singleton
@Readiness
@Requires(property = "vigil.cleaner.consumer.enabled", notEquals = "false")
public class ResourceCacheHealthIndicator implements HealthIndicator {

    private final ResourceCache cache;

    public ResourceCacheHealthIndicator(ResourceCache cache) {
        this.cache = cache;
    }

    @Override
    public Publisher<HealthResult> getResult() {
        HealthStatus status = cache.synced() ? HealthStatus.UP : HealthStatus.DOWN;
        return Publishers.just(HealthResult.builder("kubernetesCache", status).details(cache.describe()).build());
    }
}
