package dev.vigil.cleaner;

import dev.vigil.cleaner.audit.CleanupAudit;
import dev.vigil.cleaner.events.RunEventProcessor;
import dev.vigil.cleaner.events.RunFinishedCleanup;
import dev.vigil.cleaner.gc.GarbageCollector;
import dev.vigil.cleaner.kubernetes.KubernetesRetry;
import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.output.CleanerOutput;
import dev.vigil.cleaner.output.KafkaCleanerOutput;
import dev.vigil.cleaner.runstate.KafkaRunStateChangelog;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.cleaner.settings.RetryPolicy;
import dev.vigil.contracts.KafkaSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Property;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.producer.Producer;

/** Wires the cleaner's plain classes from configuration; all behaviour lives in those classes. */
@Factory
public class CleanerFactory {

    @Singleton
    CleanerSettings settings(@Property(name = "vigil.cleaner.namespaces") List<String> namespaces,
                             @Property(name = "vigil.cleaner.kinds") List<String> kinds,
                             @Property(name = "vigil.cleaner.run-label-key") String runLabelKey,
                             @Property(name = "vigil.cleaner.managed-by-label-key") String managedByKey,
                             @Property(name = "vigil.cleaner.managed-by-label-value") String managedByValue,
                             @Property(name = "vigil.cleaner.gc.orphan-age") Duration orphanAge,
                             @Property(name = "vigil.cleaner.max-run-duration") Duration maxRunDuration,
                             @Property(name = "vigil.cleaner.retry.attempts") int attempts,
                             @Property(name = "vigil.cleaner.retry.initial-backoff") Duration initialBackoff,
                             @Property(name = "vigil.cleaner.retry.max-backoff") Duration maxBackoff,
                             @Property(name = "vigil.cleaner.state.max-runs") int maxRuns) {
        return CleanerSettings.of(namespaces, kinds, runLabelKey, managedByKey, managedByValue, orphanAge,
                maxRunDuration, new RetryPolicy(attempts, initialBackoff, maxBackoff), maxRuns);
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

    @Singleton
    @Bean(preDestroy = "close")
    ResourceCleaner resourceCleaner(KubernetesClient client, CleanerSettings settings, KubernetesRetry retry,
                                    CleanupAudit audit, CleanerMetrics metrics, RunStateStore store) {
        return new ResourceCleaner(client, settings, retry, audit, metrics, store::isLive);
    }

    @Singleton
    @Bean(preDestroy = "close")
    RunEventProcessor runEventProcessor(TopicCatalog catalog, RunStateStore store, CleanerSettings settings,
                                        ResourceCleaner cleaner, CleanerOutput output, CleanerMetrics metrics,
                                        @Property(name = "vigil.cleaner.concurrency") int concurrency) {
        return new RunEventProcessor(catalog.runEvents().valueSerde().deserializer(), store,
                new RunFinishedCleanup(settings, cleaner, metrics), output, metrics, concurrency);
    }

    @Singleton
    GarbageCollector garbageCollector(KubernetesClient client, CleanerSettings settings, RunStateStore store,
                                      ResourceCleaner cleaner, KubernetesRetry retry, CleanerMetrics metrics) {
        return new GarbageCollector(client, settings, store, cleaner, retry, metrics);
    }
}
