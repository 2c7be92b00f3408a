package dev.vigil.cleaner;

import dev.vigil.cleaner.audit.CleanupAudit;
import dev.vigil.cleaner.events.RunEventProcessor;
import dev.vigil.cleaner.events.RunFinishedCleanup;
import dev.vigil.cleaner.gc.GarbageCollector;
import dev.vigil.cleaner.kubernetes.KubernetesRetry;
import dev.vigil.cleaner.kubernetes.ResourceCleaner;
import dev.vigil.cleaner.metrics.CleanerMetrics;
import dev.vigil.cleaner.runstate.RunStateStore;
import dev.vigil.cleaner.settings.CleanerSettings;
import dev.vigil.contracts.topic.TopicCatalog;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The cleaner's production classes wired as the Micronaut factory wires them, around a test client and output. */
public final class Cleaner {

    public final CleanerSettings settings;
    public final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    public final CleanerMetrics metrics = new CleanerMetrics(registry);
    public final RecordingOutput output = new RecordingOutput();
    public final RunStateStore store;
    public final KubernetesRetry retry;
    public final ResourceCleaner resources;
    public final RunEventProcessor processor;
    public final GarbageCollector gc;

    public Cleaner(KubernetesClient client, CleanerSettings settings) {
        this.settings = settings;
        store = new RunStateStore(settings.maxTrackedRuns());
        retry = new KubernetesRetry(settings.retry());
        resources = new ResourceCleaner(client, settings, retry, new CleanupAudit(output, metrics), metrics, store::isLive);
        processor = new RunEventProcessor(new TopicCatalog("test.").runEvents().valueSerde().deserializer(), store,
                new RunFinishedCleanup(settings, resources, metrics), output, metrics, 4);
        gc = new GarbageCollector(client, settings, store, resources, retry, metrics);
    }

    /** The count of a counter with these tags, 0 if it was never incremented. */
    public double count(String name, String... tags) {
        var counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }
}
