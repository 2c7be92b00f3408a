package dev.vigil.cleaner;

import dev.vigil.cleaner.audit.CleanupAudit;
import dev.vigil.cleaner.events.RunEventProcessor;
import dev.vigil.cleaner.events.RunFinishedCleanup;
import dev.vigil.cleaner.gc.GarbageCollector;
import dev.vigil.cleaner.kubernetes.KubernetesRetry;
import dev.vigil.cleaner.kubernetes.ResourceCache;
import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.cleaner.output.KafkaCleanerOutput;
import dev.vigil.cleaner.runstate.KafkaRunStateChangelog;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.env.Environment;
import jakarta.inject.Singleton;
import org.apache.kafka.clients.producer.Producer;

/** Wires the cleaner's plain classes from configuration; all behaviour lives in those classes. */
@Factory
public class CleanerFactory {

    @Singleton
    CleanerSettings settings(Environment config) {
        return CleanerSettings.from(config::getProperty);
    }

    @Singleton
    TopicCatalog topicCatalog(KafkaSettings kafka) {
        return kafka.catalog();
    }

    @Singleton
    CleanerMetrics metrics(MeterRegistry registry) {
        return new CleanerMetrics(registry);
    }

    @Singleton
    RunStateStore runStateStore(CleanerSettings settings, CleanerMetrics metrics, KafkaRunStateChangelog changelog) {
        RunStateStore store = new RunStateStore(settings.maxTrackedRuns(), changelog);
        metrics.trackRuns(store::liveCount, store::terminalCount);
        return store;
    }

    @Singleton
    KubernetesRetry kubernetesRetry(CleanerSettings settings) {
        return new KubernetesRetry(settings.retry());
    }

    @Singleton
    CleanerOutput output(Producer<byte[], byte[]> producer, TopicCatalog catalog) {
        return new KafkaCleanerOutput(producer, catalog);
    }

    @Singleton
    CleanupAudit audit(CleanerOutput output, CleanerMetrics metrics) {
        return new CleanupAudit(output, metrics);
    }

    /** Started at once: by the time the run state is rebuilt it has usually listed every kind. */
    @Singleton
    @Bean(preDestroy = "close")
    ResourceCache resourceCache(KubernetesClient client, CleanerSettings settings, CleanerMetrics metrics) {
        ResourceCache cache = new ResourceCache(client, settings);
        metrics.trackCache(cache::size, () -> cache.synced() ? 1 : 0);
        cache.start();
        return cache;
    }

    @Singleton
    @Bean(preDestroy = "close")
    ResourceCleaner resourceCleaner(KubernetesClient client, ResourceCache cache, CleanerSettings settings,
                                    KubernetesRetry retry, CleanupAudit audit, CleanerMetrics metrics, RunStateStore store) {
        return new ResourceCleaner(client, cache, settings, retry, audit, metrics, store::isLive);
    }

    @Singleton
    @Bean(preDestroy = "close")
    RunEventProcessor runEventProcessor(TopicCatalog catalog, RunStateStore store, CleanerSettings settings,
                                        ResourceCleaner cleaner, CleanerOutput output, CleanerMetrics metrics) {
        return new RunEventProcessor(catalog.runEvents().valueSerde().deserializer(), store,
                new RunFinishedCleanup(settings, cleaner, metrics), output, metrics, settings.service().concurrency());
    }

    @Singleton
    GarbageCollector garbageCollector(ResourceCache cache, CleanerSettings settings, RunStateStore store,
                                      ResourceCleaner cleaner, CleanerMetrics metrics) {
        return new GarbageCollector(cache, settings, store, cleaner, metrics);
    }
}
